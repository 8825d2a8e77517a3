// host/: the edge to the node's file system under --host-root.

import type { DiscoverOptions, DiscoveredFile, DiscoverPattern, Discovery } from './discover.js';
import type { ReadResult, Resolved } from './host-files.js';
import type { RawFile } from './procfs.js';
import type { CertWalk, CertWalkLimits } from './cert-walk.js';
import type { ItemError } from '../../model/index.js';
import type { Preset } from '../../node/presets.js';
import type { ReadParsed } from './read-and-parse.js';

export { HostFiles, type ReadResult, type Resolved } from './host-files.js';
export {
  discover,
  nameSuggestsCertificates,
  type DiscoverPattern,
  type DiscoveredFile,
  type Discovery,
} from './discover.js';
export { PRESETS, detectPresets, presetByName, type Preset } from '../../node/presets.js';
export type { ReadParsed } from './read-and-parse.js';
export { openNodeFiles } from './node-files.js';
export { ParseCache, type CacheStats } from './parse-cache.js';
export { reasonOfOsError, errorText } from './os-reason.js';
export type { RawFile } from './procfs.js';
export type { CertWalk, CertWalkLimits } from './cert-walk.js';

/** What the inventory needs from a node's files; openNodeFiles() is the real one. */
export interface NodeFiles {
  readonly root: string;
  detectPresets(): Promise<Preset[]>;
  discover(patterns: DiscoverPattern[], opts: DiscoverOptions): Promise<Discovery>;
  read(path: string, maxBytes: number): Promise<ReadResult>;
  /** Reads and parses many discovered files, results in input order; may use a worker thread. */
  readAndParse(files: readonly DiscoveredFile[], maxBytes: number): Promise<ReadParsed[]>;
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
