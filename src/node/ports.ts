// What a node scan needs from the machine, in certdrift's own terms: the node's files under the
// host root (NodeFiles), its processes as /proc shows them (ProcView), its containers
// (ContainerRuntime) and a change watch over its directories (DirectoryWatch). The core owns
// these; adapters/host and adapters/runtime implement them, and CRI messages, /proc details and
// file-system errors are mapped to these types inside the adapters, never leaking out.

import type { FileParse } from '../certs/index.js';
import type {
  DeclaredPropagation,
  EffectivePropagation,
  FileView,
  ItemError,
  WorkloadState,
} from '../model/index.js';
import type { Reason } from '../model/reasons.js';
import type { Preset } from './presets.js';

// --- the node's files (adapters/host: host-files.ts, discover.ts, cert-walk.ts) ---

export interface DiscoverPattern {
  glob: string;
  /** where the pattern came from: `preset:kops`, `--path` */
  origin: string;
}

export interface DiscoveredFile {
  /** canonical path inside the root */
  path: string;
  /** other in-root paths (symbolic links, linked directories) that led to it */
  links: string[];
  /** the file's name or a literal --path says it must hold certificates */
  expectCertificates: boolean;
}

export interface Discovery {
  files: DiscoveredFile[];
  errors: ItemError[];
  /**
   * What a change watch must cover for this discovery to stay true (agent rescans): every
   * directory listed (canonical), and every path resolved on the way (pattern bases, links).
   */
  watched?: { listed: string[]; resolved: string[] };
}

export interface DiscoverOptions {
  excludes: string[];
  /** entries one pattern may visit before discovery of that pattern stops (walk_limit) */
  maxEntries: number;
  /** progress: called once per directory listed (never per file), so it costs the walk nothing */
  onDirectory?: DirectoryProgress;
}

/**
 * A discovery's progress: the directory just listed, directory entries looked at so far, files
 * matched so far (the certificate files that will be read). Numbers, not an object: no allocation.
 */
export type DirectoryProgress = (dir: string, entries: number, matched: number) => void;

export type ReadResult = { ok: true; bytes: Buffer } | { ok: false; error: ItemError };

export type Resolved =
  | {
      ok: true;
      path: string;
      kind: 'file' | 'dir' | 'other';
      /** every symbolic link followed on the way (in-root paths): a change watch covers them */
      via?: string[];
    }
  | { ok: false; reason: Reason; message: string };

export interface CertWalkLimits {
  /** directory levels below `dir` that are entered (0: only `dir` itself) */
  maxDepth: number;
  /** directory entries looked at before the walk stops (then `truncated`) */
  maxEntries: number;
  /** subdirectories to enter (default: all); the caller's policy, e.g. not kubelet's pod volumes */
  enter?: (dir: string) => boolean;
}

export interface CertWalk {
  files: DiscoveredFile[];
  errors: ItemError[];
  truncated: boolean;
}

export type ReadParsed =
  | { ok: true; file: DiscoveredFile; parse: FileParse }
  | { ok: false; file: DiscoveredFile; error: ItemError };

/** A file's identity and bytes; the certificates are parsed later into a FileView. */
export type RawFile = Omit<FileView, 'certificates'> & { bytes: Buffer };

/** What the inventory needs from a node's files; openNodeFiles() is the real one. */
export interface NodeFiles {
  readonly root: string;
  detectPresets(): Promise<Preset[]>;
  discover(patterns: DiscoverPattern[], opts: DiscoverOptions): Promise<Discovery>;
  read(path: string, maxBytes: number): Promise<ReadResult>;
  /**
   * Reads and parses many discovered files, results in input order; may use a worker thread.
   * With `each`, a result may be handed to it as soon as it exists instead of being returned (the
   * returned list then holds only those not handed over, in order after them): a cold scan of
   * thousands of files then never holds every file's parse at once (issue #25).
   */
  readAndParse(
    files: readonly DiscoveredFile[],
    maxBytes: number,
    each?: (item: ReadParsed) => void,
  ): Promise<ReadParsed[]>;
  resolveAndRead(path: string, maxBytes: number): Promise<ReadResult & { path?: string }>;
  /** Resolves every symbolic link inside the root: the canonical path and what it is. */
  resolve(path: string): Promise<Resolved>;
  /** Certificate-looking files under a directory a container mounts, bounded; see cert-walk.ts. */
  walkForCertificates(dir: string, limits: CertWalkLimits): Promise<CertWalk>;
  /** A canonical path's bytes with its identity (device, inode, times), for drift comparisons. */
  readRaw(
    path: string,
    maxBytes: number,
  ): { ok: true; raw: RawFile } | { ok: false; error: ItemError };
}

