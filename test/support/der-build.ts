// Hand-built certificates for the odd cases no certificate library will write: negative and
// padded serials, any GeneralizedTime year, impossible dates, v1, string types of every kind,
// BER encodings. Signed for real with Ed25519 (openssl does not check the signature to print
// a certificate, but a test should not depend on that).

import { createHash, createPrivateKey, createPublicKey, sign } from 'node:crypto';

export function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, ...parts: Uint8Array[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
}

export const seq = (...p: Uint8Array[]): Buffer => tlv(0x30, ...p);
export const set = (...p: Uint8Array[]): Buffer => tlv(0x31, ...p);

export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [];
  const push = (v: number): void => {
    const chunk = [v & 0x7f];
    for (let x = Math.floor(v / 128); x > 0; x = Math.floor(x / 128))
      chunk.unshift(0x80 | (x & 0x7f));
    out.push(...chunk);
  };
  push((arcs[0] ?? 0) * 40 + (arcs[1] ?? 0));
  for (const a of arcs.slice(2)) push(a);
  return tlv(0x06, Buffer.from(out));
}

/** INTEGER with exactly these content octets (padding is the caller's choice). */
export const intRaw = (octets: number[] | Buffer): Buffer => tlv(0x02, Buffer.from(octets));
export const str = (tag: number, v: string | Buffer): Buffer =>
  tlv(tag, typeof v === 'string' ? Buffer.from(v, 'utf8') : v);
export const utc = (text: string): Buffer => tlv(0x17, Buffer.from(text, 'latin1'));
export const gen = (text: string): Buffer => tlv(0x18, Buffer.from(text, 'latin1'));

export type Atv = [type: string, value: Buffer];
/** A Name from RDNs, each a list of (attribute OID, encoded value) pairs. */
export function name(...rdns: Atv[][]): Buffer {
  return seq(...rdns.map((rdn) => set(...sortDer(rdn.map(([t, v]) => seq(oid(t), v))))));
}
const sortDer = (xs: Buffer[]): Buffer[] => [...xs].sort((x, y) => Buffer.compare(x, y));
export const cn = (v: string): Atv[] => [['2.5.4.3', str(0x0c, v)]];

export function extension(id: string, value: Buffer, critical = false): Buffer {
  return seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));
}
export const basicConstraints = (ca: boolean): Buffer =>
  extension('2.5.29.19', seq(...(ca ? [tlv(0x01, Buffer.from([0xff]))] : [])), true);
export const extKeyUsage = (...oids: string[]): Buffer =>
  extension('2.5.29.37', seq(...oids.map(oid)));
/** SAN entries as [tag, octets]: 0x82 DNS, 0x87 IP, 0x81 email, 0x86 URI. */
export const subjectAltName = (...names: [number, Buffer][]): Buffer =>
  extension('2.5.29.17', seq(...names.map(([t, v]) => tlv(t, v))));

export interface CertSpec {
  /** omitted: a v1 certificate without the [0] version field */
  version?: number;
  serial: Buffer;
  issuer?: Buffer;
  subject: Buffer;
  notBefore: Buffer;
  notAfter: Buffer;
  extensions?: Buffer[];
}

const KEY = createPrivateKey({
  key: Buffer.concat([
    Buffer.from('302e020100300506032b657004220420', 'hex'),
    createHash('sha256').update('der-build').digest(),
  ]),
  format: 'der',
  type: 'pkcs8',
});
const SPKI = createPublicKey(KEY).export({ format: 'der', type: 'spki' });
const ED25519 = seq(oid('1.3.101.112'));

export function tbsOf(spec: CertSpec): Buffer {
  return seq(
    ...(spec.version === undefined ? [] : [tlv(0xa0, intRaw([spec.version]))]),
    spec.serial,
    ED25519,
    spec.issuer ?? spec.subject,
    seq(spec.notBefore, spec.notAfter),
    spec.subject,
    SPKI,
    ...(spec.extensions && spec.extensions.length > 0 ? [tlv(0xa3, seq(...spec.extensions))] : []),
  );
}

/** Certificate DER around a TBSCertificate encoding (which may be BER on purpose). */
export function certOf(tbs: Buffer): Buffer {
  const sig = sign(null, tbs, KEY);
  return seq(tbs, ED25519, tlv(0x03, Buffer.concat([Buffer.from([0]), sig])));
}

export const buildCert = (spec: CertSpec): Buffer => certOf(tbsOf(spec));

/** The same SEQUENCE with an indefinite length (BER): 30 80 … 00 00. */
export function indefinite(der: Buffer): Buffer {
  const lenOctets = (der[1] as number) < 0x80 ? 1 : 1 + ((der[1] as number) & 0x7f);
  return Buffer.concat([
    Buffer.from([der[0] as number, 0x80]),
    der.subarray(1 + lenOctets),
    Buffer.alloc(2),
  ]);
}

/** The same TLV with its length written in a padded long form (BER, not DER). */
export function paddedLength(der: Buffer): Buffer {
  const lenOctets = (der[1] as number) < 0x80 ? 1 : 1 + ((der[1] as number) & 0x7f);
  const body = der.subarray(1 + lenOctets);
  const l = body.length;
  return Buffer.concat([
    Buffer.from([
      der[0] as number,
      0x84,
      (l >>> 24) & 0xff,
      (l >>> 16) & 0xff,
      (l >>> 8) & 0xff,
      l & 0xff,
    ]),
    body,
  ]);
}
