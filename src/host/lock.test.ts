import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, LockHeld } from './lock.js';

const now = new Date('2026-11-25T00:00:00Z');

test('a second fix on the node is refused while the first holds the lock', () => {
  const p = join(mkdtempSync(join(tmpdir(), 'certdrift-lock-')), 'run', 'fix.lock');
  const release = acquireLock(p, now);
  assert.match(readFileSync(p, 'utf8'), new RegExp(`^${process.pid} `));
  assert.throws(
    () => acquireLock(p, now),
    (e: unknown) => e instanceof LockHeld && /pid \d+/.test(e.message),
  );
  release();
  assert.equal(existsSync(p), false);
  acquireLock(p, now)();
});

test('a lock left by a process that is gone is taken over', () => {
  const p = join(mkdtempSync(join(tmpdir(), 'certdrift-lock-')), 'fix.lock');
  writeFileSync(p, '2147483646 2020-01-01T00:00:00.000Z\n');
  const release = acquireLock(p, now);
  assert.match(readFileSync(p, 'utf8'), new RegExp(`^${process.pid} `));
  release();
});
