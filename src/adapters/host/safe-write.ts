// Writing a manifest without ever losing it: read once (snapshot: bytes, owner, group, mode),
// then on apply refuse if the file changed since, keep a backup byte for byte (outside the
// manifests directory by default: kubelet would run a *.yaml backup there as a second static pod),
// write a dot-named temp file in the same directory (kubelet ignores dot files) with the original
// owner, group and mode, fsync, rename over the original, fsync the directory, and read it back.
// The backup is written the same way (temp + rename), so a full disk never leaves a 0-byte or
// partial backup, and a retry reuses an identical backup instead of adding another. Any failure
// leaves the original untouched. Symbolic links are the caller's to resolve (host/manifest-host.ts):
// a link is refused here, never replaced by a regular file.

import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

export class WriteRefused extends Error {
  override name = 'WriteRefused';
}

export interface FileSnapshot {
  path: string;
  bytes: Buffer;
  /** for display and analysis: UTF-8, or one char per byte when the file is not UTF-8 */
  text: string;
  sha256: string;
  mode: number;
  uid: number;
  gid: number;
}

const sha = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');

function display(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

export function snapshot(path: string): FileSnapshot {
  const st = lstatSync(path);
  if (st.isSymbolicLink())
    throw new WriteRefused(`${path} is a symbolic link: resolve it inside the host root first`);
  const bytes = readFileSync(path);
  return {
    path,
    bytes,
    text: display(bytes),
    sha256: sha(bytes),
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
  };
}

interface Owner {
  mode: number;
  uid?: number;
  gid?: number;
}

/** Writes `bytes` to a new file `path` (O_EXCL), owner and mode set before fsync; removes it on failure. */
function writeNewFile(path: string, bytes: Buffer, owner: Owner): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    const st = fstatSync(fd);
    if (
      owner.uid !== undefined &&
      owner.gid !== undefined &&
      (st.uid !== owner.uid || st.gid !== owner.gid)
    )
      fchownSync(fd, owner.uid, owner.gid);
    fchmodSync(fd, owner.mode);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    try {
      unlinkSync(path);
    } catch {
      // nothing to remove
    }
    throw err;
  }
  closeSync(fd);
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

/** A backup of exactly these bytes already made for this file (a retry), if any. */
function existingBackup(dir: string, path: string, sum: string): string | undefined {
  const prefix = `${basename(path)}.`;
  for (const name of readdirSync(dir).sort()) {
    if (!name.startsWith(prefix) || !name.endsWith('.certdrift.bak')) continue;
    if (!/^\d{4}-\d\d-\d\dT[\d-]+Z\.certdrift\.bak$/.test(name.slice(prefix.length))) continue;
    try {
      if (sha(readFileSync(join(dir, name))) === sum) return join(dir, name);
    } catch {
      // unreadable: not ours to reuse
    }
  }
  return undefined;
}

/** Keeps the original bytes in `dir`: temp file + fsync + rename, so it is whole or absent. */
export function writeBackup(snap: FileSnapshot, dir: string, now: Date): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const reuse = existingBackup(dir, snap.path, snap.sha256);
  if (reuse) return reuse;
  const backup = join(dir, backupName(snap.path, now));
  const tmp = join(dir, `.${basename(backup)}.${process.pid}.tmp`);
  writeNewFile(tmp, snap.bytes, { mode: 0o600 });
  try {
    renameSync(tmp, backup);
  } catch (err) {
    unlinkSync(tmp);
    throw err;
  }
  fsyncDir(dir);
  return backup;
}

/**
 * Replaces `snap.path` with `bytes` atomically, keeping owner, group and mode. Returns the backup
 * path. Throws WriteRefused when the file changed since the snapshot, and the underlying error
 * when writing fails — in both cases the original file is as it was.
 */
export function writeAtomically(
  snap: FileSnapshot,
  bytes: Buffer | Uint8Array | string,
  opts: { backupDir: string; now: Date },
): string {
  const data =
    typeof bytes === 'string'
      ? Buffer.from(bytes)
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (lstatSync(snap.path).isSymbolicLink() || sha(readFileSync(snap.path)) !== snap.sha256) {
    throw new WriteRefused(
      `${snap.path} changed since it was read (someone edited it); nothing written — rerun to plan again`,
    );
  }
  const backup = writeBackup(snap, opts.backupDir, opts.now);
  const tmp = join(dirname(snap.path), `.${basename(snap.path)}.certdrift-${process.pid}.tmp`);
  try {
    writeNewFile(tmp, data, { mode: snap.mode, uid: snap.uid, gid: snap.gid });
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
  if (!readFileSync(snap.path).equals(data))
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
