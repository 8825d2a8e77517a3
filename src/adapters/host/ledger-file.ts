// The agent's certificate ledger on disk: one small JSON file under --state-dir (the DaemonSet
// gives it a hostPath so the ledger outlives the pod). Read tolerantly (a missing file is an
// empty history; a damaged one is reported and replaced), written atomically: a dot-named temp
// file in the same directory, fsync, rename, fsync the directory — a crash leaves the old or the
// new ledger, never half of one.

import {
  closeSync,
  constants,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { parseLedger } from '../../ledger/parse-ledger.js';
import type { Ledger } from '../../ledger/types.js';

export const LEDGER_FILE = 'ledger.json';

export function ledgerPath(stateDir: string): string {
  return join(stateDir, LEDGER_FILE);
}

/** The ledger at `path`; null with a problem when it is missing or unusable. */
export function readLedgerFile(path: string): { ledger: Ledger | null; problem?: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ledger: null };
    return { ledger: null, problem: `${path}: ${(err as Error).message}` };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { ledger: null, problem: `${path}: not JSON (${(err as Error).message})` };
  }
  const r = parseLedger(doc);
  return 'ledger' in r ? { ledger: r.ledger } : { ledger: null, problem: `${path}: ${r.problem}` };
}

export function writeLedgerFile(path: string, ledger: Ledger): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${LEDGER_FILE}.${process.pid}.tmp`);
  const buf = Buffer.from(JSON.stringify(ledger) + '\n');
  try {
    const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
    try {
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or already renamed into place
    }
    throw new Error(`writing the ledger ${path}: ${(err as Error).message}`, { cause: err });
  }
  const d = openSync(dir, constants.O_RDONLY);
  try {
    fsyncSync(d);
  } finally {
    closeSync(d);
  }
}
