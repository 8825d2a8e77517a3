// Signing a renewal with node:crypto: RSA PKCS #1 v1.5 with SHA-256 (kubeadm's default keys),
// ECDSA P-256/SHA-256 and P-384/SHA-384 (Go's choice for those curves), Ed25519. Then the
// result is checked the way a client would: Node's X509Certificate must parse it, name the CA as
// its issuer and verify under the CA's public key. Keys stay KeyObjects: nothing here prints,
// logs or returns private key material except exportKeyAs, whose bytes go only to the key's file.

import {
  X509Certificate,
  createHash,
  createPublicKey,
  generateKeyPairSync,
  sign,
  type KeyObject,
} from 'node:crypto';
import { children, expectTlv } from '../certs/der.js';
import {
  encodeCertificate,
  encodeTbs,
  type RenewalTemplate,
  type SignatureKind,
} from './build-certificate.js';

export function signatureKindOf(caKey: KeyObject): SignatureKind | undefined {
  switch (caKey.asymmetricKeyType) {
    case 'rsa':
      return 'rsa-sha256';
    case 'ed25519':
      return 'ed25519';
    case 'ec': {
      const curve = caKey.asymmetricKeyDetails?.namedCurve;
      if (curve === 'prime256v1') return 'ecdsa-sha256';
      if (curve === 'secp384r1') return 'ecdsa-sha384';
      return undefined;
    }
    default:
      return undefined;
  }
}

function signatureOf(tbs: Uint8Array, kind: SignatureKind, key: KeyObject): Uint8Array {
  switch (kind) {
    case 'rsa-sha256':
      return sign('sha256', tbs, key);
    case 'ecdsa-sha256':
      return sign('sha256', tbs, { key, dsaEncoding: 'der' });
    case 'ecdsa-sha384':
      return sign('sha384', tbs, { key, dsaEncoding: 'der' });
    case 'ed25519':
      return sign(null, tbs, key);
  }
}

export class SigningFailed extends Error {
  override name = 'SigningFailed';
}

/** The signed certificate (DER), checked against the CA certificate before it is returned. */
export function signCertificate(
  t: RenewalTemplate,
  caKey: KeyObject,
  caDer: Uint8Array,
): Uint8Array {
  const tbs = encodeTbs(t);
  const der = encodeCertificate(tbs, t.signature, signatureOf(tbs, t.signature, caKey));
  const cert = new X509Certificate(der);
  const ca = new X509Certificate(caDer);
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey))
    throw new SigningFailed('the renewed certificate does not verify under its CA (wrong CA key?)');
  return der;
}

/** SubjectPublicKeyInfo (DER) of a private or public key. */
export function spkiOf(key: KeyObject): Uint8Array {
  return createPublicKey(key).export({ type: 'spki', format: 'der' });
}

/** RFC 5280 4.2.1.2 method 1, as Go computes it: SHA-1 of the subjectPublicKey bits. */
export function subjectKeyIdOf(spki: Uint8Array): Uint8Array {
  const seq = expectTlv(spki, 0, 0x30);
  const bits = children(spki, seq)[1];
  if (bits?.tag !== 0x03) throw new SigningFailed('SubjectPublicKeyInfo without a key');
  return createHash('sha1')
    .update(spki.subarray(bits.valueStart + 1, bits.end))
    .digest();
}

/** Does the private key belong to the certificate's public key? */
export function keyMatches(key: KeyObject, spki: Uint8Array): boolean {
  return Buffer.from(spkiOf(key)).equals(Buffer.from(spki));
}

/** A new private key of the same kind and size as `old` (what `--new-keys` asks for). */
export function newKeyLike(old: KeyObject): KeyObject {
  const d = old.asymmetricKeyDetails;
  switch (old.asymmetricKeyType) {
    case 'rsa':
      return generateKeyPairSync('rsa', {
        modulusLength: d?.modulusLength ?? 2048,
        publicExponent: Number(d?.publicExponent ?? 65537n),
      }).privateKey;
    case 'ec':
      return generateKeyPairSync('ec', { namedCurve: d?.namedCurve ?? 'prime256v1' }).privateKey;
    case 'ed25519':
      return generateKeyPairSync('ed25519').privateKey;
    default:
      throw new SigningFailed(`cannot make a new ${String(old.asymmetricKeyType)} key`);
  }
}

/** PEM of `key` in the encoding the old key file used (its PEM label decides). */
export function exportKeyAs(key: KeyObject, label: string): string {
  if (label === 'RSA PRIVATE KEY') return key.export({ type: 'pkcs1', format: 'pem' }).toString();
  if (label === 'EC PRIVATE KEY') return key.export({ type: 'sec1', format: 'pem' }).toString();
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** PEM text of a certificate, 64 columns, as Go's pem.Encode writes it. */
export function certificatePem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
