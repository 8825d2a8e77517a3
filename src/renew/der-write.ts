// A minimal DER writer: exactly the encodings a certificate needs (RFC 5280, X.690 §10), each
// value built from its parts so that the bytes signed are the bytes written. Pure; never reads
// the clock (times are parameters) and never sees key material.

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function lengthOctets(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Uint8Array.from([0x80 | bytes.length, ...bytes]);
}

/** One TLV with a single-octet identifier. */
export function tlv(tag: number, content: Uint8Array): Uint8Array {
  return concat([Uint8Array.of(tag), lengthOctets(content.length), content]);
}

export const sequence = (...items: Uint8Array[]): Uint8Array => tlv(0x30, concat(items));
export const octetString = (b: Uint8Array): Uint8Array => tlv(0x04, b);
export const nullValue = (): Uint8Array => Uint8Array.of(0x05, 0x00);
export const booleanValue = (v: boolean): Uint8Array => Uint8Array.of(0x01, 0x01, v ? 0xff : 0x00);
/** [n] EXPLICIT, constructed. */
export const explicit = (n: number, inner: Uint8Array): Uint8Array => tlv(0xa0 | n, inner);
/** A BIT STRING of whole octets (no unused bits). */
export const bitString = (b: Uint8Array): Uint8Array => tlv(0x03, concat([Uint8Array.of(0), b]));

/** A non-negative INTEGER from its big-endian magnitude (leading zeros dropped, sign octet added). */
export function unsignedInteger(magnitude: Uint8Array): Uint8Array {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  let body = magnitude.subarray(i);
  if (body.length === 0) body = Uint8Array.of(0);
  if (((body[0] as number) & 0x80) !== 0) body = concat([Uint8Array.of(0), body]);
  return tlv(0x02, body);
}

export function smallInteger(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new RangeError(`integer ${n}`);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return unsignedInteger(Uint8Array.from(bytes));
}

export function objectIdentifier(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  const [a, b, ...rest] = arcs;
  if (a === undefined || b === undefined || arcs.some((x) => !Number.isSafeInteger(x) || x < 0))
    throw new RangeError(`bad OID ${dotted}`);
  const out: number[] = [];
  for (const arc of [a * 40 + b, ...rest]) {
    const groups: number[] = [];
    let v = arc;
    do {
      groups.unshift(v % 128);
      v = Math.floor(v / 128);
    } while (v > 0);
    groups.forEach((g, i) => out.push(i < groups.length - 1 ? g | 0x80 : g));
  }
  return tlv(0x06, Uint8Array.from(out));
}

const two = (n: number): string => String(n).padStart(2, '0');

/**
 * RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; seconds, always `Z`.
 * Fractions of a second are dropped (the certificate says whole seconds).
 */
export function time(d: Date): Uint8Array {
  const y = d.getUTCFullYear();
  if (y < 1950 || y > 9999) throw new RangeError(`year ${y} cannot be encoded`);
  const rest = `${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}Z`;
  const text = y < 2050 ? `${two(y % 100)}${rest}` : `${String(y)}${rest}`;
  return tlv(y < 2050 ? 0x17 : 0x18, new TextEncoder().encode(text));
}
