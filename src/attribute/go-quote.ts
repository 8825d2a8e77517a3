// Reads one Go-quoted string (strconv.Quote, as klog writes `err="…"` values) starting at an
// opening double quote. Never throws: an unterminated or malformed string yields null.
// Linear in the input, and lean: a value without escapes is a slice of the line; one with
// escapes is decoded into a buffer of UTF-16 code units and made a string once — never appended
// a character at a time (that built a rope of one-character strings: a 40 MB value took
// 1.65 GB). The caller bounds the input too (a log line is at most 1 MiB).

const SIMPLE: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
  "'": "'",
};

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** code units per String.fromCharCode call: well under any engine's argument limit */
const SPAN = 8192;

/** `n` hex digits at `i` → their value, or null. */
function hexAt(s: string, i: number, n: number): number | null {
  const h = s.slice(i, i + n);
  return h.length === n && /^[0-9a-fA-F]+$/.test(h) ? parseInt(h, 16) : null;
}

/** UTF-16 code units → a string, a span at a time (one argument per unit). */
function unitsToString(units: Uint16Array, n: number): string {
  const spans: string[] = [];
  for (let i = 0; i < n; i += SPAN)
    spans.push(String.fromCharCode(...units.subarray(i, Math.min(n, i + SPAN))));
  return spans.join('');
}

/** The unquoted value and the index just past the closing quote, or null. */
export function readGoQuoted(s: string, start: number): { value: string; end: number } | null {
  if (s.charCodeAt(start) !== QUOTE) return null;
  const special = /["\\]/g;
  special.lastIndex = start + 1;
  const first = special.exec(s);
  if (!first) return null;
  // no escape: the value is a slice of the line
  if (first[0] === '"') return { value: s.slice(start + 1, first.index), end: first.index + 1 };
  // escapes: decode into code units (never more than the characters read), then one string
  const units = new Uint16Array(s.length - start);
  let n = 0;
  let i = start + 1;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === QUOTE) return { value: unitsToString(units, n), end: i + 1 };
    if (c !== BACKSLASH) {
      units[n++] = c;
      i++;
      continue;
    }
    const e = s[i + 1] ?? '';
    const simple = SIMPLE[e];
    let cp: number | null;
    let length: number;
    if (simple !== undefined) {
      cp = simple.charCodeAt(0);
      length = 2;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      // \xHH is a raw byte in Go; as text it is shown as that code point (only used for display)
      const width = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      cp = hexAt(s, i + 2, width);
      length = 2 + width;
    } else {
      const oct = s.slice(i + 1, i + 4);
      cp = /^[0-7]{3}$/.test(oct) ? parseInt(oct, 8) : null;
      length = 4;
    }
    if (cp === null || cp > 0x10ffff) return null;
    if (cp > 0xffff) {
      units[n++] = 0xd800 + ((cp - 0x10000) >> 10);
      units[n++] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
    } else units[n++] = cp;
    i += length;
  }
  return null;
}
