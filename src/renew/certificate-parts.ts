// A certificate taken apart into the pieces a renewal reuses: the subject, issuer and public key
// exactly as encoded, the extensions in their order (value bytes untouched), the dates and the
// key identifiers. Renewing copies these bytes rather than re-encoding them, so nothing the old
// certificate said (string types, name order, usages, alternative names) can drift. Pure; bad
// data is a `{ ok: false }` result, never a throw.

import { children, decodeOid, DerError, expectTlv, readTlv, type Tlv } from '../certs/der.js';

export interface Extension {
  oid: string;
  critical: boolean;
  /** the extnValue OCTET STRING's contents (the extension's own DER) */
  value: Uint8Array;
}

export interface CertificateParts {
  der: Uint8Array;
  serial: Uint8Array;
  /** Name, as encoded (TLV) */
  issuer: Uint8Array;
  subject: Uint8Array;
  /** SubjectPublicKeyInfo, as encoded (TLV) */
  spki: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  extensions: Extension[];
  /** the signature algorithm OID the issuer used */
  signatureOid: string;
  subjectKeyId?: Uint8Array;
  authorityKeyId?: Uint8Array;
  isCA: boolean;
}

export const OID = {
  subjectKeyId: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyId: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
} as const;

function readTime(buf: Uint8Array, t: Tlv): Date {
  const s = new TextDecoder('latin1').decode(buf.subarray(t.valueStart, t.end));
  const m =
    t.tag === 0x17
      ? /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s)
      : t.tag === 0x18
        ? /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s)
        : null;
  if (!m) throw new DerError(`unreadable time ${JSON.stringify(s)}`);
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const year = t.tag === 0x17 ? (y < 50 ? 2000 + y : 1900 + y) : y;
  return new Date(Date.UTC(year, mo - 1, d, h, mi, se));
}

const bytesOf = (buf: Uint8Array, t: Tlv): Uint8Array => buf.slice(t.start, t.end);
const valueOf = (buf: Uint8Array, t: Tlv): Uint8Array => buf.slice(t.valueStart, t.end);

function readExtensions(buf: Uint8Array, wrapper: Tlv): Extension[] {
  const list = expectTlv(buf, wrapper.valueStart, 0x30, wrapper.end);
  return children(buf, list).map((e) => {
    const parts = children(buf, e);
    const [oidTlv, second, third] = parts;
    if (!oidTlv || !second) throw new DerError('short extension');
    const critical = second.tag === 0x01 ? buf[second.valueStart] !== 0 : false;
    const value = second.tag === 0x01 ? third : second;
    if (value?.tag !== 0x04) throw new DerError('extension without a value');
    return { oid: decodeOid(buf, oidTlv), critical, value: valueOf(buf, value) };
  });
}

/** SubjectKeyIdentifier ::= OCTET STRING; AuthorityKeyIdentifier ::= SEQUENCE { [0] keyid, … } */
function keyIds(exts: Extension[]): { skid?: Uint8Array; akid?: Uint8Array; isCA: boolean } {
  const out: { skid?: Uint8Array; akid?: Uint8Array; isCA: boolean } = { isCA: false };
  for (const e of exts) {
    const v = e.value;
    if (e.oid === OID.subjectKeyId) out.skid = valueOf(v, expectTlv(v, 0, 0x04));
    if (e.oid === OID.authorityKeyId) {
      const seq = expectTlv(v, 0, 0x30);
      const id = children(v, seq).find((c) => c.tag === 0x80);
      if (id) out.akid = valueOf(v, id);
    }
    if (e.oid === OID.basicConstraints) {
      const seq = expectTlv(v, 0, 0x30);
      const first = children(v, seq)[0];
      out.isCA = first?.tag === 0x01 && v[first.valueStart] !== 0;
    }
  }
  return out;
}

export type PartsResult = { ok: true; parts: CertificateParts } | { ok: false; message: string };

export function readCertificateParts(der: Uint8Array): PartsResult {
  try {
    const cert = expectTlv(der, 0, 0x30);
    if (cert.end !== der.length) throw new DerError('trailing bytes after the certificate');
    const [tbs, sigAlg] = children(der, cert);
    if (tbs?.tag !== 0x30 || sigAlg?.tag !== 0x30) throw new DerError('not a certificate');
    let fields = children(der, tbs);
    if (fields[0]?.tag === 0xa0) fields = fields.slice(1);
    const [serial, , issuer, validity, subject, spki, ...rest] = fields;
    if (!serial || !issuer || !validity || !subject || !spki) throw new DerError('short TBS');
    const [nb, na] = children(der, validity);
    if (!nb || !na) throw new DerError('bad validity');
    const extWrapper = rest.find((t) => t.tag === 0xa3);
    const extensions = extWrapper ? readExtensions(der, extWrapper) : [];
    const ids = keyIds(extensions);
    const sigOid = decodeOid(der, readTlv(der, sigAlg.valueStart, sigAlg.end));
    return {
      ok: true,
      parts: {
        der: der.slice(),
        serial: valueOf(der, serial),
        issuer: bytesOf(der, issuer),
        subject: bytesOf(der, subject),
        spki: bytesOf(der, spki),
        notBefore: readTime(der, nb),
        notAfter: readTime(der, na),
        extensions,
        signatureOid: sigOid,
        ...(ids.skid ? { subjectKeyId: ids.skid } : {}),
        ...(ids.akid ? { authorityKeyId: ids.akid } : {}),
        isCA: ids.isCA,
      },
    };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
