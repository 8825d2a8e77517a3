// The agent's certificate ledger on disk: one small JSON file under --state-dir (the DaemonSet
// gives it a hostPath so the ledger outlives the pod). The agent runs as root and the state
// directory is on the node, so nothing in it is trusted:
//  - the state directory must be a real directory (not a link) owned by the user certdrift runs
//    as; otherwise the ledger is neither read nor written there;
//  - the ledger is opened with O_NOFOLLOW (a planted link is refused, its target never read),
//    must be a regular file, and its size is checked before one byte is read (MAX_LEDGER_BYTES);
//  - a ledger that cannot be used is moved aside as `ledger.json.corrupt-<time>`, never silently
//    replaced, and what can be parsed of it (location by location, entry by entry) is kept;
//  - the temp file has a random name and is created with O_CREAT|O_EXCL|O_NOFOLLOW, so a planted
//    file or link at that name fails the write instead of redirecting it;
//  - messages name the file and the problem, never its content.
// Writes are atomic: temp file in the same directory, fsync, rename, fsync the directory — a
// crash leaves the old or the new ledger, never half of one.

import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { parseLedger } from '../../ledger/parse-ledger.js';
import { salvageLedger } from '../../ledger/salvage-ledger.js';
import type { Ledger } from '../../ledger/types.js';
import { errorText } from './os-reason.js';

export const LEDGER_FILE = 'ledger.json';

/** A ledger bigger than this is not read: the published part is bounded far below it. */
export const MAX_LEDGER_BYTES = 32 * 1024 * 1024;

export function ledgerPath(stateDir: string): string {
  return join(stateDir, LEDGER_FILE);
}

export interface LedgerRead {
  ledger: Ledger | null;
  problem?: string;
  /** where an unusable ledger was moved (the agent's read only) */
  movedTo?: string;
}

export interface ReadLedgerOptions {
  /**
   * The agent's own ledger: check the state directory, and move an unusable file aside (named
   * with this time) instead of leaving it to be replaced by the next write.
   */
  moveAsideAt?: Date;
  maxBytes?: number;
}

const runAs = (): number | undefined => process.geteuid?.();

/** Why the directory may not hold our ledger, or undefined when it may. */
function stateDirProblem(dir: string): string | undefined {
  let st;
  try {
    st = lstatSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // created on write
    return `state directory ${dir}: ${errorText(err)}`;
  }
  if (st.isSymbolicLink())
    return `state directory ${dir} is a symbolic link; not followed (give --state-dir a real directory)`;
  if (!st.isDirectory()) return `state directory ${dir} is not a directory`;
  const uid = runAs();
  if (uid !== undefined && st.uid !== uid)
    return `state directory ${dir} is owned by uid ${st.uid}, not ${uid} (certdrift runs as ${uid}); not used`;
  return undefined;
}

type Bytes =
  | { ok: true; bytes: Buffer }
  | { ok: false; absent: true }
  | { ok: false; absent: false; problem: string; moveAside: boolean };

function readBytes(path: string, maxBytes: number, follow: boolean): Bytes {
  let fd: number;
  try {
    fd = openSync(
      path,
      constants.O_RDONLY | constants.O_NONBLOCK | (follow ? 0 : constants.O_NOFOLLOW),
    );
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, absent: true };
    if (code === 'ELOOP')
      return {
        ok: false,
        absent: false,
        problem: `${path} is a symbolic link; not followed`,
        moveAside: true,
      };
    return { ok: false, absent: false, problem: `${path}: ${errorText(err)}`, moveAside: true };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile())
      return {
        ok: false,
        absent: false,
        problem: `${path} is not a regular file`,
        moveAside: true,
      };
    if (st.size > maxBytes)
      return {
        ok: false,
        absent: false,
        problem: `${path} is ${st.size} bytes, over the ${maxBytes}-byte limit; not read`,
        moveAside: true,
      };
    // the file may grow between fstat and read: never read past the limit
    const buf = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
    let n = 0;
    while (n < buf.length) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
    }
    if (n > maxBytes)
      return {
        ok: false,
        absent: false,
        problem: `${path} grew over the ${maxBytes}-byte limit while read; not read`,
        moveAside: true,
      };
    return { ok: true, bytes: buf.subarray(0, n) };
  } catch (err) {
    return { ok: false, absent: false, problem: `${path}: ${errorText(err)}`, moveAside: true };
  } finally {
    closeSync(fd);
  }
}

