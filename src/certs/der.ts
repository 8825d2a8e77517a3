// A minimal, bounds-checked DER reader: tag/length/value walking, OIDs, strings and times.
// Just what reading X.509 certificates needs; no encoder, no BER indefinite lengths.
// Every failure throws DerError, which callers in this folder turn into data.

export class DerError extends Error {}

export interface Tlv {
  /** the whole identifier octet, e.g. 0x30 for SEQUENCE, 0xa3 for [3] constructed */
  tag: number;
  /** offset of the identifier octet */
  start: number;
  /** offset of the first value octet */
  valueStart: number;
  /** offset just past the value */
  end: number;
}

export function readTlv(buf: Uint8Array, offset: number, limit = buf.length): Tlv {
  if (offset + 2 > limit) throw new DerError(`truncated header at ${offset}`);
  const tag = buf[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw new DerError(`multi-byte tag at ${offset}`);
  let lenByte = buf[offset + 1] as number;
  let pos = offset + 2;
  let length: number;
  if (lenByte < 0x80) {
    length = lenByte;
  } else {
    lenByte &= 0x7f;
    if (lenByte === 0) throw new DerError(`indefinite length at ${offset}`);
    if (lenByte > 4) throw new DerError(`length too large at ${offset}`);
    if (pos + lenByte > limit) throw new DerError(`truncated length at ${offset}`);
    length = 0;
    for (let i = 0; i < lenByte; i++) length = length * 256 + (buf[pos + i] as number);
    pos += lenByte;
  }
  const end = pos + length;
  if (end > limit) throw new DerError(`value overruns its container at ${offset}`);
  return { tag, start: offset, valueStart: pos, end };
}

/** Reads the TLV at `offset` and checks its tag. */
export function expectTlv(buf: Uint8Array, offset: number, tag: number, limit = buf.length): Tlv {
  const tlv = readTlv(buf, offset, limit);
  if (tlv.tag !== tag) {
    throw new DerError(
      `expected tag 0x${tag.toString(16)} at ${offset}, got 0x${tlv.tag.toString(16)}`,
    );
  }
  return tlv;
}

/** The TLVs directly inside a constructed value. */
export function children(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let pos = parent.valueStart;
  while (pos < parent.end) {
    const child = readTlv(buf, pos, parent.end);
    out.push(child);
    pos = child.end;
  }
  return out;
}

export function decodeOid(buf: Uint8Array, tlv: Tlv): string {
  if (tlv.tag !== 0x06 || tlv.end === tlv.valueStart) throw new DerError('bad OID');
  const parts: number[] = [];
  let value = 0;
  for (let i = tlv.valueStart; i < tlv.end; i++) {
    const b = buf[i] as number;
    value = value * 128 + (b & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new DerError('OID arc too large');
    if ((b & 0x80) === 0) {
      if (parts.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        parts.push(first, value - first * 40);
      } else {
        parts.push(value);
      }
      value = 0;
    }
  }
  if ((buf[tlv.end - 1] as number) & 0x80) throw new DerError('OID ends mid-arc');
  return parts.join('.');
}

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

/** Decodes the directory-string types used in names and alternative names. */
export function decodeString(buf: Uint8Array, tlv: Tlv): string {
  const bytes = buf.subarray(tlv.valueStart, tlv.end);
  switch (tlv.tag & 0x1f) {
    case 12: // UTF8String
      return utf8.decode(bytes);
    case 30: {
      // BMPString, UTF-16BE
      let s = '';
      for (let i = 0; i + 1 < bytes.length; i += 2) {
        s += String.fromCharCode(((bytes[i] as number) << 8) | (bytes[i + 1] as number));
      }
      return s;
    }
    case 28: {
      // UniversalString, UTF-32BE
      let s = '';
      for (let i = 0; i + 3 < bytes.length; i += 4) {
        const cp =
          (bytes[i] as number) * 0x1000000 +
          (((bytes[i + 1] as number) << 16) |
            ((bytes[i + 2] as number) << 8) |
            (bytes[i + 3] as number));
        s += cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
      }
      return s;
    }
    default:
      // PrintableString, IA5String, VisibleString, T61String, NumericString and the
      // implicitly tagged IA5 names in subjectAltName: single-byte encodings.
      return latin1.decode(bytes);
  }
}

/** UTCTime (tag 23) or GeneralizedTime (tag 24), Zulu only as DER requires. */
export function decodeTime(buf: Uint8Array, tlv: Tlv): Date {
  const s = latin1.decode(buf.subarray(tlv.valueStart, tlv.end));
  let m: RegExpExecArray | null;
  let year: number;
  if (tlv.tag === 23 && (m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)?Z$/.exec(s))) {
    const yy = Number(m[1]);
    year = yy < 50 ? 2000 + yy : 1900 + yy;
  } else if (
    tlv.tag === 24 &&
    (m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)?(?:\.\d+)?Z$/.exec(s))
  ) {
    year = Number(m[1]);
  } else {
    throw new DerError(`bad time ${JSON.stringify(s)}`);
  }
  const ms = Date.UTC(
    year,
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[4]),
    Number(m[5]),
    Number(m[6] ?? 0),
  );
  if (Number.isNaN(ms)) throw new DerError(`bad time ${JSON.stringify(s)}`);
  return new Date(ms);
}

/** INTEGER as upper-case hex without leading zero octets (the way OpenSSL prints serials). */
export function decodeIntegerHex(buf: Uint8Array, tlv: Tlv): string {
  if (tlv.tag !== 0x02 || tlv.end === tlv.valueStart) throw new DerError('bad INTEGER');
  let i = tlv.valueStart;
  while (i < tlv.end - 1 && buf[i] === 0) i++;
  let hex = '';
  for (; i < tlv.end; i++) hex += (buf[i] as number).toString(16).padStart(2, '0');
  return hex.toUpperCase();
}
