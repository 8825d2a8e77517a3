// Parsed files kept across the agent's rescans, keyed by what the kernel says about the file:
// (device, inode, size, mtime, ctime). A rename rotation (write a new file, rename it over the old
// one) changes the inode; an in-place write changes size, mtime and ctime; chmod, chown and
// `touch` change ctime — so a file whose key is unchanged has the bytes we parsed, and is not
// read again. The key is taken with fstat on the open file *before* it is read: a write racing
// the read changes the key, and the next scan reads the file again.
//
// Racily clean files (git's term, Documentation/technical/racy-git.txt): a file written within
// the file system's timestamp granularity of our read could change again with the same size and
// the same timestamps. Entries whose mtime or ctime is less than RACY_MS before the read are
// therefore not kept; they are read again at the next scan, until they have aged.
//
// This module reads no file itself except in linkedChanged() (an lstat per multiply-linked file).
//
// The cache holds only the files of the last scan (entries not seen in a scan are dropped at its
// end), so it is bounded by the node's file count, like the scan itself.

import { lstatSync, type BigIntStats } from 'node:fs';
import type { FileParse } from '../../certs/index.js';
import type { CacheStats } from '../../node/ports.js';
export type { CacheStats } from '../../node/ports.js';

/** 2 s: covers the coarsest common timestamps (FAT, some NFS servers); ext4/xfs are ns-exact. */
export const RACY_MS = 2000;

interface Entry {
  key: string;
  parse: FileParse;
  /** this machine's path, for a file with more than one hard link (see linkedChanged) */
  linked?: string;
  /** the scan generation that last used this entry */
  seen: number;
}

/** The identity of a file's contents as far as the kernel can tell, from (f)stat with bigint. */
export function statKey(st: BigIntStats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

export class ParseCache {
  private readonly entries = new Map<string, Entry>();
  private generation = 0;
  private current: CacheStats = { reused: 0, parsed: 0, dropped: 0 };
  private last: CacheStats = { reused: 0, parsed: 0, dropped: 0 };

  /** @param racyMs files changed less than this before their read are not kept (tests: 0) */
  constructor(private readonly racyMs = RACY_MS) {}

  /** Starts a scan: statistics reset, entries not used by the end of it are dropped. */
  begin(): void {
    this.generation++;
    this.current = { reused: 0, parsed: 0, dropped: 0 };
  }

  /**
   * Ends a scan: forgets every file the scan did not see (deleted, renamed away, excluded) —
   * unless `keepUnseen`: the scan reused an earlier result instead of looking files up.
   */
  end(keepUnseen = false): CacheStats {
    if (!keepUnseen)
      for (const [path, e] of this.entries)
        if (e.seen !== this.generation) {
          this.entries.delete(path);
          this.current.dropped++;
        }
    this.last = this.current;
    return this.last;
  }

  /** The parse of `path` if its key is unchanged since it was parsed. */
  get(path: string, key: string): FileParse | undefined {
    const e = this.entries.get(path);
    if (!e || e.key !== key) return undefined;
    e.seen = this.generation;
    this.current.reused++;
    return e.parse;
  }

  /**
   * Records a file just read and parsed. `st` is the fstat taken before the read; `readAtMs`
   * when it was taken. Racily clean files are counted but not kept.
   */
  put(path: string, st: BigIntStats, readAtMs: number, parse: FileParse, real?: string): void {
    this.current.parsed++;
    const newest = Number((st.mtimeNs > st.ctimeNs ? st.mtimeNs : st.ctimeNs) / 1_000_000n);
    if (newest > readAtMs - this.racyMs) {
      this.entries.delete(path);
      return;
    }
    this.entries.set(path, {
      key: statKey(st),
      parse,
      seen: this.generation,
      ...(st.nlink > 1n && real !== undefined ? { linked: real } : {}),
    });
  }

  /**
   * A file with several hard links can be written through a link in a directory nobody
   * watches: inotify reports it there only. Such files are stat'ed before a scan reuses
   * anything; returns the first whose key changed.
   */
  linkedChanged(): string | undefined {
    for (const [path, e] of this.entries) {
      if (e.linked === undefined) continue;
      const st = lstatSync(e.linked, { bigint: true, throwIfNoEntry: false });
      if (!st || statKey(st) !== e.key) return path.slice(path.indexOf(':') + 1);
    }
    return undefined;
  }

  /** Statistics of the last finished scan. */
  stats(): CacheStats {
    return { ...this.last };
  }

  get size(): number {
    return this.entries.size;
  }
}
