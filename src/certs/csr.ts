// PKCS#10 certificate requests (RFC 2986) → the facts an approver judges: the subject (in
// OpenSSL's words, plus every CN and O value), the requested subject alternative names by type,
// and the public key's algorithm. The signature is not checked here: the API server refuses a
// CSR whose signature does not verify when it is created (pkg/apis/certificates/validation:
// `csr.CheckSignature()`), so every stored request already passed that. Strict DER only, as Go's
// x509.ParseCertificateRequest reads it; anything else is a `{ok: false}` answer. Never throws.

import { DerError, decodeOid } from './der.js';
import { Cursor } from './der-cursor.js';
import { attributeName, decodeValue, escapeValue } from './dn-format.js';
import { parsePem } from './pem.js';

export interface CertificateRequestFacts {
  /** the subject as OpenSSL writes it (`CN=…, O=…`), values escaped */
  subject: string;
  /** every CN value, in order (a kubelet asks with exactly one) */
  commonNames: string[];
  /** every O value, in order */
  organizations: string[];
  dnsNames: string[];
  /** dotted IPv4 or full-form lower-case IPv6 (eight groups, no `::`) */
  ipAddresses: string[];
  emailAddresses: string[];
  uris: string[];
  /** GeneralName types other than the four above (otherName, directoryName, …) */
  otherNames: number;
  keyAlgorithm: 'rsa' | 'ecdsa' | 'ed25519' | 'other';
}

export type CsrParse =
  { ok: true; facts: CertificateRequestFacts } | { ok: false; message: string };

/** Kubernetes keeps requests small; a bigger one is refused rather than read. */
export const MAX_CSR_BYTES = 64 * 1024;
/** bound on names read from one request: far above what any kubelet asks for */
const MAX_NAMES = 256;

const OID_EXTENSION_REQUEST = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x0e];
const OID_SUBJECT_ALT_NAME = [0x55, 0x1d, 0x11];
const KEY_OIDS: Readonly<Record<string, CertificateRequestFacts['keyAlgorithm']>> = {
  '1.2.840.113549.1.1.1': 'rsa',
  '1.2.840.10045.2.1': 'ecdsa',
  '1.3.101.112': 'ed25519',
};

function oidText(c: Cursor): string {
  return decodeOid(c.buf, { tag: c.tag, start: c.start, valueStart: c.vStart, end: c.vEnd });
}

function readSubject(name: Cursor, facts: CertificateRequestFacts): void {
  const rdns = name.inside();
  let text = '';
  while (rdns.more()) {
    const set = rdns.next(0x31).inside();
    let first = true;
    while (set.more()) {
      const atv = set.next(0x30).inside();
      atv.next(0x06);
      let key: string;
      try {
        key = attributeName(atv.buf, atv.vStart, atv.vEnd);
      } catch {
        key = oidText(atv); // a type without an OpenSSL short name: shown by its OID
      }
      atv.next();
      const value = decodeValue(atv.buf, atv.tag, atv.vStart, atv.vEnd);
      if (atv.more()) throw new DerError('extra data in AttributeTypeAndValue');
      text += `${text === '' ? '' : first ? ', ' : ' + '}${key}=${escapeValue(value)}`;
      first = false;
      if (key === 'CN') facts.commonNames.push(value);
      else if (key === 'O') facts.organizations.push(value);
    }
    if (first) throw new DerError('empty RDN');
  }
  facts.subject = text;
}

