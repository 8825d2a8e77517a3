// A process competing for the fix lock (lock.test.ts starts several at once). Each round it tries
// to take the lock; while holding it, it logs enter/exit lines (O_APPEND: whole lines, in order)
// so the test can count holders at any instant. Now and then a holder "dies" holding the lock:
// it swaps the lock for a record of a PID that no longer exists, as a crashed fix would leave.

import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import { acquireLock, LockHeld } from '../../src/adapters/host/lock.js';

const [lockPath, logPath, roundsArg, deadPidArg] = process.argv.slice(2);
const rounds = Number(roundsArg);
const wait = new Int32Array(new SharedArrayBuffer(4));
const sleepMs = (ms: number): void => void Atomics.wait(wait, 0, 0, ms);

let held = 0;
for (let i = 0; i < rounds; i++) {
  let release: (() => void) | undefined;
  try {
    release = acquireLock(lockPath as string, new Date());
  } catch (err) {
    if (!(err instanceof LockHeld)) throw err;
  }
  if (release) {
    held++;
    appendFileSync(logPath as string, `enter ${process.pid}\n`);
    sleepMs(1 + Math.floor(Math.random() * 3));
    appendFileSync(logPath as string, `exit ${process.pid}\n`);
    if (Math.random() < 0.15) {
      // Die holding it: the lock now names a dead process.
      const tmp = `${lockPath as string}.crash-${process.pid}`;
      writeFileSync(tmp, `${deadPidArg as string}  2020-01-01T00:00:00.000Z\n`);
      renameSync(tmp, lockPath as string);
    } else release();
  }
  sleepMs(Math.floor(Math.random() * 2));
}
process.stdout.write(String(held));
