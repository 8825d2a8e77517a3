// Every parser survives arbitrary input: random bytes, random text, mutated real certificates.
// And the core promise as a property: garbage between two good PEM blocks never hides them.

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  parseCertificateDer,
  parseCertificateFile,
  parseKubeconfig,
  parsePem,
} from '../../src/certs/index.js';
import { compileGlob, expandBraces, matchesPath } from '../../src/host/glob.js';
import { splitList } from '../../src/config/scan-config.js';
import { daysFrom, issue, type Issued } from '../support/certs.js';
import { NOW } from '../support/nodes.js';

const RUNS = { numRuns: 1500 };
let a: Issued;
let b: Issued;

before(async () => {
  a = await issue({
    cn: 'prop-a',
    notBefore: NOW,
    notAfter: daysFrom(NOW, 10),
    sans: ['DNS:x', 'IP:10.1.2.3'],
    eku: ['clientAuth'],
  });
  b = await issue({ cn: 'prop-b', notBefore: NOW, notAfter: daysFrom(NOW, 20), key: 'p256' });
});

test('parseCertificateFile never throws on random bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2048 }), fc.boolean(), (bytes, expect) => {
      const r = parseCertificateFile(bytes, { expectCertificates: expect });
      assert.ok(Array.isArray(r.certs) && Array.isArray(r.problems));
    }),
    RUNS,
  );
});

test('parseCertificateDer never throws on random or mutated DER', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 1024 }), (bytes) => {
      parseCertificateDer(bytes);
    }),
    RUNS,
  );
  fc.assert(
    fc.property(fc.nat(), fc.nat(255), fc.nat(), (pos, value, cut) => {
      const der = Uint8Array.from(a.der);
      der[pos % der.length] = value;
      const r = parseCertificateDer(der.subarray(0, der.length - (cut % 8)));
      if (r.ok) assert.equal(typeof r.facts.notAfter.getTime(), 'number');
    }),
    RUNS,
  );
});

test('parsePem and parseKubeconfig never throw on random text', () => {
  const texts = fc.oneof(
    fc.string({ maxLength: 512 }),
    fc
      .string({ maxLength: 256 })
      .map((s) => `-----BEGIN CERTIFICATE-----\n${s}\n-----END CERTIFICATE-----`),
    fc
      .string({ maxLength: 256 })
      .map(
        (s) => `clusters:\n${s}\nusers:\n- name: ${s}\n  user:\n    client-certificate-data: ${s}`,
      ),
    fc.string({ maxLength: 256 }).map((s) => `{"clusters": [${s}], "users": ${s}}`),
  );
  fc.assert(
    fc.property(texts, (t) => {
      parsePem(t);
      parseKubeconfig(t);
      parseCertificateFile(Buffer.from(t), { expectCertificates: true });
    }),
    RUNS,
  );
});

test('garbage between good PEM blocks never hides them', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (junk) => {
      const r = parseCertificateFile(Buffer.from(a.pem + junk + '\n' + b.pem), {
        expectCertificates: true,
      });
      const cns = r.certs.map((c) => c.facts.commonName);
      assert.ok(
        cns.includes('prop-a') && cns.includes('prop-b'),
        `lost a block with junk ${JSON.stringify(junk)}`,
      );
    }),
    RUNS,
  );
});

test('glob compilation, matching and list splitting never throw', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 64 }), fc.string({ maxLength: 64 }), (pattern, path) => {
      expandBraces(pattern);
      matchesPath(compileGlob(pattern), path);
      splitList(pattern, 'x');
    }),
    RUNS,
  );
});
