// `JSON.stringify(value, null, 2) + '\n'`, byte for byte, in chunks of about 64 KiB instead of one
// string (issue #25). A 10,000-certificate scan document is ~10 MB: one string of it, plus the
// builder JSON.stringify grows while writing it, sat on top of the scan's heap at its peak. Here
// the top object and the arrays and objects directly in it are written piece by piece, and
// everything deeper (one certificate row, one finding) by JSON.stringify itself, re-indented.
//
// Same output as JSON.stringify because the pieces follow its rules: an object's own enumerable
// string keys in Object.keys order; a member whose value serializes to nothing (undefined, a
// function, a symbol) left out, `{}` when none is left; in an array the same values become `null`;
// `[]` for an empty array; a nested value's inner lines indented by its line's indentation — the
// only raw newlines JSON.stringify writes are its own (a string's are escaped), so re-indenting is
// inserting spaces after each one. A value with a toJSON method, and anything that is not a plain
// array or object, is left to JSON.stringify whole (toJSON is then called with the key '' rather
// than the member's name: the documents written here hold none).

const GAP = '  ';
/** The top object (depth 0) and the containers in it (depth 1) are written piece by piece. */
const STREAM_DEPTH = 2;

/** The pieces joined into chunks of at least `chunkChars` characters (the last one shorter). */
export function* jsonChunks(value: unknown, chunkChars = 1 << 16): Generator<string, void, void> {
  let parts: string[] = [];
  let size = 0;
  for (const piece of pieces(value, '', 0, chunkChars)) {
    parts.push(piece);
    size += piece.length;
    if (size >= chunkChars) {
      yield parts.join('');
      parts = [];
      size = 0;
    }
  }
  parts.push('\n');
  yield parts.join('');
}

/** The whole document as one string (for tests and small documents). */
export function jsonText(value: unknown): string {
  return [...jsonChunks(value)].join('');
}

const streamable = (v: unknown): v is object =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as { toJSON?: unknown }).toJSON !== 'function' &&
  (Array.isArray(v) ||
    Object.getPrototypeOf(v) === Object.prototype ||
    Object.getPrototypeOf(v) === null);

/** The value's text at `indent` (its first line follows a key or a bullet), or undefined if none. */
function leaf(v: unknown, indent: string): string | undefined {
  const s = JSON.stringify(v, null, 2) as string | undefined;
  if (s === undefined || indent === '') return s;
  return s.includes('\n') ? s.replaceAll('\n', '\n' + indent) : s;
}

/**
 * The elements of a non-empty array whose elements are leaves, at `inner` (an even number of
 * spaces), as consecutive pieces: `[el, el…]` run through JSON.stringify in batches, wrapped in as
 * many arrays as it takes for the native writer to put the elements at `inner` itself — one native
 * call per batch instead of one per element plus a re-indenting replace (issue #25: a third of the
 * time the writer took). The batch text is what JSON.stringify writes between the brackets: each
 * element at `inner`, joined by `,\n`, an element that serializes to nothing as `null` (as in any
 * array). Batches are sized to about a quarter of a chunk from the elements seen so far.
 */
function* leafElements(v: unknown[], inner: string, chunkChars: number): Generator<string> {
  const levels = inner.length / GAP.length;
  let open = '';
  let close = '';
  for (let j = 0; j < levels; j++) {
    open += GAP.repeat(j) + '[\n';
    close = '\n' + GAP.repeat(j) + ']' + close;
  }
  let batch = 8;
  for (let i = 0; i < v.length;) {
    const part: unknown = v.slice(i, i + batch);
    let wrapped = part;
    for (let j = 1; j < levels; j++) wrapped = [wrapped];
    const s = JSON.stringify(wrapped, null, GAP.length);
    yield (i === 0 ? '' : ',\n') + s.slice(open.length, s.length - close.length);
    i += batch;
    const per = Math.max(1, (s.length - open.length - close.length) / batch);
    batch = Math.min(4096, Math.max(1, Math.floor(chunkChars / 4 / per)));
  }
}

/**
 * The pieces of `v` written at `indent`. Yields nothing at all when `v` serializes to nothing;
 * the caller finds out from the first piece, so an omitted member leaves no key behind.
 */
function* pieces(
  v: unknown,
  indent: string,
  depth: number,
  chunkChars: number,
): Generator<string, void, void> {
  if (depth >= STREAM_DEPTH || !streamable(v)) {
    const s = leaf(v, indent);
    if (s !== undefined) yield s;
    return;
  }
  const inner = indent + GAP;
  if (Array.isArray(v)) {
    if (v.length === 0) {
      yield '[]';
      return;
    }
    if (depth + 1 >= STREAM_DEPTH) {
      yield '[\n';
      yield* leafElements(v, inner, chunkChars);
      yield '\n' + indent + ']';
      return;
    }
    for (let i = 0; i < v.length; i++) {
      yield i === 0 ? '[\n' + inner : ',\n' + inner;
      let any = false;
      for (const p of pieces(v[i], inner, depth + 1, chunkChars)) {
        any = true;
        yield p;
      }
      if (!any) yield 'null';
    }
    yield '\n' + indent + ']';
    return;
  }
  let first = true;
  for (const key of Object.keys(v)) {
    const member = pieces((v as Record<string, unknown>)[key], inner, depth + 1, chunkChars);
    const head = member.next();
    if (head.done === true) continue; // undefined, a function or a symbol: no member at all
    yield (first ? '{\n' : ',\n') + inner + JSON.stringify(key) + ': ';
    first = false;
    yield head.value;
    yield* member;
  }
  yield first ? '{}' : '\n' + indent + '}';
}
