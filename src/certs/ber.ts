// A bounds-checked BER walker for the containers certificates travel in (PKCS#7, PKCS#12, DER
// concatenations): definite and indefinite lengths, high tag numbers, constructed strings.
// It only finds extents; certificates themselves go to x509.ts. Throws DerError on anything
// malformed; nesting is capped so hostile input cannot exhaust the stack.

import { DerError } from './der.js';

export interface BerTlv {
  /** the first identifier octet (class, constructed bit, low tag number) */
  tag: number;
  constructed: boolean;
  start: number;
  valueStart: number;
  /** end of the contents (before the end-of-contents octets of an indefinite length) */
  valueEnd: number;
  /** end of the whole TLV */
  end: number;
}

const MAX_DEPTH = 32;

export function readBer(buf: Uint8Array, offset: number, limit = buf.length, depth = 0): BerTlv {
  if (depth > MAX_DEPTH) throw new DerError('nested too deeply');
  let p = offset;
  if (p + 2 > limit) throw new DerError(`truncated header at ${offset}`);
  const tag = buf[p++] as number;
  if ((tag & 0x1f) === 0x1f) {
    // high tag number: base-128 octets, the last without the top bit
    let n = 0;
    while (p < limit && ((buf[p] as number) & 0x80) !== 0 && n < 4) {
      p++;
      n++;
    }
    if (p >= limit || n >= 4) throw new DerError(`bad tag at ${offset}`);
    p++;
  }
  if (p >= limit) throw new DerError(`truncated length at ${offset}`);
  const first = buf[p++] as number;
  const constructed = (tag & 0x20) !== 0;
  if (first === 0x80) {
    if (!constructed) throw new DerError(`indefinite length on a primitive at ${offset}`);
    let q = p;
    for (;;) {
      if (q + 2 > limit) throw new DerError(`no end-of-contents for ${offset}`);
      if (buf[q] === 0 && buf[q + 1] === 0)
        return { tag, constructed, start: offset, valueStart: p, valueEnd: q, end: q + 2 };
      q = readBer(buf, q, limit, depth + 1).end;
    }
  }
  let length = first;
  if (first > 0x80) {
    const n = first & 0x7f;
    if (n > 4) throw new DerError(`length too large at ${offset}`);
    if (p + n > limit) throw new DerError(`truncated length at ${offset}`);
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + (buf[p + i] as number);
    p += n;
  }
  const end = p + length;
  if (end > limit) throw new DerError(`value overruns its container at ${offset}`);
  return { tag, constructed, start: offset, valueStart: p, valueEnd: end, end };
}

/** The TLVs directly inside a constructed one. */
export function berChildren(buf: Uint8Array, parent: BerTlv, depth = 0): BerTlv[] {
  const out: BerTlv[] = [];
  for (let p = parent.valueStart; p < parent.valueEnd;) {
    const child = readBer(buf, p, parent.valueEnd, depth + 1);
    out.push(child);
    p = child.end;
  }
  return out;
}

/** The octets of an OCTET STRING, joined when BER splits it into constructed pieces. */
export function berOctets(buf: Uint8Array, tlv: BerTlv, depth = 0): Uint8Array {
  if (!tlv.constructed) return buf.subarray(tlv.valueStart, tlv.valueEnd);
  if (depth > MAX_DEPTH) throw new DerError('nested too deeply');
  return Buffer.concat(berChildren(buf, tlv).map((c) => berOctets(buf, c, depth + 1)));
}

/** Whether the TLV is an OBJECT IDENTIFIER with exactly these content octets. */
export function isOid(buf: Uint8Array, tlv: BerTlv | undefined, oid: readonly number[]): boolean {
  if (!tlv || tlv.tag !== 0x06 || tlv.valueEnd - tlv.valueStart !== oid.length) return false;
  for (let i = 0; i < oid.length; i++) if (buf[tlv.valueStart + i] !== oid[i]) return false;
  return true;
}

/** 1.2.840.113549.1.<rest>: the PKCS arc. */
export const pkcsOid = (...rest: number[]): number[] => [
  0x2a,
  0x86,
  0x48,
  0x86,
  0xf7,
  0x0d,
  0x01,
  ...rest,
];