// --- the node's processes (adapters/host/procfs.ts) ---

export type ProcResult<T> = { ok: true; value: T } | { ok: false; reason: Reason; message: string };

export interface ProcessInfo {
  pid: number;
  ppid: number;
  comm: string;
  cmdline: string[];
  startedAt: Date;
  /** inode of the mount namespace (readlink /proc/<pid>/ns/mnt) */
  mountNs: string;
}

export interface MountEntry {
  id: number;
  parent: number;
  major: number;
  minor: number;
  /** the path within the source file system that forms this mount's root */
  root: string;
  mountPoint: string;
  options: string[];
  optional: string[];
  fsType: string;
  source: string;
  propagation: EffectivePropagation;
  /** the root (for a bind mount: the bound file or directory) was unlinked after mounting */
  deleted: boolean;
}

/** The node's processes, as a scan reads them (adapters/host/procfs.ts is the real one). */
export interface ProcView {
  /** the node's own pid as this /proc sees it (1 with hostPID) */
  nodePid(): number;
  pids(): number[];
  process(pid: number): ProcResult<ProcessInfo>;
  mountinfo(pid: number): ProcResult<MountEntry[]>;
  /** a file as the process sees it, through /proc/<pid>/root */
  readAs(pid: number, path: string, maxBytes: number): ProcResult<RawFile>;
}

// --- change watch and parse cache, for the agent's rescans (adapters/host) ---

/** directory → the entry names whose changes matter, or every entry */
export type WatchSpec = Map<string, Set<string> | 'all'>;

export interface CacheStats {
  /** files whose parse was reused (not read) in the last scan */
  reused: number;
  /** files read and parsed in the last scan */
  parsed: number;
  /** entries dropped at the end of the last scan (files gone or replaced) */
  dropped: number;
}

/** A watch over directories whose silence proves the last scan's files unchanged. */
export interface DirectoryWatch {
  /** something changed (or the watch failed) since it was last armed */
  readonly dirty: boolean;
  /** why the watch cannot be trusted, when it cannot */
  readonly problem: string | undefined;
  /** directories watched now */
  readonly size: number;
  rearm(): void;
  /** watches exactly `next`; returns how many directories or names could not be watched */
  replace(next: WatchSpec): number;
  reset(): void;
  close(): void;
  /** a watched directory that was replaced or mounted over since it was armed */
  moved(): string | undefined;
}

// --- containers (adapters/runtime: CRI; adapters/host/proc-runtime.ts: the /proc fallback) ---

export interface DeclaredMount {
  containerPath: string;
  /** the node path the runtime mounted (CRI host_path) */
  hostPath: string;
  readonly: boolean;
  declared?: DeclaredPropagation;
}

export interface RuntimeContainer {
  id: string;
  podSandboxId: string;
  pod: { namespace: string; name: string; uid: string };
  name: string;
  attempt: number;
  state: WorkloadState;
  createdAt?: Date;
  startedAt?: Date;
  finishedAt?: Date;
  /** main process, for running containers */
  pid?: number;
  mounts: DeclaredMount[];
}

export interface ContainerRuntime {
  /** `cri` or `proc` */
  readonly source: string;
  readonly endpoint: string;
  /** every container the runtime knows, exited ones included */
  listContainers(): Promise<RuntimeContainer[]>;
  close(): void;
}
