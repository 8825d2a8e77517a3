import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unifiedDiff } from './unified-diff.js';

test('no change, no diff', () => assert.equal(unifiedDiff('a\nb\n', 'a\nb\n', 'a', 'b'), ''));

test('removals come before insertions, with context and correct hunk header', () => {
  const a = ['1', '2', '3', '4', 'old', '6', '7', '8', '9'].join('\n');
  const b = ['1', '2', '3', '4', 'new', '6', '7', '8', '9'].join('\n');
  assert.equal(
    unifiedDiff(a, b, 'a/f', 'b/f'),
    [
      '--- a/f',
      '+++ b/f',
      '@@ -2,7 +2,7 @@',
      ' 2',
      ' 3',
      ' 4',
      '-old',
      '+new',
      ' 6',
      ' 7',
      ' 8',
      '',
    ].join('\n'),
  );
});

test('distant changes make separate hunks', () => {
  const a = Array.from({ length: 20 }, (_, i) => `l${i}`).join('\n');
  const b = a.replace('l2', 'x2').replace('l17', 'x17');
  assert.equal(unifiedDiff(a, b, 'a', 'b').match(/^@@/gm)?.length, 2);
});
