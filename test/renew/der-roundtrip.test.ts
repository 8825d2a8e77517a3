// The DER writer and the certificate builder, as a property: any template built from random
// names, serials, dates, alternative names and extensions, signed with RSA, ECDSA or Ed25519,
// is read back by Node's X509Certificate (OpenSSL) with the same fields, verifies under the
// CA, and taking it apart again gives back exactly the pieces that went in.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  X509Certificate,
  generateKeyPairSync,
  sign as cryptoSign,
  type KeyObject,
} from 'node:crypto';
import fc from 'fast-check';
import { readCertificateParts, type Extension } from '../../src/renew/certificate-parts.js';
import {
  encodeTbs,
  encodeCertificate,
  type RenewalTemplate,
} from '../../src/renew/build-certificate.js';
import {
  objectIdentifier,
  sequence,
  tlv,
  time,
  unsignedInteger,
} from '../../src/renew/der-write.js';
import { signCertificate, signatureKindOf, spkiOf } from '../../src/renew/sign-certificate.js';

const keys: Record<string, KeyObject> = {
  rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
  p256: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey,
  p384: generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey,
  ed: generateKeyPairSync('ed25519').privateKey,
};

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
/** Name with one CN and any number of O values, each its own RDN, UTF8String. */
function name(cn: string, orgs: string[]): Uint8Array {
  const rdn = (oid: string, v: string): Uint8Array =>
    tlv(0x31, sequence(objectIdentifier(oid), tlv(0x0c, utf8(v))));
  return sequence(...orgs.map((o) => rdn('2.5.4.10', o)), rdn('2.5.4.3', cn));
}
function sanExtension(dns: string[], ips: number[][]): Extension {
  return {
    oid: '2.5.29.17',
    critical: false,
    value: sequence(
      ...dns.map((d) => tlv(0x82, utf8(d))),
      ...ips.map((ip) => tlv(0x87, Uint8Array.from(ip))),
    ),
  };
}
/** A CA certificate signed by its own key (signCertificate needs the issuer's certificate). */
function selfSign(t: RenewalTemplate, key: KeyObject): Uint8Array {
  const tbs = encodeTbs(t);
  const digest =
    t.signature === 'ed25519' ? null : t.signature === 'ecdsa-sha384' ? 'sha384' : 'sha256';
  return encodeCertificate(tbs, t.signature, cryptoSign(digest, tbs, key));
}

const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/);

test('random templates: OpenSSL reads what was written, and readCertificateParts gives it back', () => {
  const caKeyName = fc.constantFrom('rsa', 'p256', 'p384', 'ed');
  fc.assert(
    fc.property(
      caKeyName,
      caKeyName,
      label,
      fc.array(label, { maxLength: 3 }),
      fc.uint8Array({ minLength: 1, maxLength: 20 }),
      fc.date({ min: new Date('1990-01-01'), max: new Date('2200-01-01'), noInvalidDate: true }),
      fc.integer({ min: 1, max: 40 * 365 }),
      fc.array(label, { maxLength: 4 }),
      fc.array(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }), {
        maxLength: 3,
      }),
      (caName, leafName, cn, orgs, serialRaw, start, days, dns, ips) => {
        const caKey = keys[caName] as KeyObject;
        const leafKey = keys[leafName] as KeyObject;
        const kind = signatureKindOf(caKey);
        assert.ok(kind);
        // A CA certificate to sign under (self-signed through the same code).
        const caSubject = name('test-ca', []);
        const caTemplate: RenewalTemplate = {
          serial: Uint8Array.of(1),
          signature: kind,
          issuer: caSubject,
          notBefore: new Date('1980-01-01T00:00:00Z'),
          notAfter: new Date('2300-01-01T00:00:00Z'),
          subject: caSubject,
          spki: spkiOf(caKey),
          extensions: [
            { oid: '2.5.29.19', critical: true, value: sequence(tlv(0x01, Uint8Array.of(0xff))) },
          ],
        };
        const caDer = selfSign(caTemplate, caKey);
        const serial = serialRaw.slice();
        serial[0] = ((serial[0] as number) & 0x7f) | 0x01;
        const notBefore = new Date(Math.floor(start.getTime() / 1000) * 1000);
        const notAfter = new Date(notBefore.getTime() + days * 86_400_000);
        const extensions: Extension[] = [
          { oid: '2.5.29.15', critical: true, value: tlv(0x03, Uint8Array.of(5, 0xa0)) },
          {
            oid: '2.5.29.37',
            critical: false,
            value: sequence(objectIdentifier('1.3.6.1.5.5.7.3.2')),
          },
          { oid: '2.5.29.19', critical: true, value: sequence() },
          ...(dns.length + ips.length > 0 ? [sanExtension(dns, ips)] : []),
        ];
        const t: RenewalTemplate = {
          serial,
          signature: kind,
          issuer: caSubject,
          notBefore,
          notAfter,
          subject: name(cn, orgs),
          spki: spkiOf(leafKey),
          extensions,
        };
        const der = signCertificate(t, caKey, caDer);
        const x = new X509Certificate(der);
        assert.equal(x.serialNumber, Buffer.from(serial).toString('hex').toUpperCase());
        assert.equal(new Date(x.validFrom).getTime(), notBefore.getTime());
        assert.equal(new Date(x.validTo).getTime(), notAfter.getTime());
        assert.match(x.subject, new RegExp(`CN=${cn}`));
        for (const o of orgs) assert.ok(x.subject.includes(`O=${o}`));
        assert.equal(x.issuer, 'CN=test-ca');
        const want = [
          ...dns.map((d) => `DNS:${d}`),
          ...ips.map((ip) => `IP Address:${ip.join('.')}`),
        ];
        assert.equal(x.subjectAltName ?? '', want.join(', '));
        const parts = readCertificateParts(der);
        assert.ok(parts.ok, parts.ok ? '' : parts.message);
        assert.deepEqual(Buffer.from(parts.parts.subject), Buffer.from(t.subject));
        assert.deepEqual(Buffer.from(parts.parts.issuer), Buffer.from(t.issuer));
        assert.deepEqual(Buffer.from(parts.parts.spki), Buffer.from(t.spki));
        assert.deepEqual(
          Buffer.from(parts.parts.serial).toString('hex'),
          Buffer.from(unsignedInteger(serial).subarray(2)).toString('hex'),
        );
        assert.deepEqual(
          parts.parts.extensions.map((e) => ({ ...e, value: Buffer.from(e.value) })),
          extensions.map((e) => ({ ...e, value: Buffer.from(e.value) })),
        );
        assert.equal(parts.parts.notBefore.getTime(), notBefore.getTime());
        assert.equal(parts.parts.notAfter.getTime(), notAfter.getTime());
      },
    ),
    { numRuns: 120 },
  );
});

test('times: UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 4.1.2.5)', () => {
  assert.equal(
    Buffer.from(time(new Date('2049-12-31T23:59:59Z')))
      .toString('latin1')
      .slice(2),
    '491231235959Z',
  );
  assert.equal(
    Buffer.from(time(new Date('2050-01-01T00:00:00Z')))
      .toString('latin1')
      .slice(2),
    '20500101000000Z',
  );
});
