// readGoQuoted: Go's escapes, malformed strings, and a long escape-heavy value read in linear
// time and memory (the reader that appended a character at a time took 1.65 GB for 40 MB).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readGoQuoted } from './go-quote.js';

test('Go escapes decode; the end is just past the closing quote', () => {
  const rows: [string, string][] = [
    [String.raw`"plain"`, 'plain'],
    [String.raw`"a\"b\\c\n\t"`, 'a"b\\c\n\t'],
    [String.raw`"\x41\u00e9\U0001F600\101"`, 'Aé😀A'],
    [String.raw`"\u001b[31m"`, '\u001b[31m'],
  ];
  for (const [quoted, value] of rows)
    assert.deepEqual(readGoQuoted(`x=${quoted} rest`, 2), { value, end: 2 + quoted.length });
});

test('malformed or unterminated strings are null', () => {
  for (const bad of [String.raw`"abc`, String.raw`"\q"`, String.raw`"\x4"`, String.raw`"\18"`])
    assert.equal(readGoQuoted(bad, 0), null, bad);
  assert.equal(readGoQuoted(String.raw`"\UFFFFFFFF"`, 0), null);
  assert.equal(readGoQuoted('abc', 0), null);
});

test('an 8 MiB value of escapes is read without building a rope', () => {
  const quoted = '"' + 'abc\\n'.repeat(2 * 1024 * 1024) + '"';
  const before = process.memoryUsage().rss;
  const q = readGoQuoted(quoted, 0);
  const grew = process.memoryUsage().rss - before;
  assert.equal(q?.value.length, 8 * 1024 * 1024);
  assert.equal(q.value.slice(0, 8), 'abc\nabc\n');
  assert.equal(q.end, quoted.length);
  // code units (16 MB) and the string; the one-character rope took about 300 MB here
  assert.ok(grew < 128 * 1024 * 1024, `rss grew ${grew >> 20} MB`);
});