function ipText(b: Buffer, s: number, e: number): string {
  if (e - s === 4) return `${b[s] ?? 0}.${b[s + 1] ?? 0}.${b[s + 2] ?? 0}.${b[s + 3] ?? 0}`;
  if (e - s !== 16) throw new DerError(`IP address of ${e - s} octets`);
  const groups: string[] = [];
  for (let i = s; i < e; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  return groups.join(':');
}

function readSans(seq: Cursor, facts: CertificateRequestFacts): void {
  while (seq.more()) {
    const gn = seq.next();
    if (
      facts.dnsNames.length +
        facts.ipAddresses.length +
        facts.emailAddresses.length +
        facts.uris.length +
        facts.otherNames >=
      MAX_NAMES
    )
      throw new DerError(`more than ${MAX_NAMES} subject alternative names`);
    const text = (): string => gn.buf.toString('latin1', gn.vStart, gn.vEnd);
    switch (gn.tag) {
      case 0x81:
        facts.emailAddresses.push(text());
        break;
      case 0x82:
        facts.dnsNames.push(text());
        break;
      case 0x86:
        facts.uris.push(text());
        break;
      case 0x87:
        facts.ipAddresses.push(ipText(gn.buf, gn.vStart, gn.vEnd));
        break;
      default:
        if ((gn.tag & 0x80) === 0) throw new DerError(`GeneralName tag 0x${gn.tag.toString(16)}`);
        facts.otherNames++;
    }
  }
}

function readAttributes(attrs: Cursor, facts: CertificateRequestFacts): void {
  let sawExtensions = false;
  while (attrs.more()) {
    const attr = attrs.next(0x30).inside();
    attr.next(0x06);
    const isExt = attr.valueIs(OID_EXTENSION_REQUEST);
    const values = attr.next(0x31).inside();
    if (attr.more()) throw new DerError('extra data in Attribute');
    if (!isExt) continue;
    if (sawExtensions) throw new DerError('two extensionRequest attributes');
    sawExtensions = true;
    const exts = values.next(0x30).inside();
    if (values.more()) throw new DerError('extensionRequest with several values');
    let sawSan = false;
    while (exts.more()) {
      const ext = exts.next(0x30).inside();
      ext.next(0x06);
      const isSan = ext.valueIs(OID_SUBJECT_ALT_NAME);
      ext.next();
      if (ext.tag === 0x01) ext.next();
      if (ext.tag !== 0x04) throw new DerError('extension value is not an OCTET STRING');
      if (ext.more()) throw new DerError('extra data in Extension');
      if (!isSan) continue;
      // Go's parser refuses a duplicated extension; so does this one.
      if (sawSan) throw new DerError('two subjectAltName extensions');
      sawSan = true;
      const gns = ext.inside().next(0x30);
      readSans(gns.inside(), facts);
    }
  }
}

function readRequest(der: Buffer): CertificateRequestFacts {
  const facts: CertificateRequestFacts = {
    subject: '',
    commonNames: [],
    organizations: [],
    dnsNames: [],
    ipAddresses: [],
    emailAddresses: [],
    uris: [],
    otherNames: 0,
    keyAlgorithm: 'other',
  };
  const outer = new Cursor(der, 0, der.length).next(0x30);
  if (outer.more()) throw new DerError('data after the request');
  const req = outer.inside();
  const info = req.next(0x30).inside();
  req.next(0x30); // signatureAlgorithm
  req.next(0x03); // signature
  if (req.more()) throw new DerError('extra data in CertificationRequest');
  const version = info.next(0x02);
  if (version.vEnd - version.vStart !== 1 || version.buf[version.vStart] !== 0)
    throw new DerError('version is not v1 (0)');
  readSubject(info.next(0x30), facts);
  const spki = info.next(0x30).inside();
  const alg = spki.next(0x30).inside();
  alg.next(0x06);
  facts.keyAlgorithm = KEY_OIDS[oidText(alg)] ?? 'other';
  spki.next(0x03);
  // attributes are [0] IMPLICIT SET OF Attribute: required by RFC 2986, often empty
  if (info.more()) readAttributes(info.next(0xa0).inside(), facts);
  if (info.more()) throw new DerError('extra data in CertificationRequestInfo');
  return facts;
}

/** DER bytes of one PKCS#10 request → its facts, or why not. Never throws. */
export function parseCertificateRequestDer(der: Uint8Array): CsrParse {
  if (der.length > MAX_CSR_BYTES)
    return { ok: false, message: `request of ${der.length} bytes (at most ${MAX_CSR_BYTES})` };
  try {
    const buf = Buffer.isBuffer(der)
      ? der
      : Buffer.from(der.buffer, der.byteOffset, der.byteLength);
    return { ok: true, facts: readRequest(buf) };
  } catch (err) {
    return { ok: false, message: `not a PKCS#10 request: ${(err as Error).message}` };
  }
}

/**
 * `spec.request` of a CertificateSigningRequest (PEM bytes, one `CERTIFICATE REQUEST` block, as
 * the API server requires) → its facts, or why not. Never throws.
 */
export function parseCertificateRequestPem(pem: Uint8Array): CsrParse {
  if (pem.length > MAX_CSR_BYTES * 2)
    return { ok: false, message: `request of ${pem.length} bytes (at most ${MAX_CSR_BYTES * 2})` };
  try {
    const { blocks } = parsePem(
      Buffer.from(pem.buffer, pem.byteOffset, pem.byteLength).toString('latin1'),
    );
    const first = blocks[0];
    if (!first) return { ok: false, message: 'no PEM block' };
    if (first.label !== 'CERTIFICATE REQUEST')
      return { ok: false, message: `a ${first.label} PEM block, not a CERTIFICATE REQUEST` };
    return parseCertificateRequestDer(first.der);
  } catch (err) {
    return { ok: false, message: `unreadable PEM: ${(err as Error).message}` };
  }
}
