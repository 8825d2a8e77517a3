// Reads one Go-quoted string (strconv.Quote, as klog writes `err="…"` values) starting at an
// opening double quote. Never throws: an unterminated or malformed string yields null.

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

function hexAt(s: string, i: number, n: number): number | null {
  const h = s.slice(i, i + n);
  return h.length === n && /^[0-9a-fA-F]+$/.test(h) ? parseInt(h, 16) : null;
}

/** The unquoted value and the index just past the closing quote, or null. */
export function readGoQuoted(s: string, start: number): { value: string; end: number } | null {
  if (s[start] !== '"') return null;
  let out = '';
  let i = start + 1;
  while (i < s.length) {
    const c = s[i] ?? '';
    if (c === '"') return { value: out, end: i + 1 };
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const e = s[i + 1] ?? '';
    const simple = SIMPLE[e];
    if (simple !== undefined) {
      out += simple;
      i += 2;
      continue;
    }
    const width = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    if (width > 0) {
      const cp = hexAt(s, i + 2, width);
      if (cp === null || cp > 0x10ffff) return null;
      // \xHH is a raw byte in Go; as text it is shown as that code point (only used for display)
      out += String.fromCodePoint(cp);
      i += 2 + width;
      continue;
    }
    if (/^[0-7]$/.test(e)) {
      const oct = s.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(oct)) return null;
      out += String.fromCodePoint(parseInt(oct, 8));
      i += 4;
      continue;
    }
    return null;
  }
  return null;
}
