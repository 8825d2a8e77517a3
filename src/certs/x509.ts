// DER bytes → CertFacts. A fast reader for the fields certdrift reports, with Node's
// crypto.X509Certificate as the authority whenever the fast reader declines a certificate.
// Why not X509Certificate alone: with OpenSSL 3 its constructor costs 85–140 µs per certificate
// on the reference machine (public-key decoding), 1.3 s for a 10,000-certificate node against a
// 0.3 s budget. The fast path is differential-tested against X509Certificate (x509.test.ts).
// Never throws: every outcome is a value.

import { X509Certificate, hash } from 'node:crypto';
import type { CertFacts } from '../model.js';
import { DerError, decodeOid, decodeString } from './der.js';
import { Cursor, timeAt } from './der-cursor.js';
import { readFallback } from './x509-fallback.js';
import { EKU_NAMES } from './oids.js';

export type ParseResult = { ok: true; facts: CertFacts } | { ok: false; message: string };

// Attribute types 2.5.4.X by X, and the EKU arc 1.3.6.1.5.5.7.3.X by X.
const ATTR_BY_LAST: Readonly<Record<number, string>> = {
  3: 'CN',
  5: 'serialNumber',
  6: 'C',
  7: 'L',
  8: 'ST',
  10: 'O',
  11: 'OU',
};
const OID_BASIC_CONSTRAINTS = [0x55, 0x1d, 0x13];
const OID_SUBJECT_ALT_NAME = [0x55, 0x1d, 0x11];
const OID_EXT_KEY_USAGE = [0x55, 0x1d, 0x25];
const EKU_PREFIX = [0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03];

function stringAt(c: Cursor): string {
  switch (c.tag) {
    case 0x0c: // UTF8String
      return c.buf.toString('utf8', c.vStart, c.vEnd);
    case 0x1e: // BMPString
    case 0x1c: // UniversalString
      return decodeString(c.buf, { tag: c.tag, start: c.start, valueStart: c.vStart, end: c.vEnd });
    default: // Printable, IA5, Visible, T61, Numeric: single-byte
      return c.buf.toString('latin1', c.vStart, c.vEnd);
  }
}

function oidAt(c: Cursor): string {
  return decodeOid(c.buf, { tag: c.tag, start: c.start, valueStart: c.vStart, end: c.vEnd });
}

interface Name {
  text: string;
  cn: string;
  o: string[];
}

function readName(name: Cursor): Name {
  let text = '';
  let cn = '';
  const o: string[] = [];
  const rdns = name.inside();
  while (rdns.more()) {
    const set = rdns.next(0x31).inside();
    while (set.more()) {
      const atv = set.next(0x30).inside();
      atv.next(0x06);
      const b = atv.buf;
      const key =
        atv.vEnd - atv.vStart === 3 && b[atv.vStart] === 0x55 && b[atv.vStart + 1] === 0x04
          ? (ATTR_BY_LAST[b[atv.vStart + 2] as number] ?? oidAt(atv))
          : atv.valueIs([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01])
            ? 'emailAddress'
            : atv.valueIs([0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19])
              ? 'DC'
              : oidAt(atv);
      const value = stringAt(atv.next());
      text += text === '' ? `${key}=${value}` : `, ${key}=${value}`;
      if (key === 'CN' && cn === '') cn = value;
      else if (key === 'O') o.push(value);
    }
  }
  return { text, cn, o };
}

function formatIp(b: Buffer, s: number, e: number): string {
  if (e - s === 4) return `${b[s] ?? 0}.${b[s + 1] ?? 0}.${b[s + 2] ?? 0}.${b[s + 3] ?? 0}`;
  if (e - s === 16) {
    const groups: string[] = [];
    for (let i = s; i < e; i += 2)
      groups.push((((b[i] as number) << 8) | (b[i + 1] as number)).toString(16));
    return groups.join(':');
  }
  return `<ip of ${e - s} bytes>`;
}

function readSans(seq: Cursor): string[] {
  const out: string[] = [];
  while (seq.more()) {
    const gn = seq.next();
    switch (gn.tag) {
      case 0x81:
        out.push(`email:${gn.buf.toString('latin1', gn.vStart, gn.vEnd)}`);
        break;
      case 0x82:
        out.push(`DNS:${gn.buf.toString('latin1', gn.vStart, gn.vEnd)}`);
        break;
      case 0x86:
        out.push(`URI:${gn.buf.toString('latin1', gn.vStart, gn.vEnd)}`);
        break;
      case 0x87:
        out.push(`IP:${formatIp(gn.buf, gn.vStart, gn.vEnd)}`);
        break;
      default:
        break; // otherName, directoryName…: not used by Kubernetes node certificates
    }
  }
  return out;
}

