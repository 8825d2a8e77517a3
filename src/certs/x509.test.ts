import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { issue, type KeyType } from '../../test/support/certs.js';
import { readFallback } from './x509-fallback.js';
import { parseCertificateDer, readFast, sha256Hex } from './x509.js';
import { oddCertificates } from '../../test/differential/odd-certs.js';
import { buildCert, cn, intRaw, name, str, utc } from '../../test/support/der-build.js';

const nb = new Date('2025-01-02T03:04:05Z');
const na = new Date('2051-06-07T08:09:10Z'); // past 2049: GeneralizedTime

for (const key of ['ed25519', 'p256', 'rsa2048'] as KeyType[]) {
  test(`fast reader agrees with X509Certificate (${key})`, async () => {
    const ca = await issue({ cn: 'kubernetes-ca', notBefore: nb, notAfter: na, isCA: true, key });
    const leaf = await issue({
      cn: 'system:node:ip-10-0-1-2.ec2.internal',
      o: ['system:nodes'],
      notBefore: nb,
      notAfter: new Date('2026-05-01T00:00:00Z'),
      eku: ['clientAuth', 'serverAuth'],
      sans: ['DNS:node-a', 'IP:10.0.1.2', 'IP:fd00::1'],
      serial: 'f0e1d2c3b4a59687',
      issuer: ca,
      key,
    });
    for (const c of [ca, leaf]) {
      const fp = sha256Hex(c.der);
      const fast = readFast(c.der, fp);
      const ref = readFallback(new X509Certificate(c.der));
      assert.deepEqual(fast, ref);
    }
    const fast = readFast(leaf.der, 'x');
    assert.equal(fast.commonName, 'system:node:ip-10-0-1-2.ec2.internal');
    assert.deepEqual(fast.organizations, ['system:nodes']);
    assert.deepEqual(fast.sans, ['DNS:node-a', 'IP:10.0.1.2', 'IP:fd00:0:0:0:0:0:0:1']);
    assert.deepEqual(fast.extKeyUsage, ['clientAuth', 'serverAuth']);
    assert.equal(fast.serial, 'F0E1D2C3B4A59687');
    assert.equal(fast.isCA, false);
    assert.equal(fast.selfSigned, false);
    assert.equal(readFast(ca.der, 'x').notAfter.toISOString(), '2051-06-07T08:09:10.000Z');
    assert.equal(readFast(ca.der, 'x').selfSigned, true);
  });
}

test('parseCertificateDer reports garbage as a value', () => {
  const res = parseCertificateDer(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]));
  assert.ok(!res.ok);
  assert.match(res.message, /not an X\.509 certificate/);
});

test('fingerprint is the SHA-256 of the DER', async () => {
  const c = await issue({ cn: 'x', notBefore: nb, notAfter: na });
  const res = parseCertificateDer(c.der);
  assert.ok(res.ok);
  assert.equal(res.facts.fingerprintSha256, c.fingerprint);
});

test('the fast reader and the OpenSSL fallback agree on every odd certificate both read', () => {
  let both = 0;
  for (const c of oddCertificates()) {
    if (c.name.includes('5-octet IP')) continue; // Node's text drops the length OpenSSL prints
    let fast;
    try {
      fast = readFast(c.der, sha256Hex(c.der));
    } catch {
      continue; // declined: the fallback alone decides (test/differential compares it with openssl)
    }
    let node: X509Certificate;
    try {
      node = new X509Certificate(c.der);
    } catch {
      // This Node's OpenSSL refuses it (Node 24 refuses times without seconds or with offsets,
      // which openssl 3.0 reads): the fast reader's answer is checked against the openssl CLI
      // in test/differential instead.
      continue;
    }
    assert.deepEqual(fast, readFallback(node), c.name);
    both++;
  }
  assert.ok(both >= 40, `only ${both} certificates went the fast way`);
});

