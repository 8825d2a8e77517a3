// A forward-only DER cursor for the hot path: reads one TLV at a time inside a window, without
// allocating arrays of children. Throws DerError on anything malformed (callers catch).

import { DerError } from './der.js';

export class Cursor {
  /** identifier octet, value bounds of the TLV last read by next() */
  tag = 0;
  start = 0;
  vStart = 0;
  vEnd = 0;

  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly end: number,
  ) {}

  more(): boolean {
    return this.pos < this.end;
  }

  /** Reads the next TLV (checking its tag when given) and steps over it. */
  next(expect = -1): this {
    const b = this.buf;
    let p = this.pos;
    if (p + 2 > this.end) throw new DerError(`truncated header at ${p}`);
    const tag = b[p] as number;
    if ((tag & 0x1f) === 0x1f) throw new DerError(`multi-byte tag at ${p}`);
    if (expect >= 0 && tag !== expect)
      throw new DerError(
        `expected tag 0x${expect.toString(16)} at ${p}, got 0x${tag.toString(16)}`,
      );
    let len = b[p + 1] as number;
    this.start = p;
    p += 2;
    if (len >= 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 4) throw new DerError(`unsupported length at ${this.start}`);
      if (p + n > this.end) throw new DerError(`truncated length at ${this.start}`);
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + (b[p + i] as number);
      p += n;
    }
    if (p + len > this.end) throw new DerError(`value overruns its container at ${this.start}`);
    this.tag = tag;
    this.vStart = p;
    this.vEnd = p + len;
    this.pos = p + len;
    return this;
  }

  /** A cursor over the value of the TLV last read. */
  inside(): Cursor {
    return new Cursor(this.buf, this.vStart, this.vEnd);
  }

  /** Whether the value of the TLV last read equals these bytes (OID comparisons). */
  valueIs(bytes: readonly number[]): boolean {
    if (this.vEnd - this.vStart !== bytes.length) return false;
    for (let i = 0; i < bytes.length; i++) if (this.buf[this.vStart + i] !== bytes[i]) return false;
    return true;
  }
}

const digit = (b: Buffer, i: number): number => {
  const d = (b[i] as number) - 48;
  if (d < 0 || d > 9) throw new DerError('bad digit in time');
  return d;
};
const two = (b: Buffer, i: number): number => digit(b, i) * 10 + digit(b, i + 1);

/** UTCTime or GeneralizedTime (Zulu, optional seconds, GeneralizedTime fraction ignored). */
export function timeAt(c: Cursor): Date {
  const b = c.buf;
  let p = c.vStart;
  const len = c.vEnd - p;
  let year: number;
  if (c.tag === 23 && (len === 13 || len === 11)) {
    const yy = two(b, p);
    year = yy < 50 ? 2000 + yy : 1900 + yy;
    p += 2;
  } else if (c.tag === 24 && len >= 13) {
    year = two(b, p) * 100 + two(b, p + 2);
    p += 4;
  } else throw new DerError('bad time');
  const month = two(b, p);
  const day = two(b, p + 2);
  const hour = two(b, p + 4);
  const min = two(b, p + 6);
  const hasSec = b[p + 8] !== 0x5a; // 'Z'
  const sec = hasSec ? two(b, p + 8) : 0;
  if (b[c.vEnd - 1] !== 0x5a) throw new DerError('time is not Zulu');
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
    throw new DerError('bad time');
  return new Date(Date.UTC(year, month - 1, day, hour, min, sec));
}
