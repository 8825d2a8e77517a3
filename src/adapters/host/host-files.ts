// The host file system as certdrift sees it: every path is inside --host-root, and symbolic
// links are resolved *inside* that root (an absolute link target `/srv/x` means `<root>/srv/x`,
// `..` stops at the root), the way a chroot would see them. Failures are ItemErrors, not throws.

import { closeSync, constants, fstatSync, openSync, readSync, type BigIntStats } from 'node:fs';
import { lstat, readlink, stat } from 'node:fs/promises';
import type { ItemError } from '../../model/index.js';
import type { Reason } from '../../model/reasons.js';
import { normalizeInRoot } from '../../model/glob.js';
import { errorText, reasonOfOsError } from './os-reason.js';
import { readCapped, type RawFile } from './procfs.js';
import type { ReadResult, Resolved } from '../../node/ports.js';
export type { ReadResult, Resolved } from '../../node/ports.js';

const MAX_HOPS = 40; // Linux's MAXSYMLINKS

const errText = errorText;

export class HostFiles {
  /** @param root absolute path of the host root on this machine, e.g. `/` or `/host` */
  constructor(readonly root: string) {}

  /** Absolute path on this machine for a path inside the root. */
  real(p: string): string {
    return this.root === '/' ? p : this.root + p;
  }

  /** Resolves every symbolic link of `p` inside the root; returns the canonical in-root path. */
  async resolve(p: string): Promise<Resolved> {
    let pending = normalizeInRoot(p)
      .split('/')
      .filter((s) => s !== '');
    let done: string[] = [];
    let hops = 0;
    const via: string[] = [];
    while (pending.length > 0) {
      const comp = pending.shift() as string;
      if (comp === '.') continue;
      if (comp === '..') {
        done.pop();
        continue;
      }
      const cur = '/' + [...done, comp].join('/');
      let isLink: boolean;
      try {
        isLink = (await lstat(this.real(cur))).isSymbolicLink();
      } catch (err) {
        const reason = reasonOfOsError(err);
        if (reason === 'not_found' && hops > 0) {
          return {
            ok: false,
            reason: 'dangling_symlink',
            message: `${p}: symbolic link target ${cur} does not exist`,
          };
        }
        return { ok: false, reason, message: `${p}: ${errText(err)}` };
      }
      if (!isLink) {
        done.push(comp);
        continue;
      }
      if (++hops > MAX_HOPS) {
        return {
          ok: false,
          reason: 'symlink_loop',
          message: `${p}: more than ${MAX_HOPS} symbolic links (a loop?)`,
        };
      }
      via.push(cur);
      const target = await readlink(this.real(cur));
      if (target.startsWith('/')) done = [];
      pending = [...target.split('/').filter((s) => s !== ''), ...pending];
    }
    const path = '/' + done.join('/');
    try {
      const st = await stat(this.real(path));
      const kind = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other';
      return via.length > 0 ? { ok: true, path, kind, via } : { ok: true, path, kind };
    } catch (err) {
      return { ok: false, reason: reasonOfOsError(err), message: `${p}: ${errText(err)}` };
    }
  }

  /**
   * Reads a canonical in-root path, refusing non-regular files and files over `maxBytes`.
   * Synchronous system calls on purpose: for thousands of small certificate files they cost
   * ~10 µs each, where fs/promises FileHandles cost ~100 µs (measured in BENCHMARKS.md).
   * Callers yield to the event loop between batches (inventory/scan-files.ts).
   */
  async read(path: string, maxBytes: number): Promise<ReadResult> {
    await Promise.resolve();
    return this.readNow(path, maxBytes);
  }

  private scratch: Buffer | undefined;

  readNow(path: string, maxBytes: number): ReadResult {
    return this.readKeyed(path, maxBytes, false);
  }

  /**
   * readNow, with the file's fstat taken on the open descriptor *before* the read when `keyed`
   * (the parse cache's key: a write racing the read changes it, see parse-cache.ts).
   */
  readKeyed(
    path: string,
    maxBytes: number,
    keyed: true,
  ): ReadResult & { stat?: BigIntStats; readAtMs?: number };
  readKeyed(path: string, maxBytes: number, keyed: boolean): ReadResult;
  readKeyed(
    path: string,
    maxBytes: number,
    keyed: boolean,
  ): ReadResult & { stat?: BigIntStats; readAtMs?: number } {
    const fail = (reason: Reason, message: string): ReadResult => ({
      ok: false,
      error: { path, reason, message },
    });
    let fd: number;
    try {
      // O_NONBLOCK: a FIFO never blocks the scan. O_NOFOLLOW: `path` is canonical, so a link in
      // its last component appeared after resolution and must not be followed out of the root.
      fd = openSync(
        this.real(path),
        constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW,
      );
    } catch (err) {
      return fail(reasonOfOsError(err), errText(err));
    }
    try {
      // One read into a reused buffer of maxBytes + 1: a short read of a regular file is its
      // end, and a full buffer means the file is over the limit (open + read + close per file).
      if (!this.scratch || this.scratch.length < maxBytes + 1)
        this.scratch = Buffer.allocUnsafe(maxBytes + 1);
      const buf = this.scratch.subarray(0, maxBytes + 1);
      // Directories fail here with EISDIR (→ not_regular_file); discovery never hands over FIFOs,
      // sockets or devices, and O_NONBLOCK keeps a racing FIFO from blocking.
      const readAtMs = keyed ? Date.now() : 0;
      const stat = keyed ? fstatSync(fd, { bigint: true }) : undefined;
      const filled = readSync(fd, buf, 0, buf.length, 0);
      if (filled === buf.length)
        return fail('too_large', `${path} is over the ${maxBytes}-byte limit`);
      const bytes = Buffer.from(buf.subarray(0, filled));
      return stat ? { ok: true, bytes, stat, readAtMs } : { ok: true, bytes };
    } catch (err) {
      return fail(reasonOfOsError(err), `${path}: ${errText(err)}`);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Reads a canonical in-root path with its identity (device, inode, times, SHA-256), for drift
   * comparisons. Confined like readNow: the last component is never followed.
   */
  readRawNow(
    path: string,
    maxBytes: number,
  ): { ok: true; raw: RawFile } | { ok: false; error: ItemError } {
    try {
      return { ok: true, raw: readCapped(this.real(path), maxBytes, true) };
    } catch (err) {
      return {
        ok: false,
        error: { path, reason: reasonOfOsError(err), message: `${path}: ${errText(err)}` },
      };
    }
  }

  /** Resolves then reads: for paths named by users or kubeconfigs. */
  async resolveAndRead(p: string, maxBytes: number): Promise<ReadResult & { path?: string }> {
    const r = await this.resolve(p);
    if (!r.ok) return { ok: false, error: { path: p, reason: r.reason, message: r.message } };
    return { ...(await this.read(r.path, maxBytes)), path: r.path };
  }

  async exists(p: string): Promise<boolean> {
    return (await this.resolve(p)).ok;
  }
}
