// What `certdrift fix` needs from the machine, owned here so the executor stays pure: the node as
// scan sees it, the manifests on disk (found, read, written with a backup), the container runtime
// (stop, remove), the action log and the clock. adapters/host implements the manifest files and
// the log; cli composes the rest (the scan, the CRI connection) and hands them in.

import type { Clock } from '../model/clock.js';
import type { Finding, Inventory } from '../model/index.js';

/** A manifest found under a manifests directory, and the file to read and write for it. */
export interface ManifestEntry {
  /** the path as found (in the manifests directory) */
  path: string;
  /** the file to read and write: `path` with its links resolved inside the host root */
  target?: string;
  /** why there is no target */
  problem?: string;
  /** the directory named in `paths` does not exist (a host that is not a node, or a typo) */
  missing?: boolean;
}

/** A manifest as read: what a patch is planned on, and what a write checks is still there. */
export interface ManifestSnapshot {
  path: string;
  bytes: Uint8Array;
  /** for display and analysis: UTF-8, or one char per byte when the file is not UTF-8 */
  text: string;
  sha256: string;
  mode: number;
  uid: number;
  gid: number;
}

/** A file's state as the action log records it after a write. */
export interface FileState {
  sha256: string;
  bytes: number;
  /** permission bits only (mode & 0o7777), as in ManifestSnapshot */
  mode: number;
  uid: number;
  gid: number;
}

export interface ManifestFiles {
  /** the static-pod directories of the node's distribution (the default --manifests) */
  staticPodDirs(): Promise<string[]>;
  /** the manifests in `paths` (files or directories), each with its in-root target; never throws */
  find(paths: readonly string[]): Promise<ManifestEntry[]>;
  /** files below a node directory, or undefined when unknown (what a directory mount exposes) */
  listDir(dir: string): string[] | undefined;
  /** reads a manifest; throws when it cannot (a link, unreadable) */
  read(path: string): ManifestSnapshot;
  /**
   * Replaces the snapshot's file with `bytes` after a backup in `backupDir`, refusing when the
   * file changed since it was read. Returns the backup's path.
   */
  write(snap: ManifestSnapshot, bytes: Uint8Array, opts: { backupDir: string; now: Date }): string;
  /** the file as it is now */
  stat(path: string): FileState;
}

/** One connection to the container runtime, for the few calls that change anything. */
export interface ContainerControl {
  stop(containerId: string, graceSeconds: number): Promise<void>;
  remove(containerId: string): Promise<void>;
  close(): void;
}

export interface FixEdges {
  /**
   * the node as scan sees it now: inventory and findings; `checked` false when nothing could be
   * checked (no certificate found and nothing found wrong)
   */
  inspect(): Promise<{ inventory: Inventory; findings: Finding[]; checked: boolean }>;
  manifests: ManifestFiles;
  /** connects to the runtime; throws when there is none to connect to */
  containers(deadlineMs: number): Promise<ContainerControl>;
  /** appends one entry to the action log */
  log(entry: object): void;
  clock: Clock;
}
