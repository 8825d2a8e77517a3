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
 * UTCTime `YYMMDDHHMM[SS](Z|±HHMM)` or GeneralizedTime `YYYYMMDDHHMM[SS](Z|±HHMM)`. RFC 5280
 * requires seconds and `Z`; the other forms are what OpenSSL 3.0 (the openssl CLI on Debian 12)
 * accepts and the OpenSSL inside Node 24 refuses, so they are read here and the answer does not
 * depend on the Node version. Fractions and impossible dates throw, and the caller lets OpenSSL
 * decide (impossible dates become `bad_time`).
 */
export function timeAt(c: Cursor): Date {
  const b = c.buf;
  let p = c.vStart;
  const end = c.vEnd;
  let year: number;
  if (c.tag === 23) {
    const yy = two(b, p);
    year = yy < 50 ? 2000 + yy : 1900 + yy;
    p += 2;
  } else if (c.tag === 24) {
    year = two(b, p) * 100 + two(b, p + 2);
    p += 4;
  } else throw new DerError('not a time');
  // what follows the year: MMDDHHMM, optional SS, then Z or ±HHMM
  const rest = end - p;
  let offsetMin = 0;
  let zoneLen: number;
  if (b[end - 1] === 0x5a) zoneLen = 1;
  else if (rest >= 13 && (b[end - 5] === 0x2b || b[end - 5] === 0x2d)) {
    zoneLen = 5;
    const oh = two(b, end - 4);
    const om = two(b, end - 2);
    if (!(oh <= 23 && om <= 59)) throw new DerError('impossible time offset');
    offsetMin = (b[end - 5] === 0x2b ? 1 : -1) * (oh * 60 + om);
  } else throw new DerError('time zone not Z or ±HHMM');
  const digits = rest - zoneLen;
  if (digits !== 8 && digits !== 10) throw new DerError('time not in a form read here');
  for (let i = p; i < p + digits; i++) {
    const ch = b[i] ?? 0;
    if (ch < 0x30 || ch > 0x39) throw new DerError('time has a non-digit');
  }
  const sec = digits === 10 ? two(b, p + 8) : 0;
  const d = utcDate(year, two(b, p), two(b, p + 2), two(b, p + 4), two(b, p + 6), sec);
  if (!d) throw new DerError('impossible date');
  return offsetMin === 0 ? d : new Date(d.getTime() - offsetMin * 60_000);
}
