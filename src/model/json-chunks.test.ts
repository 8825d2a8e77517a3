import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonChunks, jsonText } from './json-chunks.js';

const reference = (v: unknown): string => JSON.stringify(v, null, 2) + '\n';

/** Values where a piece-by-piece writer could differ from JSON.stringify. */
const cases: [string, unknown][] = [
  ['empty object', {}],
  ['empty array at the top', []],
  ['scalars at the top', { a: 1, b: 'x', c: true, d: null, e: -0, f: 1e21, g: NaN, h: Infinity }],
  [
    'members that serialize to nothing are left out, keys and all',
    { a: undefined, b: () => 1, c: Symbol('s'), d: 1, e: undefined },
  ],
  ['an object whose members all serialize to nothing', { a: undefined, nested: { b: undefined } }],
  ['the same values in arrays become null', { xs: [undefined, () => 1, Symbol('s'), 2] }],
  ['sparse arrays', { xs: [1, , 3] }],
  ['empty containers at every depth', { a: [], b: {}, c: [[], {}, [{}]], d: { e: [], f: {} } }],
  [
    'strings that need escaping: newlines, quotes, control characters, lone surrogates',
    {
      'key\nwith "newline"': 'line1\nline2\r\t"q"\\ \u0000\u001f \u2028 \ud800 é 日本',
      rows: ['a\nb', { s: '\n\n  ' }],
    },
  ],
  [
    'deep nesting (rows with arrays of objects inside)',
    {
      certificates: [
        { path: '/a', sans: ['DNS:a', 'IP:1.2.3.4'], usedBy: [{ kind: 'p', nested: [1, [2]] }] },
        { path: '/b', sans: [], usedBy: [], kubeconfig: undefined },
      ],
      summary: { certificates: 2, errors: [] },
    },
  ],
  [
    'dates and toJSON values',
    { at: new Date(0), list: [new Date(1e12)], custom: { toJSON: () => 'x' } },
  ],
  ['numeric-looking keys keep JSON.stringify order', { b: 1, 2: 'two', a: 0, 1: 'one' }],
  ['top-level scalars', 'a\nb'],
  [
    'arrays of leaves in every batch size: holes, nothing-values and nesting at each boundary',
    {
      rows: Array.from({ length: 300 }, (_, i) =>
        i % 7 === 0 ? undefined : i % 11 === 0 ? [i, { s: 'a\nb' }] : { i, t: 'x'.repeat(i % 50) },
      ),
      one: [{ a: 1 }],
      holes: [, , 1, ,],
    },
  ],
  ['a null-prototype object', Object.assign(Object.create(null) as object, { a: [1, { b: 2 }] })],
];

for (const [name, value] of cases)
  test(`jsonChunks is JSON.stringify(v, null, 2) byte for byte: ${name}`, () => {
    assert.equal(jsonText(value), reference(value));
    // the smallest chunks too: every piece boundary is a chunk boundary
    assert.equal([...jsonChunks(value, 1)].join(''), reference(value));
  });

test('a large document comes in bounded chunks, the same bytes', () => {
  const rows = Array.from({ length: 5000 }, (_, i) => ({
    path: `/etc/pki/${i}.crt`,
    sans: [`DNS:n${i}`, `IP Address:10.0.${i % 256}.1`],
    usedBy: i % 2 ? [{ kind: 'process', pid: i }] : [],
    note: i % 3 ? undefined : 'every third',
  }));
  const doc = { apiVersion: 'v1', certificates: rows, errors: [], summary: { n: rows.length } };
  const chunks = [...jsonChunks(doc, 1 << 14)];
  assert.ok(chunks.length > 20, `expected many chunks, got ${chunks.length}`);
  // each chunk but the last holds at least the asked size and at most one batch of rows (about a
  // quarter of a chunk) beyond it
  for (const c of chunks.slice(0, -1))
    assert.ok(c.length >= 1 << 14 && c.length < (1 << 14) * 1.5, `chunk of ${c.length}`);
  assert.equal(chunks.join(''), reference(doc));
});
