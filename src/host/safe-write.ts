// Writing a manifest without ever losing it: read once (snapshot), then on apply refuse if the
// file changed since, keep a timestamped backup (outside the manifests directory by default:
// kubelet would run a *.yaml backup there as a second static pod), write a dot-named temp file in
// the same directory (kubelet ignores dot files), fsync, rename over the original, fsync the
// directory, and read it back. Any failure leaves the original untouched.

import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  fchmodSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

export class WriteRefused extends Error {
  override name = 'WriteRefused';
}

export interface FileSnapshot {
  path: string;
  text: string;
  sha256: string;
  mode: number;
}

const sha = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');

export function snapshot(path: string): FileSnapshot {
  const bytes = readFileSync(path);
  return {
    path,
    text: bytes.toString('utf8'),
    sha256: sha(bytes),
    mode: statSync(path).mode & 0o7777,
  };
}

function writeFileDurably(path: string, text: string, mode: number, flags: number): void {
  const fd = openSync(path, flags, mode);
  try {
    const buf = Buffer.from(text);
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fchmodSync(fd, mode);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Backup file name: <name>.<UTC timestamp>.certdrift.bak (never *.yaml / *.manifest). */
export function backupName(path: string, now: Date): string {
  return `${basename(path)}.${now.toISOString().replace(/[:.]/g, '-')}.certdrift.bak`;
}

/**
 * Replaces `snap.path` with `text` atomically. Returns the backup path. Throws WriteRefused when
 * the file changed since the snapshot, and the underlying error when writing fails — in both
 * cases the original file is as it was.
 */
export function writeAtomically(
  snap: FileSnapshot,
  text: string,
  opts: { backupDir: string; now: Date },
): string {
  const current = readFileSync(snap.path);
  if (sha(current) !== snap.sha256) {
    throw new WriteRefused(
      `${snap.path} changed since it was read (someone edited it); nothing written — rerun to plan again`,
    );
  }
  mkdirSync(opts.backupDir, { recursive: true, mode: 0o700 });
  const backup = join(opts.backupDir, backupName(snap.path, opts.now));
  writeFileDurably(
    backup,
    snap.text,
    0o600,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
  );
  const tmp = join(dirname(snap.path), `.${basename(snap.path)}.certdrift-${process.pid}.tmp`);
  try {
    writeFileDurably(
      tmp,
      text,
      snap.mode,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
    );
    // Last look before the rename: an edit that raced the steps above still wins.
    if (sha(readFileSync(snap.path)) !== snap.sha256)
      throw new WriteRefused(`${snap.path} changed while it was being rewritten; nothing written`);
    renameSync(tmp, snap.path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // the temp file was never created, or the rename consumed it
    }
    throw err;
  }
  fsyncDir(dirname(snap.path));
  if (readFileSync(snap.path, 'utf8') !== text)
    throw new Error(`${snap.path}: read-back differs from what was written`);
  return backup;
}

/** Identity of the open file behind a path (for tests and logs). */
export function inodeOf(path: string): number {
  const fd = openSync(path, constants.O_RDONLY);
  try {
    return fstatSync(fd).ino;
  } finally {
    closeSync(fd);
  }
}
