// A minimal, bounds-checked DER reader: tag/length/value walking, OIDs, strings and serials.
// Just what reading X.509 certificates needs; BER indefinite lengths are ber.ts's business.
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

/**
 * INTEGER content octets as OpenSSL prints a serial (`i2a_ASN1_INTEGER`): upper-case hex of the
 * magnitude, two digits per octet, `-` for negative numbers. Throws on the encodings OpenSSL
 * refuses to decode (empty, or padded with a redundant 00/FF octet).
 */
export function formatSerial(buf: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n <= 0) throw new DerError('empty INTEGER');
  const b0 = buf[start] as number;
  const negative = (b0 & 0x80) !== 0;
  if (n > 1) {
    const b1 = buf[start + 1] as number;
    if ((b0 === 0 && (b1 & 0x80) === 0) || (b0 === 0xff && (b1 & 0x80) !== 0))
      throw new DerError('INTEGER with redundant padding');
  }
  let i = start;
  if (!negative) {
    if (b0 === 0 && n > 1) i++;
    return Buffer.from(buf.buffer, buf.byteOffset + i, end - i)
      .toString('hex')
      .toUpperCase();
  }
  // Two's complement → magnitude: invert and add one, from the last octet up.
  const mag = new Uint8Array(n);
  let carry = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = (~(buf[start + k] as number) & 0xff) + carry;
    mag[k] = v & 0xff;
    carry = v >> 8;
  }
  let m = 0;
  while (m < n - 1 && mag[m] === 0) m++;
  return `-${Buffer.from(mag.subarray(m)).toString('hex').toUpperCase()}`;
}
