// One `certdrift fix` per node at a time: a lock file holding its owner's PID and start time.
//
// Taking it: the record is written completely to a private temp file, then link()ed to the lock
// path. link() fails with EEXIST when the lock exists, so exactly one process wins and nobody
// ever reads a half-written (empty) lock — the flaw of create-then-write.
//
// A lock is stale only when its holder is provably dead: no such PID, or a PID now used by a
// process that started at another time (PID reuse). An unreadable or unparsable record counts as
// held. Breaking a stale lock is itself serialized by a second link()ed file (`<lock>.break`):
// under it the lock is checked again (same inode, same dead holder) before it is removed, so two
// processes that both saw the dead holder can never remove the lock a third one just took.

import {
  closeSync,
  constants,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

export class LockHeld extends Error {
  override name = 'LockHeld';
}

interface Holder {
  pid: number;
  /** field 22 of /proc/<pid>/stat (clock ticks after boot); '' where /proc is not available */
  start: string;
}

/** Start time of a process, to tell a PID's current owner from the one that wrote a lock. */
function startOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function alive(h: Holder): boolean {
  try {
    process.kill(h.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const start = startOf(h.pid);
  // The PID exists; it is another process only if both start times are known and differ.
  return h.start === '' || start === undefined || start === h.start;
}

function parse(text: string): Holder | undefined {
  // `<pid> <start> <time>`; records of certdrift before 0.2 had no start time: `<pid> <time>`.
  const m = /^(\d+) (?:(\d*) )?/.exec(text);
  const pid = Number(m?.[1]);
  return m && pid > 0 ? { pid, start: m[2] ?? '' } : undefined;
}

/** Writes `text` to a fresh temp file and links it to `path`; false when `path` exists. */
function linkInto(path: string, text: string): boolean {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(tmp);
  }
}

function read(path: string): { holder: Holder | undefined; ino: number } | undefined {
  try {
    const ino = statSync(path).ino;
    return { holder: parse(readFileSync(path, 'utf8')), ino };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Removes `path` if it is still the inode `ino` held by a dead process. Under the break lock. */
function breakStale(path: string, ino: number, record: string): void {
  const breaker = `${path}.break`;
  const seen = read(breaker);
  // A breaker left by a process that died inside this function (microseconds): remove it.
  if (seen?.holder && !alive(seen.holder)) {
    try {
      if (statSync(breaker).ino === seen.ino) unlinkSync(breaker);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  if (!linkInto(breaker, record)) return; // someone else is breaking it: retry from the start
  try {
    const now = read(path);
    if (now?.ino === ino && now.holder && !alive(now.holder)) unlinkSync(path);
  } finally {
    unlinkSync(breaker);
  }
}

export function acquireLock(path: string, now: Date): () => void {
  mkdirSync(dirname(path), { recursive: true });
  const record = `${process.pid} ${startOf(process.pid) ?? ''} ${now.toISOString()}\n`;
  for (let attempt = 0; attempt < 20; attempt++) {
    if (linkInto(path, record)) {
      const ino = statSync(path).ino;
      return () => {
        try {
          if (statSync(path).ino === ino) unlinkSync(path);
        } catch {
          // already gone (removed by hand)
        }
      };
    }
    const seen = read(path);
    if (!seen) continue; // released between our link() and our read: try again
    if (!seen.holder || alive(seen.holder)) {
      const who = seen.holder ? `pid ${seen.holder.pid}` : 'an unreadable record';
      throw new LockHeld(
        `another certdrift fix (${who}) holds ${path}; wait for it, or remove the lock if that process is not certdrift`,
      );
    }
    breakStale(path, seen.ino, record);
  }
  throw new LockHeld(`could not take ${path}: it keeps changing hands`);
}
