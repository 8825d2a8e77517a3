// The PKCS#10 reader (src/certs/csr.ts) against `openssl req -text` for requests made with real
// keys the way kubelet makes them (and bent ways), and as a property: random bytes, mutated
// real requests and random PEM never make it throw.

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { parsePem } from '../../src/certs/pem.js';
import {
  parseCertificateRequestDer,
  parseCertificateRequestPem,
  type CertificateRequestFacts,
} from '../../src/certs/csr.js';
import { certificateRequest, tempPem, type RequestOptions } from '../support/kubelet-csr.js';

const CASES: [string, RequestOptions][] = [
  ['kubelet ECDSA', { dns: ['node-1'], ip: ['10.0.0.7', 'fd00::7'] }],
  ['kubelet RSA', { dns: ['node-1'], ip: ['10.0.0.7'], key: 'rsa2048' }],
  ['no SAN', {}],
  ['two CNs and Os', { cn: ['system:node:a', 'system:node:b'], o: ['system:nodes', 'x'] }],
  ['email and URI', { dns: ['n'], email: ['a@b.example'], uri: ['spiffe://c/x'] }],
  ['control characters in names', { cn: ['system:node:\u001b[31mred'], dns: ['a\u0007b'] }],
];

const der = (pem: string): Uint8Array => {
  const b = parsePem(pem).blocks[0];
  assert.ok(b);
  return b.der;
};

/** what openssl prints for the request's SANs, in our words */
function opensslSans(path: string): string[] {
  const r = spawnSync('openssl', ['req', '-in', path, '-noout', '-text'], { encoding: 'latin1' });
  assert.equal(r.status, 0, r.stderr);
  const m = /X509v3 Subject Alternative Name: *\n\s*(.*)\n/.exec(r.stdout);
  if (!m?.[1]) return [];
  return m[1].split(', ').map((s) =>
    s
      .replace(/^IP Address:/, 'IP:')
      .replace(/^email:/, 'email:')
      .replace(/^URI:/, 'URI:'),
  );
}

const ours = (f: CertificateRequestFacts): string[] => [
  ...f.dnsNames.map((x) => `DNS:${x}`),
  ...f.ipAddresses.map((x) => `IP:${x}`),
  ...f.emailAddresses.map((x) => `email:${x}`),
  ...f.uris.map((x) => `URI:${x}`),
];
const ipv6Full = (s: string): string =>
  s.replace(/^IP:(.*:.*)$/, (_m, ip: string) => {
    const [head = '', tail = ''] = ip.split('::');
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = ip.includes('::')
      ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t]
      : h;
    return `IP:${groups.map((g) => parseInt(g, 16).toString(16)).join(':')}`;
  });

const pems = new Map<string, string>();
before(async () => {
  for (const [name, o] of CASES) pems.set(name, await certificateRequest('node-1', o));
});

test('subject, SANs and key type as openssl reads them', () => {
  for (const [name, o] of CASES) {
    const pem = pems.get(name) ?? '';
    const r = parseCertificateRequestPem(Buffer.from(pem));
    assert.ok(r.ok, `${name}: ${r.ok ? '' : r.message}`);
    const f = r.facts;
    assert.deepEqual(f.commonNames, o.cn ?? ['system:node:node-1'], name);
    assert.deepEqual(f.organizations, o.o ?? ['system:nodes'], name);
    assert.equal(f.keyAlgorithm, o.key === 'rsa2048' ? 'rsa' : 'ecdsa', name);
    const theirs = opensslSans(tempPem(pem)).map(ipv6Full).sort();
    // openssl prints names with control characters as they are; compare the rest
    assert.deepEqual(ours(f).map(ipv6Full).sort(), theirs, name);
    assert.doesNotThrow(() => parseCertificateRequestDer(der(pem)));
  }
  const cert = parseCertificateRequestPem(
    Buffer.from('-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n'),
  );
  assert.deepEqual(cert, {
    ok: false,
    message: 'a CERTIFICATE PEM block, not a CERTIFICATE REQUEST',
  });
});

test('never throws: random bytes, mutated real requests, random PEM', () => {
  const real = [...pems.values()].map(der);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
      const r = parseCertificateRequestDer(bytes);
      assert.equal(typeof r.ok, 'boolean');
    }),
    { numRuns: 1500 },
  );
  fc.assert(
    fc.property(
      fc.nat({ max: real.length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 8,
      }),
      fc.nat(),
      (which, flips, cut) => {
        const b = Buffer.from(real[which] ?? new Uint8Array());
        for (const [at, v] of flips) b[at % b.length] = v;
        parseCertificateRequestDer(b);
        parseCertificateRequestDer(b.subarray(0, cut % (b.length + 1)));
      },
    ),
    { numRuns: 1500 },
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 512 }), (s) => {
      parseCertificateRequestPem(
        Buffer.from(
          `-----BEGIN CERTIFICATE REQUEST-----\n${s}\n-----END CERTIFICATE REQUEST-----\n`,
        ),
      );
      parseCertificateRequestPem(Buffer.from(s));
    }),
    { numRuns: 500 },
  );
  assert.equal(parseCertificateRequestDer(new Uint8Array(70_000)).ok, false);
});
