// Subject and authority key identifiers (RFC 5280 4.2.1.1, 4.2.1.2) in the form kube-apiserver
// logs them and `openssl x509 -text` prints them: upper-case hex pairs joined by `:`
// (staging/src/k8s.io/apiserver/pkg/authentication/request/x509/x509.go certificateIdentifier).
// A serial number is unique only per issuing CA: the authority key identifier tells two
// certificates with the same serial from different CAs apart.

import { Cursor } from './der-cursor.js';

export const OID_SUBJECT_KEY_ID = [0x55, 0x1d, 0x0e];
export const OID_AUTHORITY_KEY_ID = [0x55, 0x1d, 0x23];

export interface KeyIds {
  subjectKeyId?: string;
  authorityKeyId?: string;
}

/** Bytes → `AB:CD:…` (empty input → ''). */
export function colonHex(buf: Buffer, start: number, end: number): string {
  const out: string[] = [];
  for (let i = start; i < end; i++)
    out.push((buf[i] as number).toString(16).toUpperCase().padStart(2, '0'));
  return out.join(':');
}

/** The SubjectKeyIdentifier extension's value (an OCTET STRING) → its identifier. */
export function readSubjectKeyId(inner: Cursor): string {
  const v = inner.next(0x04);
  return colonHex(v.buf, v.vStart, v.vEnd);
}

/** AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING OPTIONAL, … } */
export function readAuthorityKeyId(inner: Cursor): string | undefined {
  const seq = inner.next(0x30).inside();
  while (seq.more()) {
    seq.next();
    if (seq.tag === 0x80) return colonHex(seq.buf, seq.vStart, seq.vEnd);
  }
  return undefined;
}

/**
 * The key identifiers of a DER certificate, read on their own (for certificates the fast reader
 * declines and OpenSSL reads: Node's X509Certificate does not expose them). Anything unreadable
 * is simply absent: this never throws.
 */
export function keyIdsOfDer(der: Uint8Array): KeyIds {
  try {
    const buf = Buffer.from(der.buffer, der.byteOffset, der.byteLength);
    const tbs = new Cursor(buf, 0, buf.length).next(0x30).inside().next(0x30).inside();
    const out: KeyIds = {};
    while (tbs.more()) {
      tbs.next();
      if (tbs.tag !== 0xa3) continue;
      const list = tbs.inside().next(0x30).inside();
      while (list.more()) {
        const ext = list.next(0x30).inside();
        ext.next(0x06);
        const skid = ext.valueIs(OID_SUBJECT_KEY_ID);
        const akid = !skid && ext.valueIs(OID_AUTHORITY_KEY_ID);
        ext.next();
        if (ext.tag === 0x01) ext.next();
        if (!skid && !akid) continue;
        const inner = ext.inside();
        if (skid) out.subjectKeyId = readSubjectKeyId(inner);
        else {
          const a = readAuthorityKeyId(inner);
          if (a !== undefined) out.authorityKeyId = a;
        }
      }
    }
    return out;
  } catch {
    return {};
  }
}
