// DER bytes → CertFacts, every field as `openssl x509` reports it (test/differential). A fast
// reader for strict DER, with Node's crypto.X509Certificate (OpenSSL) as the authority whenever
// the fast reader declines a certificate. Subject alternative names reported: DNS, IP, email
// and URI (what TLS name checks use); other GeneralName types are skipped by both readers.
// Why not X509Certificate alone: with OpenSSL 3 its constructor costs 85–140 µs per certificate
// on the reference machine (public-key decoding), 1.3 s for a 10,000-certificate node against a
// 0.3 s budget. The fast path is differential-tested against X509Certificate (x509.test.ts).
// Never throws: every outcome is a value.

import { X509Certificate, hash } from 'node:crypto';
import type { CertFacts } from '../model/index.js';
import { DerError, decodeOid, formatSerial } from './der.js';
import { Cursor, timeAt } from './der-cursor.js';
import { attributeName, decodeValue, escapeValue } from './dn-format.js';
import { BadTimeError, readFallback } from './x509-fallback.js';
import { EKU_NAMES } from './oids.js';
import {
  OID_AUTHORITY_KEY_ID,
  OID_SUBJECT_KEY_ID,
  readAuthorityKeyId,
  readSubjectKeyId,
} from './key-ids.js';

export type ParseResult =
  | { ok: true; facts: CertFacts }
  | { ok: false; reason: 'cert_parse_error' | 'bad_time'; message: string };

const OID_BASIC_CONSTRAINTS = [0x55, 0x1d, 0x13];
const OID_SUBJECT_ALT_NAME = [0x55, 0x1d, 0x11];
const OID_EXT_KEY_USAGE = [0x55, 0x1d, 0x25];
const EKU_PREFIX = [0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03];

function oidAt(c: Cursor): string {
  return decodeOid(c.buf, { tag: c.tag, start: c.start, valueStart: c.vStart, end: c.vEnd });
}

interface Name {
  text: string;
  cn: string;
  o: string[];
}

/**
 * A Name in OpenSSL's words (dn-format.ts); CN and O values unescaped for classification.
 * The text is joined once (one flat string, not a rope of its pieces that a certificate would
 * keep alive: 4 ropes and their pieces per certificate were 2 MB of a 10,000-certificate scan's
 * heap) and the O list is exactly as long as it is (an array grown by push keeps room for 17).
 */
function readName(name: Cursor): Name {
  const parts: string[] = [];
  let cn = '';
  let o: string[] | undefined;
  const rdns = name.inside();
  while (rdns.more()) {
    const set = rdns.next(0x31).inside();
    let first = true;
    while (set.more()) {
      const atv = set.next(0x30).inside();
      atv.next(0x06);
      const key = attributeName(atv.buf, atv.vStart, atv.vEnd);
      atv.next();
      const value = decodeValue(atv.buf, atv.tag, atv.vStart, atv.vEnd);
      if (atv.more()) throw new DerError('extra data in AttributeTypeAndValue');
      if (parts.length > 0) parts.push(first ? ', ' : ' + ');
      parts.push(key, '=', escapeValue(value));
      first = false;
      if (key === 'CN' && cn === '') cn = value;
      else if (key === 'O') o = o === undefined ? [value] : [...o, value];
    }
    if (first) throw new DerError('empty RDN'); // OpenSSL refuses an empty SET
  }
  return { text: parts.join(''), cn, o: o ?? [] };
}

/**
 * Issuer names read once per distinct name: a node's certificates come from a handful of CAs, so
 * 10,000 certificates share a few issuer strings instead of holding 10,000 copies. Keyed by the
 * Name's DER bytes (as Latin-1); bounded — cleared when full, names over 1 KiB never kept — so
 * hostile input costs at most 256 entries of at most 1 KiB of DER each.
 */
const ISSUER_MEMO = 256;
/** Larger names (real issuers are a few hundred bytes) are read each time, never kept. */
const ISSUER_MEMO_NAME_BYTES = 1024;
const issuerMemo = new Map<string, Name>();

function readIssuerName(name: Cursor): Name {
  if (name.vEnd - name.start > ISSUER_MEMO_NAME_BYTES) return readName(name);
  const key = name.buf.toString('latin1', name.start, name.vEnd);
  const known = issuerMemo.get(key);
  if (known !== undefined) return known;
  const read = readName(name);
  if (issuerMemo.size >= ISSUER_MEMO) issuerMemo.clear();
  issuerMemo.set(key, read);
  return read;
}

function formatIp(b: Buffer, s: number, e: number): string {
  if (e - s === 4) return `${b[s] ?? 0}.${b[s + 1] ?? 0}.${b[s + 2] ?? 0}.${b[s + 3] ?? 0}`;
  if (e - s === 16) {
    const groups: string[] = [];
    for (let i = s; i < e; i += 2)
      groups.push((((b[i] as number) << 8) | (b[i + 1] as number)).toString(16));
    return groups.join(':');
  }
  // OpenSSL's words for an address of another length (Node's fallback text omits the length).
  return `<invalid length=${e - s}>`;
}

