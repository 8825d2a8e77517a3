// A forward-only DER cursor for the hot path: reads one TLV at a time inside a window, without
// allocating arrays of children. Strict DER only (minimal definite lengths, single-octet tags):
// anything else throws DerError and the caller falls back to OpenSSL, whose fingerprint of a
// non-DER certificate differs from a hash of the raw bytes.

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
      // DER: the shortest form only (BER's padded lengths are re-encoded by OpenSSL).
      if (len < 0x80 || b[p] === 0) throw new DerError(`non-minimal length at ${this.start}`);
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

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * A calendar date and time of day in UTC, or null when it does not exist (month 13, Feb 30,
 * hour 24, second 60) — the ranges OpenSSL's ASN1_TIME parser enforces. Years 0–9999 stay
 * themselves (Date.UTC would map 0–99 to 1900–1999).
 */
export function utcDate(
  year: number,
  month: number,
  day: number,
  hour: number,
  min: number,
  sec: number,
): Date | null {
  if (month < 1 || month > 12 || day < 1 || hour > 23 || min > 59 || sec > 59) return null;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && leap ? 29 : (MONTH_DAYS[month - 1] as number);
  if (day > days) return null;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, min, sec, 0);
  return d;
}

/**
 * UTCTime `YYMMDDHHMMSSZ` or GeneralizedTime `YYYYMMDDHHMMSSZ`: the forms RFC 5280 requires.
 * Other forms OpenSSL accepts (no seconds, offsets, fractions) and impossible dates throw, and
 * the caller lets OpenSSL decide.
 */
export function timeAt(c: Cursor): Date {
  const b = c.buf;
  let p = c.vStart;
  const len = c.vEnd - p;
  let year: number;
  if (c.tag === 23 && len === 13) {
    const yy = two(b, p);
    year = yy < 50 ? 2000 + yy : 1900 + yy;
    p += 2;
  } else if (c.tag === 24 && len === 15) {
    year = two(b, p) * 100 + two(b, p + 2);
    p += 4;
  } else throw new DerError('time not in RFC 5280 form');
  if (b[c.vEnd - 1] !== 0x5a) throw new DerError('time is not Zulu');
  const d = utcDate(year, two(b, p), two(b, p + 2), two(b, p + 4), two(b, p + 6), two(b, p + 8));
  if (!d) throw new DerError('impossible date');
  return d;
}
