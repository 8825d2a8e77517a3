// The renewed certificate, as kubeadm's `certs renew` makes it (pkiutil.NewSignedCert): version 3,
// a fresh serial, the CA's subject as issuer, notBefore = now − 5 minutes, notAfter = now +
// validity, the old certificate's subject, public key (unless a new key is asked for) and
// extensions in their order, with the authority key identifier set to the signing CA's subject
// key identifier. Pure: the TBSCertificate is built here; signing is sign-certificate.ts's.

import type { CertificateParts, Extension } from './certificate-parts.js';
import { OID } from './certificate-parts.js';
import {
  bitString,
  booleanValue,
  explicit,
  nullValue,
  objectIdentifier,
  octetString,
  sequence,
  smallInteger,
  time,
  tlv,
  unsignedInteger,
} from './der-write.js';

/** The signature algorithms certdrift signs with: the CA key's kind decides. */
export type SignatureKind = 'rsa-sha256' | 'ecdsa-sha256' | 'ecdsa-sha384' | 'ed25519';

const SIGNATURE_OIDS: Readonly<Record<SignatureKind, string>> = {
  'rsa-sha256': '1.2.840.113549.1.1.11',
  'ecdsa-sha256': '1.2.840.10045.4.3.2',
  'ecdsa-sha384': '1.2.840.10045.4.3.3',
  ed25519: '1.3.101.112',
};

/** AlgorithmIdentifier: RSA takes an explicit NULL parameter, ECDSA and Ed25519 none (RFC 5758, 8410). */
export function algorithmIdentifier(kind: SignatureKind): Uint8Array {
  const oid = objectIdentifier(SIGNATURE_OIDS[kind]);
  return kind === 'rsa-sha256' ? sequence(oid, nullValue()) : sequence(oid);
}

/** kubeadm's constants.CertificateBackdate. */
export const BACKDATE_MS = 5 * 60_000;

export interface RenewalTemplate {
  serial: Uint8Array;
  signature: SignatureKind;
  issuer: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  subject: Uint8Array;
  spki: Uint8Array;
  extensions: Extension[];
}

export interface RenewalInput {
  old: CertificateParts;
  ca: CertificateParts;
  now: Date;
  validityMs: number;
  /** positive, at most 20 octets (RFC 5280 4.1.2.2) */
  serial: Uint8Array;
  signature: SignatureKind;
  /** a new key's SubjectPublicKeyInfo and its subject key identifier (`--new-keys`) */
  newKey?: { spki: Uint8Array; subjectKeyId: Uint8Array };
}

const wholeSecond = (ms: number): Date => new Date(Math.floor(ms / 1000) * 1000);

function authorityKeyIdExtension(keyId: Uint8Array): Extension {
  return { oid: OID.authorityKeyId, critical: false, value: sequence(tlv(0x80, keyId)) };
}

/**
 * The old extensions with the authority key identifier pointing at the signing CA (as Go's
 * x509.CreateCertificate sets it from the parent's SubjectKeyId; inserted before the SANs when the
 * old certificate had none) and, for a new key, the subject key identifier recomputed.
 */
function renewedExtensions(input: RenewalInput): Extension[] {
  const out: Extension[] = [];
  const caKeyId = input.ca.subjectKeyId;
  let akidDone = false;
  for (const e of input.old.extensions) {
    if (e.oid === OID.authorityKeyId) {
      if (caKeyId) out.push(authorityKeyIdExtension(caKeyId));
      akidDone = true;
      continue;
    }
    if (e.oid === OID.subjectAltName && !akidDone && caKeyId) {
      out.push(authorityKeyIdExtension(caKeyId));
      akidDone = true;
    }
    if (e.oid === OID.subjectKeyId && input.newKey) {
      out.push({ ...e, value: octetString(input.newKey.subjectKeyId) });
      continue;
    }
    out.push(e);
  }
  if (!akidDone && caKeyId) out.push(authorityKeyIdExtension(caKeyId));
  return out;
}

export function renewalTemplate(input: RenewalInput): RenewalTemplate {
  const now = input.now.getTime();
  return {
    serial: input.serial,
    signature: input.signature,
    issuer: input.ca.subject,
    notBefore: wholeSecond(now - BACKDATE_MS),
    notAfter: wholeSecond(now + input.validityMs),
    subject: input.old.subject,
    spki: input.newKey?.spki ?? input.old.spki,
    extensions: renewedExtensions(input),
  };
}

function encodeExtension(e: Extension): Uint8Array {
  return e.critical
    ? sequence(objectIdentifier(e.oid), booleanValue(true), octetString(e.value))
    : sequence(objectIdentifier(e.oid), octetString(e.value));
}

/** TBSCertificate (RFC 5280 4.1), version 3. */
export function encodeTbs(t: RenewalTemplate): Uint8Array {
  const parts = [
    explicit(0, smallInteger(2)),
    unsignedInteger(t.serial),
    algorithmIdentifier(t.signature),
    t.issuer,
    sequence(time(t.notBefore), time(t.notAfter)),
    t.subject,
    t.spki,
  ];
  if (t.extensions.length > 0)
    parts.push(explicit(3, sequence(...t.extensions.map(encodeExtension))));
  return sequence(...parts);
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING } */
export function encodeCertificate(
  tbs: Uint8Array,
  kind: SignatureKind,
  signature: Uint8Array,
): Uint8Array {
  return sequence(tbs, algorithmIdentifier(kind), bitString(signature));
}
