// One `certdrift fix` per node at a time: an exclusive lock file holding the owner's PID. A lock
// left by a process that no longer exists is taken over; a live owner means refuse.

import {
  closeSync,
  constants,
  openSync,
  readFileSync,
  unlinkSync,
  writeSync,
  mkdirSync,
} from 'node:fs';
import { dirname } from 'node:path';

export class LockHeld extends Error {
  override name = 'LockHeld';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function acquireLock(path: string, now: Date): () => void {
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
      writeSync(fd, `${process.pid} ${now.toISOString()}\n`);
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(path, 'utf8').startsWith(`${process.pid} `)) unlinkSync(path);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(path, 'utf8').split(' ')[0]);
      if (Number.isInteger(owner) && owner > 0 && alive(owner)) {
        throw new LockHeld(
          `another certdrift fix (pid ${owner}) holds ${path}; wait for it or remove the lock if that process is not certdrift`,
        );
      }
      unlinkSync(path); // stale: its owner is gone
    }
  }
  throw new LockHeld(`could not take ${path}`);
}
