// A file the client re-reads when it changes: service-account tokens are rewritten by kubelet
// (about hourly) and CA bundles are rotated. Like client-go (transport/token_source.go
// cachingTokenSource, 1-minute period), the file is checked at most once per period; a caller
// that was just told the credential is wrong (401) forces a check.

import { readFileSync, statSync } from 'node:fs';

export const RECHECK_MS = 60_000;

export class WatchedFile {
  private content: Buffer | undefined;
  private stamp = '';
  private checkedAt = -Infinity;

  constructor(
    readonly path: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** The file's bytes, re-read if it changed since the last check (checked at most every minute). */
  read(): Buffer {
    if (this.content === undefined || this.now() - this.checkedAt >= RECHECK_MS) this.check();
    return this.content ?? Buffer.alloc(0);
  }

  /** Re-checks now; true when the content changed. */
  refresh(): boolean {
    const before = this.content;
    this.check();
    return before === undefined || !before.equals(this.content ?? Buffer.alloc(0));
  }

  private check(): void {
    this.checkedAt = this.now();
    // Inode, size and mtime: a projected volume swaps a symlink, so the inode changes even when
    // the write lands within the same mtime tick.
    const st = statSync(this.path);
    const stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
    if (stamp === this.stamp && this.content !== undefined) return;
    this.content = readFileSync(this.path);
    this.stamp = stamp;
  }
}