test('key identifiers read as openssl prints them (SKID, AKID = the CA’s SKID); both readers agree', async () => {
  const ca = await issue({
    cn: 'ca-keyids',
    notBefore: nb,
    notAfter: na,
    isCA: true,
    keyIds: true,
  });
  const leaf = await issue({
    cn: 'system:kube-proxy',
    notBefore: nb,
    notAfter: na,
    issuer: ca,
    keyIds: true,
    eku: ['clientAuth'],
  });
  const plain = await issue({ cn: 'no-ids', notBefore: nb, notAfter: na });
  for (const c of [ca, leaf]) {
    const x = new X509Certificate(c.der);
    // OpenSSL's own text form: `X509v3 Subject Key Identifier: \n    AB:CD:…`
    const text = spawnSync('openssl', ['x509', '-inform', 'DER', '-noout', '-text'], {
      input: c.der,
      encoding: 'utf8',
    }).stdout;
    const ext = (name: string): string | undefined =>
      new RegExp(`X509v3 ${name}:\\s*\\n\\s*(?:keyid:)?([0-9A-F:]+)`).exec(text)?.[1];
    const fast = readFast(c.der, sha256Hex(c.der));
    assert.equal(fast.subjectKeyId, ext('Subject Key Identifier'));
    assert.equal(fast.authorityKeyId, ext('Authority Key Identifier'));
    assert.match(fast.subjectKeyId ?? '', /^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
    assert.deepEqual(fast, readFallback(x));
    assert.equal(x.checkIssued(new X509Certificate(ca.der)), true);
    assert.ok(fast.authorityKeyId !== undefined);
    // the authority key id of each is the CA's subject key id
    assert.equal(fast.authorityKeyId, readFast(ca.der, 'x').subjectKeyId);
  }
  const none = readFast(plain.der, 'x');
  assert.equal(none.subjectKeyId, undefined);
  assert.equal(none.authorityKeyId, undefined);
});

test('issuer names are read once per distinct name, and stay right past the memo bound', () => {
  // more distinct issuers than the memo holds (256), each read twice in interleaved order, so
  // entries are reused, evicted by the clear, and read again; O values keep their own arrays
  const issuerOf = (i: number): Buffer =>
    i % 3 === 0
      ? name(
          [['2.5.4.10', str(0x0c, 'acme')]],
          [['2.5.4.10', str(0x13, `unit ${i}`)]],
          cn(`ca-${i}`),
        )
      : name(cn(`ca-${i}`));
  const leaves = Array.from({ length: 300 }, (_, i) =>
    buildCert({
      version: 2,
      serial: intRaw([1, i & 0xff]),
      issuer: issuerOf(i),
      subject: name(cn(`leaf-${i}`)),
      notBefore: utc('250102030405Z'),
      notAfter: utc('350102030405Z'),
    }),
  );
  for (const round of [0, 1])
    for (let k = 0; k < leaves.length; k++) {
      const i = round === 0 ? k : leaves.length - 1 - k;
      const der = leaves[i] as Buffer;
      const fast = readFast(der, '');
      const want = i % 3 === 0 ? `O=acme, O=unit ${i}, CN=ca-${i}` : `CN=ca-${i}`;
      assert.equal(fast.issuer, want, `leaf ${i}, round ${round}`);
      assert.equal(fast.issuer, readFallback(new X509Certificate(der)).issuer);
      assert.equal(fast.subject, `CN=leaf-${i}`);
    }
  // an issuer name over the memo's size bound is read each time, and read right
  const long = name(cn('x'.repeat(2000)));
  for (let k = 0; k < 2; k++)
    assert.equal(
      readFast(
        buildCert({
          version: 2,
          serial: intRaw([9, k]),
          issuer: long,
          subject: name(cn('leaf')),
          notBefore: utc('250102030405Z'),
          notAfter: utc('350102030405Z'),
        }),
        '',
      ).issuer,
      `CN=${'x'.repeat(2000)}`,
    );
  // a subject with O values: its own exact list
  const withOrgs = readFast(
    buildCert({
      version: 2,
      serial: intRaw([7]),
      subject: name([['2.5.4.10', str(0x0c, 'a')]], [['2.5.4.10', str(0x0c, 'b')]], cn('x')),
      notBefore: utc('250102030405Z'),
      notAfter: utc('350102030405Z'),
    }),
    '',
  );
  assert.deepEqual(withOrgs.organizations, ['a', 'b']);
  assert.equal(withOrgs.subject, 'O=a, O=b, CN=x');
  assert.equal(withOrgs.issuer, withOrgs.subject);
});