/** IA5String as OpenSSL prints it: the octets as they are (read here as Latin-1). */
function ia5(c: Cursor): string {
  return c.buf.toString('latin1', c.vStart, c.vEnd);
}

function readSans(seq: Cursor): string[] {
  const out: string[] = [];
  while (seq.more()) {
    const gn = seq.next();
    switch (gn.tag) {
      case 0x81:
        out.push(`email:${ia5(gn)}`);
        break;
      case 0x82:
        out.push(`DNS:${ia5(gn)}`);
        break;
      case 0x86:
        out.push(`URI:${ia5(gn)}`);
        break;
      case 0x87:
        out.push(`IP:${formatIp(gn.buf, gn.vStart, gn.vEnd)}`);
        break;
      case 0xa0: // otherName
      case 0xa1: // x400Address
      case 0xa2: // directoryName
      case 0xa4:
      case 0xa5: // ediPartyName
      case 0x88: // registeredID
        break; // not reported (see the module header); the fallback skips them too
      default:
        throw new DerError(`GeneralName tag 0x${gn.tag.toString(16)}`);
    }
  }
  return exact(out);
}

/** The array without the spare room push left in it (kept per certificate: issue #25). */
const exact = <T>(a: T[]): T[] => (a.length === 0 ? a : a.slice());

interface Extensions {
  isCA: boolean;
  sans: string[];
  extKeyUsage: string[];
  subjectKeyId?: string;
  authorityKeyId?: string;
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
    const isSkid = !isBc && !isSan && !isEku && ext.valueIs(OID_SUBJECT_KEY_ID);
    const isAkid = !isBc && !isSan && !isEku && !isSkid && ext.valueIs(OID_AUTHORITY_KEY_ID);
    ext.next();
    if (ext.tag === 0x01) ext.next(); // critical flag
    if (ext.tag !== 0x04) throw new DerError('extension value is not an OCTET STRING');
    if (isSkid) {
      result.subjectKeyId = readSubjectKeyId(ext.inside());
      continue;
    }
    if (isAkid) {
      const a = readAuthorityKeyId(ext.inside());
      if (a !== undefined) result.authorityKeyId = a;
      continue;
    }
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

/** The fast reader. Throws DerError on anything it does not understand. */
export function readFast(der: Uint8Array, fingerprint: string): CertFacts {
  const buf = Buffer.isBuffer(der) ? der : Buffer.from(der.buffer, der.byteOffset, der.byteLength);
  const outer = new Cursor(buf, 0, buf.length).next(0x30);
  if (outer.more()) throw new DerError('data after the certificate');
  const cert = outer.inside();
  const tbs = cert.next(0x30).inside();
  cert.next(0x30).inside().next(0x06); // signatureAlgorithm
  cert.next(0x03); // signatureValue
  if (cert.more()) throw new DerError('extra data in Certificate');
  tbs.next();
  if (tbs.tag === 0xa0) {
    const v = tbs.inside().next(0x02);
    if (v.vEnd - v.vStart !== 1 || (v.buf[v.vStart] as number) > 2)
      throw new DerError('unusual version'); // OpenSSL has its own opinion: let it decide
    tbs.next();
  }
  if (tbs.tag !== 0x02) throw new DerError('bad serial');
  const serial = formatSerial(buf, tbs.vStart, tbs.vEnd);
  tbs.next(0x30); // signature AlgorithmIdentifier
  const issuer = tbs.next(0x30);
  const issuerName = readIssuerName(issuer);
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
    const tag = tbs.next().tag;
    if (tag === 0xa3) ext = readExtensions(tbs);
    else if (tag !== 0x81 && tag !== 0x82) throw new DerError('unexpected field in TBSCertificate');
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
    extKeyUsage: exact(ext.extKeyUsage),
    ...(ext.subjectKeyId !== undefined ? { subjectKeyId: ext.subjectKeyId } : {}),
    ...(ext.authorityKeyId !== undefined ? { authorityKeyId: ext.authorityKeyId } : {}),
  };
}

export function sha256Hex(der: Uint8Array): string {
  return hash('sha256', der, 'hex');
}

/**
 * The bytes of exactly one certificate → facts, or a reason and message. Strict DER goes the
 * fast way; anything else is OpenSSL's to judge (through X509Certificate). Never throws.
 */
export function parseCertificateDer(der: Uint8Array): ParseResult {
  let fastErr: unknown;
  try {
    return { ok: true, facts: readFast(der, sha256Hex(der)) };
  } catch (err) {
    fastErr = err;
  }
  let x: X509Certificate;
  try {
    x = new X509Certificate(der);
  } catch (err) {
    return {
      ok: false,
      reason: 'cert_parse_error',
      message: `not an X.509 certificate: ${messageOf(err)} (${messageOf(fastErr)})`,
    };
  }
  try {
    return { ok: true, facts: readFallback(x) };
  } catch (err) {
    if (err instanceof BadTimeError)
      return { ok: false, reason: 'bad_time', message: `impossible validity date: ${err.message}` };
    return { ok: false, reason: 'cert_parse_error', message: `unreadable: ${messageOf(err)}` };
  }
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));
