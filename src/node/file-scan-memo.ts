// The agent's memo of the file half of a scan. A verifying scan walks, stats and (through the
// parse cache) reads only changed files; the directories it depends on are then watched
// (host/change-watch.ts). While the watch reports nothing, the next scans reuse its result
// without a single system call per file. Every `verifyEvery`-th scan verifies anyway: changes
// inotify cannot see (network file systems, a lost event) are found within that many scans.
//
// Race-free by order: a verifying scan re-arms the watch on the directories known so far
// *before* it reads anything, so a change during the scan is an event for the next one; if the
// scan found directories that were not watched while it ran, the next scan verifies again.

import type { DirectoryWatch, NodeFiles } from './ports.js';
import type { Inventory } from '../model/index.js';
import type { FileScan } from './scan-node.js';
import { scanFiles, type FileScanConfig } from './sources/files.js';
import { watchSpecOf } from './watch-spec.js';

/** At the default 5-minute interval, a verification by stat every 30 minutes. */
export const VERIFY_EVERY = 6;

export interface MemoStats {
  /** the last file scan was reused from the memo (no walk, no stat) */
  reused: boolean;
  /** files in the reused result */
  files: number;
  /** why the last scan verified, when it did */
  verified?: string;
  watchedDirectories: number;
}

export class FileScanMemo {
  private last: { key: string; inventory: Inventory } | undefined;
  private untilVerify = 0;
  stats: MemoStats = { reused: false, files: 0, watchedDirectories: 0 };

  constructor(
    private readonly watch: DirectoryWatch,
    private readonly verifyEvery = VERIFY_EVERY,
    /** what inotify cannot tell (a hard-linked file written elsewhere): a reason to verify */
    private readonly unseen: () => string | undefined = () => undefined,
  ) {}

  readonly scan: FileScan = async (files: NodeFiles, config: FileScanConfig) => {
    // Let inotify events already queued reach the watch first: a change made just before this
    // scan must not be read as "clean" (two turns: the first may come after this turn's poll).
    await new Promise<void>((r) => setImmediate(r));
    await new Promise<void>((r) => setImmediate(r));
    const key = JSON.stringify(config);
    const why =
      this.last === undefined
        ? 'first scan'
        : this.last.key !== key
          ? 'settings changed'
          : this.watch.dirty
            ? (this.watch.problem ?? 'a watched directory changed')
            : this.untilVerify <= 0
              ? 'periodic verification'
              : (this.watch.moved() ?? this.unseen());
    if (why === undefined && this.last) {
      this.untilVerify--;
      this.stats = {
        reused: true,
        files: this.last.inventory.files.length,
        watchedDirectories: this.watch.size,
      };
      return this.last.inventory;
    }
    if (this.last?.key !== key) this.watch.reset();
    this.watch.rearm();
    let listed: { listed: string[]; resolved: string[] } = { listed: [], resolved: [] };
    const inventory = await scanFiles(files, config, (w) => {
      listed = w;
    });
    const added = this.watch.replace(watchSpecOf(listed, inventory));
    this.last = { key, inventory };
    // Directories not watched while this scan ran: verify once more before trusting the watch.
    this.untilVerify = added > 0 ? 0 : this.verifyEvery - 1;
    this.stats = {
      reused: false,
      files: inventory.files.length,
      verified: why ?? 'periodic verification',
      watchedDirectories: this.watch.size,
    };
    return inventory;
  };

  close(): void {
    this.watch.close();
  }
}
