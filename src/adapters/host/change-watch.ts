// A change watch over a node's directories (inotify through fs.watch): the agent's proof that the
// files of its last scan have not changed, without a system call per file. A directory watch
// reports creation, deletion, renames, writes and attribute changes of its entries, and of itself;
// it follows inodes, so a change made through another mount or namespace of the same directory
// is seen. Not seen by inotify, and handled elsewhere: a file system mounted over a watched
// directory (moved() compares each directory's device and inode), a write through a hard link
// in another directory (the parse cache re-checks multiply-linked files, parse-cache.ts), and
// other clients' writes on network file systems (the periodic verification by stat in
// inventory/file-scan-memo.ts). Any error, a directory that vanished, or more
// directories than `maxDirs` makes the watch unusable, and the caller falls back to stat.

import { lstatSync, realpathSync, watch, type FSWatcher } from 'node:fs';
import type { WatchSpec } from '../../node/ports.js';
export type { WatchSpec } from '../../node/ports.js';

/** inotify's default per-user budget is 8,192 watches on older kernels, shared with kubelet. */
export const MAX_WATCHED_DIRS = 1000;

export class ChangeWatch {
  private readonly watchers = new Map<string, FSWatcher>();
  /** device and inode of each watched directory when it was armed (see moved()) */
  private readonly identity = new Map<string, string>();
  private spec: WatchSpec = new Map();
  private changed = false;
  private failure: string | undefined;

  private readonly realRoot: string;

  /** @param root the host root on this machine (`/`, `/host`) */
  constructor(
    private readonly root: string,
    private readonly maxDirs = MAX_WATCHED_DIRS,
  ) {
    this.realRoot = realpathSync(root);
  }

  private real(dir: string): string {
    return this.realRoot === '/' ? dir : dir === '/' ? this.realRoot : this.realRoot + dir;
  }

  /** Something under the watch changed since the last rearm(), or the watch failed. */
  get dirty(): boolean {
    return this.changed || this.failure !== undefined;
  }

  /** Why the watch cannot be trusted, if it cannot. */
  get problem(): string | undefined {
    return this.failure;
  }

  get size(): number {
    return this.watchers.size;
  }

  /**
   * Starts over from the directories watched so far, on the inodes at those paths now (a
   * directory replaced since is watched anew). Called before a verifying scan reads anything, so
   * a change during the scan is an event for the next one.
   */
  rearm(): void {
    this.closeAll();
    this.changed = false;
    this.failure = undefined;
    for (const dir of this.spec.keys()) this.arm(dir);
  }

  /**
   * Replaces the plan with what a verifying scan found it depends on now: directories no longer
   * needed are let go (pod directories come and go; a union would only grow). Returns how many
   * directories or names were not watched while that scan ran (the caller verifies once more).
   */
  replace(next: WatchSpec): number {
    let added = 0;
    for (const [dir, names] of next) {
      const cur = this.spec.get(dir);
      if (
        cur === undefined ||
        (cur !== 'all' && (names === 'all' || [...names].some((n) => !cur.has(n))))
      )
        added++;
    }
    for (const [dir, w] of this.watchers)
      if (!next.has(dir)) {
        w.close();
        this.watchers.delete(dir);
        this.identity.delete(dir);
      }
    this.spec = new Map([...next].map(([d, n]) => [d, n === 'all' ? 'all' : new Set(n)]));
    for (const dir of this.spec.keys()) if (!this.watchers.has(dir)) this.arm(dir);
    return added;
  }

  /** Forgets everything (the next scan verifies). */
  reset(): void {
    this.closeAll();
    this.spec = new Map();
    this.changed = false;
    this.failure = undefined;
  }

  close(): void {
    this.closeAll();
  }

  /**
   * A watched directory that is no longer the one watched — a file system mounted over it (as
   * kubelet mounts secret volumes, or a re-mounted host root) or replaced — raises no event in
   * the old watch. One lstat per watched directory before a scan reuses anything finds it.
   */
  moved(): string | undefined {
    for (const [dir, id] of this.identity) {
      const st = lstatSync(this.real(dir), { bigint: true, throwIfNoEntry: false });
      if (!st || `${st.dev}:${st.ino}` !== id) return `${dir} was replaced or mounted over`;
    }
    return undefined;
  }

  private closeAll(): void {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    this.identity.clear();
  }

  private arm(dir: string): void {
    if (this.failure) return;
    if (this.watchers.size >= this.maxDirs) {
      this.failure = `more than ${this.maxDirs} directories to watch`;
      this.closeAll();
      return;
    }
    // Only directories whose path is canonical inside the root: a path through a symbolic link
    // would be resolved by this machine, not inside the host root. The link itself is watched
    // in its own directory, by name. A directory that does not exist (yet) is covered the same
    // way: its parent's watch sees it appear.
    const path = this.real(dir);
    try {
      if (realpathSync(path) !== path) return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      this.failure = `${dir}: ${err instanceof Error ? err.message : String(err)}`;
      return;
    }
    try {
      const w = watch(path, { persistent: false }, (_event, name) => {
        const names = this.spec.get(dir);
        if (names === 'all' || name === null || names?.has(name) !== false) this.changed = true;
      });
      w.on('error', (err) => {
        this.failure = `${dir}: ${err.message}`;
      });
      this.watchers.set(dir, w);
      const st = lstatSync(path, { bigint: true });
      this.identity.set(dir, `${st.dev}:${st.ino}`);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // vanished between realpath and watch: the parent's watch has seen it go
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        this.changed = true;
        return;
      }
      this.failure = `${dir}: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
}
