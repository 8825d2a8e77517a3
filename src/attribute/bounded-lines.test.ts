// BoundedLineSplitter: lines across chunk boundaries, the cap, and UTF-8 split between chunks.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedLineSplitter, type LogLine } from './bounded-lines.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

function split(chunks: (string | Uint8Array)[], max: number): LogLine[] {
  const s = new BoundedLineSplitter(max);
  const out: LogLine[] = [];
  for (const c of chunks) out.push(...s.push(typeof c === 'string' ? bytes(c) : c));
  return [...out, ...s.end()];
}

test('lines are split on newlines, across chunks; the last line needs no newline', () => {
  assert.deepEqual(split(['ab\ncd', 'ef\n\ng', 'h'], 10), [
    { text: 'ab' },
    { text: 'cdef' },
    { text: '' },
    { text: 'gh' },
  ]);
  assert.deepEqual(split(['a\r\n'], 10), [{ text: 'a\r' }]);
  assert.deepEqual(split([], 10), []);
});

test('a line over the cap is one skipped line, held nowhere, and the next line is read', () => {
  assert.deepEqual(split(['12345', '678901', '23\nok\n'], 10), [
    { skippedBytes: 13 },
    { text: 'ok' },
  ]);
  assert.deepEqual(split(['0123456789\n', '01234567890\n'], 10), [
    { text: '0123456789' },
    { skippedBytes: 11 },
  ]);
  // a stream without a newline: counted as it passes, one skipped line at the end
  const s = new BoundedLineSplitter(10);
  for (let i = 0; i < 1000; i++) assert.deepEqual(s.push(bytes('xxxxxxxx')), []);
  assert.deepEqual(s.end(), [{ skippedBytes: 8000 }]);
});

test('a character split between chunks is decoded whole; invalid UTF-8 becomes U+FFFD', () => {
  const e = bytes('é\n');
  assert.deepEqual(split([e.subarray(0, 1), e.subarray(1)], 10), [{ text: 'é' }]);
  assert.deepEqual(split([new Uint8Array([0xff, 0x0a])], 10), [{ text: '\ufffd' }]);
});
