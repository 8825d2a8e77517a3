// DER bytes → CertFacts. A fast reader for the fields certdrift reports, with Node's
// crypto.X509Certificate as the authority whenever the fast reader declines a certificate.
// Why not X509Certificate alone: with OpenSSL 3 its constructor costs 85–140 µs per certificate
// on the reference machine (public-key decoding), 1.3 s for a 10,000-certificate node against a
// 0.3 s budget. The fast path is differential-tested against X509Certificate (x509.test.ts).
// Never throws: every outcome is a value.

import { X509Certificate, createHash } from 'node:crypto';
import type { CertFacts } from '../model.js';
import {
  DerError,
  children,
  decodeIntegerHex,
  decodeOid,
  decodeString,
  decodeTime,
  expectTlv,
  readTlv,
  type Tlv,
} from './der.js';
import { readFallback } from './x509-fallback.js';
import { EKU_NAMES } from './oids.js';

export type ParseResult = { ok: true; facts: CertFacts } | { ok: false; message: string };

const ATTRIBUTE_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.5': 'serialNumber',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'emailAddress',
};


interface Name {
  text: string;
  cn: string;
  o: string[];
}

function readName(buf: Uint8Array, name: Tlv): Name {
  const parts: string[] = [];
  let cn = '';
  const o: string[] = [];
  for (const rdn of children(buf, name)) {
    if (rdn.tag !== 0x31) throw new DerError('RDN is not a SET');
    for (const atv of children(buf, rdn)) {
      const [typeTlv, valueTlv] = children(buf, atv);
      if (!typeTlv || !valueTlv) throw new DerError('short AttributeTypeAndValue');
      const oid = decodeOid(buf, typeTlv);
      const value = decodeString(buf, valueTlv);
      const key = ATTRIBUTE_NAMES[oid] ?? oid;
      parts.push(`${key}=${value}`);
      if (key === 'CN' && cn === '') cn = value;
      if (key === 'O') o.push(value);
    }
  }
  return { text: parts.join(', '), cn, o };
}

function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) {
      groups.push((((bytes[i] as number) << 8) | (bytes[i + 1] as number)).toString(16));
    }
    return groups.join(':');
  }
  return `<ip of ${bytes.length} bytes>`;
}

function readSans(buf: Uint8Array, seq: Tlv): string[] {
  const out: string[] = [];
  for (const gn of children(buf, seq)) {
    const value = buf.subarray(gn.valueStart, gn.end);
    switch (gn.tag) {
      case 0x81:
        out.push(`email:${decodeString(buf, gn)}`);
        break;
      case 0x82:
        out.push(`DNS:${decodeString(buf, gn)}`);
        break;
      case 0x86:
        out.push(`URI:${decodeString(buf, gn)}`);
        break;
      case 0x87:
        out.push(`IP:${formatIp(value)}`);
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

function readExtensions(buf: Uint8Array, wrapper: Tlv): Extensions {
  const result: Extensions = { isCA: false, sans: [], extKeyUsage: [] };
  const [seq] = children(buf, wrapper);
  if (seq?.tag !== 0x30) throw new DerError('extensions are not a SEQUENCE');
  for (const ext of children(buf, seq)) {
    const parts = children(buf, ext);
    const first = parts[0];
    const last = parts[parts.length - 1];
    if (!first || !last || last.tag !== 0x04) throw new DerError('bad Extension');
    const oid = decodeOid(buf, first);
    const inner = readTlv(buf, last.valueStart, last.end);
    if (oid === '2.5.29.19') {
      const bc = children(buf, inner);
      const flag = bc[0];
      result.isCA = flag?.tag === 0x01 && buf[flag.valueStart] !== 0;
    } else if (oid === '2.5.29.17') {
      result.sans = readSans(buf, inner);
    } else if (oid === '2.5.29.37') {
      result.extKeyUsage = children(buf, inner).map((t) => {
        const o = decodeOid(buf, t);
        return EKU_NAMES[o] ?? o;
      });
    }
  }
  return result;
}

function sameBytes(buf: Uint8Array, a: Tlv, b: Tlv): boolean {
  if (a.end - a.start !== b.end - b.start) return false;
  for (let i = 0; i < a.end - a.start; i++) if (buf[a.start + i] !== buf[b.start + i]) return false;
  return true;
}

/** The fast reader. Throws DerError on anything it does not understand. */
export function readFast(der: Uint8Array, fingerprint: string): CertFacts {
  const cert = expectTlv(der, 0, 0x30);
  const [tbs] = children(der, cert);
  if (tbs?.tag !== 0x30) throw new DerError('no tbsCertificate');
  const fields = children(der, tbs);
  let i = fields[0]?.tag === 0xa0 ? 1 : 0;
  const serialTlv = fields[i++];
  i++; // signature AlgorithmIdentifier
  const issuerTlv = fields[i++];
  const validityTlv = fields[i++];
  const subjectTlv = fields[i++];
  i++; // subjectPublicKeyInfo
  if (!serialTlv || !issuerTlv || !validityTlv || !subjectTlv || i > fields.length) {
    throw new DerError('tbsCertificate too short');
  }
  const [nb, na] = children(der, validityTlv);
  if (!nb || !na) throw new DerError('bad validity');
  const extTlv = fields.slice(i).find((t) => t.tag === 0xa3);
  const ext = extTlv ? readExtensions(der, extTlv) : { isCA: false, sans: [], extKeyUsage: [] };
  const subject = readName(der, subjectTlv);
  const issuer = readName(der, issuerTlv);
  return {
    subject: subject.text,
    commonName: subject.cn,
    organizations: subject.o,
    issuer: issuer.text,
    sans: ext.sans,
    serial: decodeIntegerHex(der, serialTlv),
    fingerprintSha256: fingerprint,
    notBefore: decodeTime(der, nb),
    notAfter: decodeTime(der, na),
    isCA: ext.isCA,
    selfSigned: sameBytes(der, issuerTlv, subjectTlv),
    extKeyUsage: ext.extKeyUsage,
  };
}

export function sha256Hex(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
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
