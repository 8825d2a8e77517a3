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
import { compileGlob, expandBraces, matchesPath } from '../../src/model/glob.js';
import { berOctets, readBer } from '../../src/certs/ber.js';
import { DerError } from '../../src/certs/der.js';
import { looksLikePkcs7, readPkcs7 } from '../../src/certs/pkcs7.js';
import { looksLikePkcs12, readPkcs12 } from '../../src/certs/pkcs12.js';
import * as d from '../support/der-build.js';
import { splitList } from '../../src/cli/config/scan-config.js';
import { salvageLedger } from '../../src/ledger/salvage-ledger.js';
import { daysFrom, issue, type Issued } from '../support/certs.js';
import { NOW } from '../support/nodes.js';
import {
  readKubeletConfigPaths,
  readKubeletRotation,
  readKubeletServing,
} from '../../src/node/usage/index.js';

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

test('the kubelet config readers never throw on random text or random JSON', () => {
  const readAll = (text: string): void => {
    readKubeletConfigPaths(text);
    readKubeletServing(text);
    const r = readKubeletRotation(text);
    assert.equal(typeof r.serverTLSBootstrap, 'boolean');
  };
  fc.assert(fc.property(fc.string({ maxLength: 512 }), readAll), RUNS);
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      readAll(JSON.stringify(v));
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

test('the PKCS#7, PKCS#12 and BER readers never throw on random or mutated input', () => {
  const p7 = (certs: Uint8Array[]): Buffer =>
    d.seq(
      d.oid('1.2.840.113549.1.7.2'),
      d.tlv(
        0xa0,
        d.seq(
          d.intRaw([1]),
          d.set(),
          d.seq(d.oid('1.2.840.113549.1.7.1')),
          d.tlv(0xa0, ...certs),
          d.set(),
        ),
      ),
    );
  const bundle = p7([a.der, b.der]);
  const indefinite = Buffer.concat([
    Buffer.from([0x30, 0x80]),
    bundle.subarray(4),
    Buffer.alloc(2),
  ]);
  fc.assert(
    fc.property(
      fc.constantFrom(bundle, indefinite),
      fc.nat(),
      fc.nat(255),
      fc.nat(64),
      (base, pos, value, cut) => {
        const bytes = Buffer.from(base);
        bytes[pos % bytes.length] = value;
        const input = bytes.subarray(0, bytes.length - cut);
        readPkcs7(input);
        readPkcs12(input);
        looksLikePkcs7(input);
        looksLikePkcs12(input);
        const r = parseCertificateFile(input, { expectCertificates: true });
        assert.ok(Array.isArray(r.certs));
      },
    ),
    RUNS,
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 1024 }), (bytes) => {
      const withHeader = Buffer.concat([Buffer.from([0x30, 0x80, 0x06, 0x09]), bytes]);
      readPkcs7(withHeader);
      readPkcs12(bytes);
      try {
        berOctets(withHeader, readBer(withHeader, 0));
      } catch (err) {
        assert.ok(err instanceof DerError, String(err));
      }
    }),
    RUNS,
  );
  // The parsed bundle is what was put in it.
  const r = parseCertificateFile(indefinite, { expectCertificates: true });
  assert.deepEqual(
    r.certs.map((c) => c.facts.commonName),
    ['prop-a', 'prop-b'],
  );
});

test('a certificate with an impossible date is an item error, never a throw or a NaN date', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 99 }),
      fc.integer({ min: 0, max: 99 }),
      fc.integer({ min: 0, max: 99 }),
      fc.integer({ min: 0, max: 99 }),
      fc.integer({ min: 0, max: 99 }),
      fc.integer({ min: 0, max: 9999 }),
      (mo, day, h, mi, s, year) => {
        const two = (n: number): string => String(n).padStart(2, '0');
        const text = `${String(year).padStart(4, '0')}${two(mo)}${two(day)}${two(h)}${two(mi)}${two(s)}Z`;
        const der = d.buildCert({
          version: 2,
          serial: d.intRaw([1]),
          subject: d.name(d.cn('t')),
          notBefore: d.utc('250101000000Z'),
          notAfter: d.gen(text),
        });
        const res = parseCertificateDer(der);
        if (res.ok) {
          assert.ok(!Number.isNaN(res.facts.notAfter.getTime()));
          assert.equal(res.facts.notAfter.getUTCFullYear(), year);
        } else assert.equal(res.reason, 'bad_time', text);
      },
    ),
    { numRuns: 300 },
  );
});

test('salvageLedger never throws on random text or any cut of a real ledger', () => {
  const ledger = JSON.stringify({
    apiVersion: 'certdrift.io/v1alpha1',
    kind: 'CertificateLedger',
    node: 'n1',
    updatedAt: '2026-11-02T00:00:00.000Z',
    locations: [
      {
        kind: 'file',
        path: '/a "quoted" {path}',
        component: 'kubelet',
        entries: [
          {
            serial: '01',
            fingerprintSha256: 'AB',
            subject: 'CN=}]{[',
            notAfter: '2027-01-01T00:00:00.000Z',
            firstSeen: '2026-11-01T00:00:00.000Z',
            lastSeen: '2026-11-02T00:00:00.000Z',
          },
        ],
      },
    ],
  });
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ maxLength: 512 }),
        fc.nat({ max: ledger.length }).map((n) => ledger.slice(0, n)),
        fc.string({ maxLength: 64 }).map((s) => `${ledger.slice(0, 120)}${s}`),
      ),
      (t) => {
        const r = salvageLedger(t);
        if (r) assert.ok(r.entries > 0);
      },
    ),
    RUNS,
  );
});