interface Extensions {
  isCA: boolean;
  sans: string[];
  extKeyUsage: string[];
}

function readExtensions(wrapper: Cursor): Extensions {
  const result: Extensions = { isCA: false, sans: [], extKeyUsage: [] };
  const list = wrapper.inside().next(0x30).inside();
  while (list.more()) {
    const ext = list.next(0x30).inside();
    ext.next(0x06);
    const isBc = ext.valueIs(OID_BASIC_CONSTRAINTS);
    const isSan = !isBc && ext.valueIs(OID_SUBJECT_ALT_NAME);
    const isEku = !isBc && !isSan && ext.valueIs(OID_EXT_KEY_USAGE);
    ext.next();
    if (ext.tag === 0x01) ext.next(); // critical flag
    if (ext.tag !== 0x04) throw new DerError('extension value is not an OCTET STRING');
    if (!isBc && !isSan && !isEku) continue;
    const inner = ext.inside().next(0x30).inside();
    if (isBc) {
      result.isCA = inner.more() && inner.next().tag === 0x01 && inner.buf[inner.vStart] !== 0;
    } else if (isSan) {
      result.sans = readSans(inner);
    } else {
      while (inner.more()) {
        inner.next(0x06);
        const b = inner.buf;
        const last = b[inner.vEnd - 1] as number;
        const isKnownArc =
          inner.vEnd - inner.vStart === 8 && EKU_PREFIX.every((x, i) => b[inner.vStart + i] === x);
        result.extKeyUsage.push(
          isKnownArc
            ? (EKU_NAMES[`1.3.6.1.5.5.7.3.${last}`] ?? oidAt(inner))
            : (EKU_NAMES[oidAt(inner)] ?? oidAt(inner)),
        );
      }
    }
  }
  return result;
}

function sameBytes(b: Buffer, a1: number, a2: number, b1: number, b2: number): boolean {
  return a2 - a1 === b2 - b1 && b.compare(b, b1, b2, a1, a2) === 0;
}

function serialHex(c: Cursor): string {
  let s = c.vStart;
  while (s < c.vEnd - 1 && c.buf[s] === 0) s++;
  return c.buf.toString('hex', s, c.vEnd).toUpperCase();
}

/** The fast reader. Throws DerError on anything it does not understand. */
export function readFast(der: Uint8Array, fingerprint: string): CertFacts {
  const buf = Buffer.isBuffer(der) ? der : Buffer.from(der.buffer, der.byteOffset, der.byteLength);
  const cert = new Cursor(buf, 0, buf.length).next(0x30).inside();
  const tbs = cert.next(0x30).inside();
  tbs.next();
  if (tbs.tag === 0xa0) tbs.next(); // [0] version
  if (tbs.tag !== 0x02 || tbs.vEnd === tbs.vStart) throw new DerError('bad serial');
  const serial = serialHex(tbs);
  tbs.next(0x30); // signature AlgorithmIdentifier
  const issuer = tbs.next(0x30);
  const issuerName = readName(issuer);
  const [is, ie] = [issuer.start, issuer.vEnd];
  const validity = tbs.next(0x30).inside();
  const notBefore = timeAt(validity.next());
  const notAfter = timeAt(validity.next());
  const subject = tbs.next(0x30);
  const subjectName = readName(subject);
  const selfSigned = sameBytes(buf, is, ie, subject.start, subject.vEnd);
  tbs.next(0x30); // subjectPublicKeyInfo
  let ext: Extensions = { isCA: false, sans: [], extKeyUsage: [] };
  while (tbs.more()) {
    if (tbs.next().tag === 0xa3) ext = readExtensions(tbs);
  }
  return {
    subject: subjectName.text,
    commonName: subjectName.cn,
    organizations: subjectName.o,
    issuer: issuerName.text,
    sans: ext.sans,
    serial,
    fingerprintSha256: fingerprint,
    notBefore,
    notAfter,
    isCA: ext.isCA,
    selfSigned,
    extKeyUsage: ext.extKeyUsage,
  };
}

export function sha256Hex(der: Uint8Array): string {
  return hash('sha256', der, 'hex');
}

/** DER bytes of exactly one certificate → facts or a message. Never throws. */
export function parseCertificateDer(der: Uint8Array): ParseResult {
  const fingerprint = sha256Hex(der);
  try {
    return { ok: true, facts: readFast(der, fingerprint) };
  } catch (fastErr) {
    try {
      return { ok: true, facts: readFallback(new X509Certificate(der), fingerprint) };
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      const fast = fastErr instanceof Error ? fastErr.message : String(fastErr);
      return { ok: false, message: `not an X.509 certificate: ${why} (${fast})` };
    }
  }
}
