// The host file system as certdrift sees it: every path is inside --host-root, and symbolic
// links are resolved *inside* that root (an absolute link target `/srv/x` means `<root>/srv/x`,
// `..` stops at the root), the way a chroot would see them. Failures are ItemErrors, not throws.

import { lstat, open, readlink, stat } from 'node:fs/promises';
import type { ItemError } from '../model.js';
import type { Reason } from '../reasons.js';
import { normalizeInRoot } from './glob.js';

export type Resolved =
  | { ok: true; path: string; kind: 'file' | 'dir' | 'other' }
  | { ok: false; reason: Reason; message: string };

export type ReadResult = { ok: true; bytes: Buffer } | { ok: false; error: ItemError };

const MAX_HOPS = 40; // Linux's MAXSYMLINKS

export function reasonOf(err: unknown): Reason {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return 'not_found';
    case 'EACCES':
    case 'EPERM':
      return 'permission_denied';
    case 'ELOOP':
      return 'symlink_loop';
    case 'EISDIR':
      return 'not_regular_file';
    default:
      return 'read_error';
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class HostFiles {
  /** @param root absolute path of the host root on this machine, e.g. `/` or `/host` */
  constructor(readonly root: string) {}

  /** Absolute path on this machine for a path inside the root. */
  real(p: string): string {
    return this.root === '/' ? p : this.root + p;
  }

  /** Resolves every symbolic link of `p` inside the root; returns the canonical in-root path. */
  async resolve(p: string): Promise<Resolved> {
    let pending = normalizeInRoot(p).split('/').filter((s) => s !== '');
    let done: string[] = [];
    let hops = 0;
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
        const reason = reasonOf(err);
        if (reason === 'not_found' && hops > 0) {
          return { ok: false, reason: 'dangling_symlink', message: `${p}: symbolic link target ${cur} does not exist` };
        }
        return { ok: false, reason, message: `${p}: ${errText(err)}` };
      }
      if (!isLink) {
        done.push(comp);
        continue;
      }
      if (++hops > MAX_HOPS) {
        return { ok: false, reason: 'symlink_loop', message: `${p}: more than ${MAX_HOPS} symbolic links (a loop?)` };
      }
      const target = await readlink(this.real(cur));
      if (target.startsWith('/')) done = [];
      pending = [...target.split('/').filter((s) => s !== ''), ...pending];
    }
    const path = '/' + done.join('/');
    try {
      const st = await stat(this.real(path));
      return { ok: true, path, kind: st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other' };
    } catch (err) {
      return { ok: false, reason: reasonOf(err), message: `${p}: ${errText(err)}` };
    }
  }

  /** Reads a canonical in-root path, refusing non-regular files and files over `maxBytes`. */
  async read(path: string, maxBytes: number): Promise<ReadResult> {
    const fail = (reason: Reason, message: string): ReadResult => ({ ok: false, error: { path, reason, message } });
    let fh;
    try {
      fh = await open(this.real(path), 'r');
    } catch (err) {
      return fail(reasonOf(err), errText(err));
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) return fail('not_regular_file', `${path} is not a regular file`);
      if (st.size > maxBytes) return fail('too_large', `${path} is ${st.size} bytes, over the ${maxBytes}-byte limit`);
      // Read at most maxBytes + 1 so a file growing under us is still caught.
      const buf = Buffer.allocUnsafe(Math.min(st.size, maxBytes) + 1);
      let filled = 0;
      while (filled < buf.length) {
        const { bytesRead } = await fh.read(buf, filled, buf.length - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      if (filled > maxBytes) return fail('too_large', `${path} grew over the ${maxBytes}-byte limit while read`);
      return { ok: true, bytes: buf.subarray(0, filled) };
    } catch (err) {
      return fail(reasonOf(err), `${path}: ${errText(err)}`);
    } finally {
      await fh.close();
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