/** JSON.parse's messages quote the input; only the position is kept. */
function jsonProblem(err: unknown): string {
  const at = /position (\d+)/.exec(err instanceof Error ? err.message : '')?.[1];
  return at === undefined ? 'not JSON' : `not JSON (at byte ${at})`;
}

/** `ledger.json.corrupt-2026-11-01T00-00-00Z`: sorts by time, no colons for other tools. */
export function asideName(path: string, at: Date): string {
  return `${path}.corrupt-${at
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-')}`;
}

function moveAside(path: string, at: Date): { to?: string; problem?: string } {
  const to = asideName(path, at);
  try {
    renameSync(path, to); // rename moves a link itself, never its target
    return { to };
  } catch (err) {
    return { problem: `could not move it aside: ${errorText(err)}` };
  }
}

function parseText(text: string): { ledger: Ledger } | { problem: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { problem: jsonProblem(err) };
  }
  return parseLedger(doc);
}

/** The ledger at `path`; null with a problem when it is missing or unusable. */
export function readLedgerFile(path: string, opts: ReadLedgerOptions = {}): LedgerRead {
  const at = opts.moveAsideAt;
  if (at) {
    const dirProblem = stateDirProblem(dirname(path));
    if (dirProblem) return { ledger: null, problem: dirProblem };
  }
  // a ledger a user names (attribute --ledger) may be a link they chose; the agent's own may not
  const r = readBytes(path, opts.maxBytes ?? MAX_LEDGER_BYTES, at === undefined);
  if (!r.ok && r.absent) return { ledger: null };
  let ledger: Ledger | null = null;
  let problem: string;
  if (!r.ok) {
    problem = r.problem;
  } else {
    const text = r.bytes.toString('utf8');
    const whole = parseText(text);
    if ('ledger' in whole) return { ledger: whole.ledger };
    problem = `${path}: ${whole.problem}`;
    const salvaged = salvageLedger(text);
    if (salvaged) {
      ledger = salvaged.ledger;
      problem += `; salvaged ${salvaged.entries} entries in ${salvaged.ledger.locations.length} locations`;
    }
  }
  if (!at) return { ledger, problem };
  const moved = moveAside(path, at);
  return moved.to
    ? { ledger, problem: `${problem}; moved aside to ${moved.to}`, movedTo: moved.to }
    : { ledger, problem: `${problem}; ${moved.problem ?? ''}` };
}

export function writeLedgerFile(path: string, ledger: Ledger): void {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new Error(`writing the ledger ${path}: ${errorText(err)}`, { cause: err });
  }
  const dirProblem = stateDirProblem(dir);
  if (dirProblem) throw new Error(`writing the ledger ${path}: ${dirProblem}`);
  const tmp = join(dir, `.${LEDGER_FILE}.${randomBytes(8).toString('hex')}.tmp`);
  const buf = Buffer.from(JSON.stringify(ledger) + '\n');
  let created = false;
  try {
    const fd = openSync(
      tmp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
    created = true;
    try {
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    // only a file this call created is removed: an existing one at that name is not ours
    if (created)
      try {
        unlinkSync(tmp);
      } catch {
        // already renamed into place
      }
    throw new Error(`writing the ledger ${path}: ${errorText(err)}`, { cause: err });
  }
  const d = openSync(dir, constants.O_RDONLY);
  try {
    fsyncSync(d);
  } finally {
    closeSync(d);
  }
}
