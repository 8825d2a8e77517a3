// A strict reader for the block-style YAML that kubectl/client-go, kops, kubeadm and k3s write:
// nested block mappings and sequences, one-line plain or quoted scalars, comments. Anything else
// (flow collections, anchors, tags, block scalars, multi-line scalars, several documents…) is
// declined with `{ ok: false }` and the caller uses the full `yaml` parser. Accepted input gives
// exactly what `yaml.parse` gives (core schema) — held to that by a differential property test.
// Why: the full parser costs ~140 µs for a 20-line kubeconfig; this costs a few µs.

export type SimpleYaml = { ok: true; value: unknown } | { ok: false };

interface Line {
  indent: number;
  text: string;
}

class Decline extends Error {}

const decline = (): never => {
  throw new Decline();
};

function toLines(text: string): Line[] {
  const out: Line[] = [];
  const raw = text.split('\n');
  for (let i = 0; i < raw.length; i++) {
    const l = (raw[i] as string).replace(/\r$/, '');
    const body = l.trimStart();
    if (body === '' || body.startsWith('#')) continue;
    if (l.startsWith('---') && out.length === 0 && l.trim() === '---') continue;
    if (l.startsWith('---') || l.startsWith('...') || l.startsWith('%')) decline();
    const indent = l.length - body.length;
    if (l.slice(0, indent).includes('\t')) decline();
    out.push({ indent, text: body.trimEnd() });
  }
  return out;
}

const INT = /^[-+]?[0-9]+$/;
const OCT = /^0o[0-7]+$/;
const HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** YAML 1.2 core schema resolution of a plain scalar. */
function resolvePlain(s: string): unknown {
  if (s === '' || s === '~' || s === 'null' || s === 'Null' || s === 'NULL') return null;
  if (s === 'true' || s === 'True' || s === 'TRUE') return true;
  if (s === 'false' || s === 'False' || s === 'FALSE') return false;
  if (
    INT.test(s) ||
    OCT.test(s) ||
    HEX.test(s) ||
    FLOAT.test(s) ||
    /^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$/.test(s)
  ) {
    decline(); // numbers: leave their exact conversion rules to the full parser
  }
  return s;
}

/** Parses a one-line scalar (the whole of `s`, trailing comment allowed). */
function scalar(s: string): unknown {
  const c = s[0];
  if (c === '"') {
    const end = s.indexOf('"', 1);
    if (end < 0) decline();
    const inner = s.slice(1, end);
    if (inner.includes('\\')) decline();
    const rest = s.slice(end + 1).trim();
    if (rest !== '' && !rest.startsWith('#')) decline();
    return inner;
  }
  if (c === "'") {
    let out = '';
    let i = 1;
    for (;;) {
      const q = s.indexOf("'", i);
      if (q < 0) decline();
      out += s.slice(i, q);
      if (s[q + 1] === "'") {
        out += "'";
        i = q + 2;
      } else {
        i = q + 1;
        break;
      }
    }
    const rest = s.slice(i).trim();
    if (rest !== '' && !rest.startsWith('#')) decline();
    return out;
  }
  if (c !== undefined && '[]{}&*!|>%@`,?-:#'.includes(c)) {
    // Indicators (a lone '-' or ':' or '?' start is ambiguous too): leave to the full parser.
    decline();
  }
  const hash = s.indexOf(' #');
  const plain = (hash >= 0 ? s.slice(0, hash) : s).trim();
  if (plain.includes(': ') || plain.endsWith(':') || plain.includes('\t')) decline();
  return resolvePlain(plain);
}

/** Splits `key: rest` / `key:`; declines keys that are not simple plain words. */
function splitKey(text: string): [string, string] {
  const m = /^([A-Za-z0-9_][A-Za-z0-9_.\/-]*)[ ]*:(?: +(.*))?$/.exec(text);
  if (!m) return decline();
  return [m[1] as string, m[2] ?? ''];
}

const isItem = (l: Line | undefined): boolean =>
  l !== undefined && (l.text === '-' || l.text.startsWith('- '));

class Reader {
  i = 0;
  constructor(readonly lines: Line[]) {}

  block(indent: number): unknown {
    const l = this.lines[this.i];
    if (!l || l.indent !== indent) return decline();
    return isItem(l) ? this.seq(indent) : this.map(indent);
  }

  /** The value after `key:` with nothing on the line. */
  nested(keyIndent: number): unknown {
    const next = this.lines[this.i];
    if (next && next.indent > keyIndent) return this.block(next.indent);
    if (next && next.indent === keyIndent && isItem(next)) return this.seq(keyIndent);
    return null;
  }

  map(indent: number): Record<string, unknown> {
    const obj: Record<string, unknown> = {};
    for (
      let l = this.lines[this.i];
      l && l.indent === indent && !isItem(l);
      l = this.lines[this.i]
    ) {
      const [key, rest] = splitKey(l.text);
      if (Object.prototype.hasOwnProperty.call(obj, key) || key === '__proto__') decline();
      this.i++;
      if (rest === '' || rest.startsWith('#')) {
        obj[key] = this.nested(indent);
      } else {
        obj[key] = scalar(rest);
        const next = this.lines[this.i];
        if (next && next.indent > indent) decline(); // a multi-line scalar
      }
    }
    const l = this.lines[this.i];
    if (l && l.indent > indent) decline();
    return obj;
  }

  seq(indent: number): unknown[] {
    const arr: unknown[] = [];
    for (
      let l = this.lines[this.i];
      l && l.indent === indent && isItem(l);
      l = this.lines[this.i]
    ) {
      const rest = l.text === '-' ? '' : l.text.slice(2);
      const body = rest.trimStart();
      if (body === '' || body.startsWith('#')) {
        this.i++;
        const next = this.lines[this.i];
        arr.push(next && next.indent > indent ? this.block(next.indent) : null);
      } else if (/^[A-Za-z0-9_][A-Za-z0-9_.\/-]*[ ]*:( |$)/.test(body)) {
        // `- key: value` starts a mapping whose column is where `key` stands.
        this.lines[this.i] = { indent: indent + 2 + (rest.length - body.length), text: body };
        arr.push(this.map(indent + 2 + (rest.length - body.length)));
      } else {
        this.i++;
        arr.push(scalar(body));
        const next = this.lines[this.i];
        if (next && next.indent > indent) decline();
      }
    }
    return arr;
  }
}

export function parseSimpleYaml(text: string): SimpleYaml {
  try {
    const lines = toLines(text);
    if (lines.length === 0) return { ok: false };
    const first = lines[0] as Line;
    const r = new Reader(lines);
    const value = r.block(first.indent);
    if (r.i !== lines.length) return { ok: false };
    return { ok: true, value };
  } catch (err) {
    if (err instanceof Decline) return { ok: false };
    throw err;
  }
}
