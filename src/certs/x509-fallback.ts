// CertFacts from Node's X509Certificate: the authoritative (slow) path for certificates the fast
// DER reader declines, and the reference the fast reader is tested against.

import type { X509Certificate } from 'node:crypto';
import type { CertFacts } from '../model.js';
import { EKU_NAMES } from './oids.js';

function splitName(text: string): string[] {
  return text.split('\n').filter((l) => l.length > 0);
}

function valuesOf(parts: string[], key: string): string[] {
  return parts.filter((p) => p.startsWith(`${key}=`)).map((p) => p.slice(key.length + 1));
}

function parseSans(text: string | undefined): string[] {
  if (!text) return [];
  return text
    .split(', ')
    .map((s) => (s.startsWith('IP Address:') ? `IP:${s.slice(11).toLowerCase()}` : s));
}

export function readFallback(x: X509Certificate, fingerprint: string): CertFacts {
  const subject = splitName(x.subject);
  const issuer = splitName(x.issuer);
  return {
    subject: subject.join(', '),
    commonName: valuesOf(subject, 'CN')[0] ?? '',
    organizations: valuesOf(subject, 'O'),
    issuer: issuer.join(', '),
    sans: parseSans(x.subjectAltName),
    serial: x.serialNumber.toUpperCase(),
    fingerprintSha256: fingerprint,
    notBefore: new Date(Date.parse(x.validFrom)),
    notAfter: new Date(Date.parse(x.validTo)),
    isCA: x.ca,
    selfSigned: x.subject === x.issuer,
    // @types/node says string[], but Node returns undefined when the extension is absent.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
    extKeyUsage: (x.keyUsage ?? []).map((o) => EKU_NAMES[o] ?? o),
  };
}
