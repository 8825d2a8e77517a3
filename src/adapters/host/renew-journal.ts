// One `certdrift renew --apply` as a roll-forward transaction on the node's files. prepare():
// every file's original is backed up byte for byte (safe-write's backup: temp + fsync + rename)
// and every new file is staged, both inside one run directory under --backup-dir, then the
// journal (journal.json: paths, owners, modes, digests before and after) is written — still
// nothing on the node has changed. commit(): each file in turn is replaced atomically (owner and
// mode kept), refusing any file that is neither its original nor its new self. An interruption
// anywhere leaves a journal in state `prepared`; the next run finishes it first (a file already
// new is skipped), so a half-renewed node — a certificate without its new key — never stays.
// rollback() puts the originals back byte for byte, refusing files someone else changed since.

import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { FileWrite } from '../../renew/renewed-files.js';
import { inRoot } from './renew-files.js';
import { snapshot, writeAtomically, writeBackup, WriteRefused } from './safe-write.js';

export interface JournalEntry {
  /** node path */
  path: string;
  secret: boolean;
  before: { sha256: string; mode: number; uid: number; gid: number; backup: string };
  after: { sha256: string; staged: string };
}

export type RunState = 'prepared' | 'written' | 'rolled-back';

export interface Journal {
  kind: 'CertdriftRenewRun';
  version: 1;
  hostRoot: string;
  createdAt: string;
  state: RunState;
  entries: JournalEntry[];
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function writeDurably(path: string, bytes: Uint8Array, mode: number): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, mode);
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dfd = openSync(dirname(path), constants.O_RDONLY);
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

function currentSha(real: string): string | undefined {
  try {
    return sha(readFileSync(real));
  } catch {
    return undefined;
  }
}

export interface CommitResult {
  written: string[];
  /** already new (a rerun after an interruption) */
  already: string[];
}

export interface RollbackResult {
  restored: string[];
  unchanged: string[];
  refused: { path: string; message: string }[];
}

export class RenewRun {
  private constructor(
    readonly dir: string,
    private journal: Journal,
  ) {}

  get state(): RunState {
    return this.journal.state;
  }

  get entries(): readonly JournalEntry[] {
    return this.journal.entries;
  }

  get hostRoot(): string {
    return this.journal.hostRoot;
  }

  /** Backs up and stages every write; the node itself is not touched yet. */
  static prepare(
    backupRoot: string,
    hostRoot: string,
    writes: readonly FileWrite[],
    planned: Readonly<Record<string, string>>,
    now: Date,
  ): RenewRun {
    const dir = join(backupRoot, `renew-${now.toISOString().replace(/[:.]/g, '-')}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const entries: JournalEntry[] = [];
    for (const w of writes) {
      const snap = snapshot(inRoot(hostRoot, w.path));
      const want = planned[w.path];
      if (want !== undefined && snap.sha256 !== want)
        throw new WriteRefused(
          `${w.path} changed since it was planned; nothing written — rerun to plan again`,
        );
      const backup = writeBackup(snap, join(dir, 'files', dirname(w.path)), now);
      const staged = join(dir, 'new', w.path);
      writeDurably(staged, w.bytes, 0o600);
      entries.push({
        path: w.path,
        secret: w.secret,
        before: { sha256: snap.sha256, mode: snap.mode, uid: snap.uid, gid: snap.gid, backup },
        after: { sha256: sha(w.bytes), staged },
      });
    }
    const run = new RenewRun(dir, {
      kind: 'CertdriftRenewRun',
      version: 1,
      hostRoot,
      createdAt: now.toISOString(),
      state: 'prepared',
      entries,
    });
    run.save();
    return run;
  }

  static open(dir: string): RenewRun {
    const j = JSON.parse(readFileSync(join(dir, 'journal.json'), 'utf8')) as Partial<Journal>;
    if (j.kind !== 'CertdriftRenewRun' || j.version !== 1 || !Array.isArray(j.entries))
      throw new Error(`${dir}: not a certdrift renew backup (no journal.json of version 1)`);
    return new RenewRun(dir, j as Journal);
  }

  /** Runs under `backupRoot` that were interrupted before every file was written. */
  static unfinished(backupRoot: string, hostRoot: string): RenewRun[] {
    if (!existsSync(backupRoot)) return [];
    const out: RenewRun[] = [];
    for (const name of readdirSync(backupRoot).sort()) {
      if (!name.startsWith('renew-') || !existsSync(join(backupRoot, name, 'journal.json')))
        continue;
      const run = RenewRun.open(join(backupRoot, name));
      if (run.state === 'prepared' && run.hostRoot === hostRoot) out.push(run);
    }
    return out;
  }

  private save(): void {
    writeDurably(
      join(this.dir, 'journal.json'),
      Buffer.from(JSON.stringify(this.journal, null, 2) + '\n'),
      0o600,
    );
  }

  /** Writes every staged file over its original; `afterWrite` runs after each one. */
  commit(now: Date, afterWrite: (e: JournalEntry) => void = () => undefined): CommitResult {
    const result: CommitResult = { written: [], already: [] };
    for (const e of this.journal.entries) {
      const real = inRoot(this.journal.hostRoot, e.path);
      const cur = currentSha(real);
      if (cur === e.after.sha256) {
        result.already.push(e.path);
        continue;
      }
      if (cur !== e.before.sha256)
        throw new WriteRefused(
          `${e.path} is neither its original nor its renewed version (changed by someone else); nothing more written — see ${this.dir}`,
        );
      const bytes = readFileSync(e.after.staged);
      if (sha(bytes) !== e.after.sha256) throw new Error(`${e.after.staged} is damaged`);
      writeAtomically(snapshot(real), bytes, { backupDir: dirname(e.before.backup), now });
      result.written.push(e.path);
      afterWrite(e);
    }
    this.journal.state = 'written';
    this.save();
    // The staged copies (new private keys among them) are not needed once written.
    rmSync(join(this.dir, 'new'), { recursive: true, force: true });
    return result;
  }

  /** Puts every original back, byte for byte, where the file is still this run's new version. */
  rollback(now: Date): RollbackResult {
    const result: RollbackResult = { restored: [], unchanged: [], refused: [] };
    for (const e of this.journal.entries) {
      const real = inRoot(this.journal.hostRoot, e.path);
      const cur = currentSha(real);
      if (cur === e.before.sha256) {
        result.unchanged.push(e.path);
        continue;
      }
      if (cur !== e.after.sha256) {
        result.refused.push({
          path: e.path,
          message: 'changed since this renewal (a later renewal or an edit): not restored',
        });
        continue;
      }
      const original = readFileSync(e.before.backup);
      if (sha(original) !== e.before.sha256) {
        result.refused.push({ path: e.path, message: `the backup ${e.before.backup} is damaged` });
        continue;
      }
      writeAtomically(snapshot(real), original, {
        backupDir: join(this.dir, 'replaced-by-rollback', dirname(e.path)),
        now,
      });
      result.restored.push(e.path);
    }
    if (result.refused.length === 0) {
      this.journal.state = 'rolled-back';
      this.save();
    }
    return result;
  }
}
