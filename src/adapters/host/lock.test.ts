import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, LockHeld } from './lock.js';

const now = new Date('2026-11-25T00:00:00Z');

/** A PID that existed and is gone now. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(r.stdout);
}

test('a second fix on the node is refused while the first holds the lock', () => {
  const p = join(mkdtempSync(join(tmpdir(), 'certdrift-lock-')), 'run', 'fix.lock');
  const release = acquireLock(p, now);
  assert.match(readFileSync(p, 'utf8'), new RegExp(`^${process.pid} \\d+ `));
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
  writeFileSync(p, `${deadPid()}  2020-01-01T00:00:00.000Z\n`);
  const release = acquireLock(p, now);
  assert.match(readFileSync(p, 'utf8'), new RegExp(`^${process.pid} `));
  release();
});

test('a live PID with another start time is a reused PID: its lock is stale', () => {
  const p = join(mkdtempSync(join(tmpdir(), 'certdrift-lock-')), 'fix.lock');
  writeFileSync(p, `${process.pid} 1 2020-01-01T00:00:00.000Z\n`);
  acquireLock(p, now)();
});

test('an empty or unreadable record counts as held: never provably dead', () => {
  const p = join(mkdtempSync(join(tmpdir(), 'certdrift-lock-')), 'fix.lock');
  writeFileSync(p, '');
  assert.throws(() => acquireLock(p, now), /unreadable record/);
});

test('8 processes competing, holders dying with the lock: never two holders at once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'certdrift-lock-race-'));
  const trials = 5;
  const rounds = 100;
  let acquisitions = 0;
  for (let trial = 0; trial < trials; trial++) {
    const lock = join(dir, `fix-${trial}.lock`);
    const log = join(dir, `log-${trial}`);
    writeFileSync(log, '');
    // Every trial starts from a stale lock, so the first thing all eight do is race to break it.
    writeFileSync(lock, `${deadPid()}  2020-01-01T00:00:00.000Z\n`);
    const dead = String(deadPid());
    const outs = await Promise.all(
      Array.from(
        { length: 8 },
        () =>
          new Promise<string>((resolve, reject) => {
            const c = spawn(
              process.execPath,
              [
                '--import',
                'tsx',
                new URL('../../../test/support/lock-contender.ts', import.meta.url).pathname,
                lock,
                log,
                String(rounds),
                dead,
              ],
              { stdio: ['ignore', 'pipe', 'inherit'] },
            );
            let out = '';
            c.stdout.on('data', (d: Buffer) => (out += d.toString()));
            c.on('error', reject);
            c.on('exit', (code) =>
              code === 0 ? resolve(out) : reject(new Error(`contender exit ${code}`)),
            );
          }),
      ),
    );
    let inside = 0;
    let most = 0;
    for (const line of readFileSync(log, 'utf8').split('\n').filter(Boolean)) {
      inside += line.startsWith('enter') ? 1 : -1;
      most = Math.max(most, inside);
    }
    const held = outs.reduce((n, o) => n + Number(o), 0);
    acquisitions += held;
    assert.equal(most, 1, `trial ${trial}: ${most} holders at once`);
    assert.ok(held > 8, `trial ${trial}: only ${held} acquisitions: the lock was barely contended`);
  }
  process.stderr.write(
    `# lock: ${trials} trials × 8 processes × ${rounds} rounds, ${acquisitions} acquisitions, at most 1 holder\n`,
  );
});

test('a record without a start time (older certdrift) still names its holder', () => {
  const p = join(mkdtempSync(join(tmpdir(), 'certdrift-lock-')), 'fix.lock');
  writeFileSync(p, `${process.pid} 2026-11-25T00:00:00.000Z\n`);
  assert.throws(() => acquireLock(p, now), new RegExp(`\\(pid ${process.pid}\\) holds`));
  writeFileSync(p, `${deadPid()} 2026-11-25T00:00:00.000Z\n`);
  acquireLock(p, now)();
});
