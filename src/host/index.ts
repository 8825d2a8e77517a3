// host/: the edge to the node's file system under --host-root.
export { HostFiles, type ReadResult, type Resolved } from './host-files.js';
export { discover, nameSuggestsCertificates, type DiscoverPattern, type DiscoveredFile, type Discovery } from './discover.js';
export { PRESETS, detectPresets, presetByName, type Preset } from './presets.js';

import type { DiscoverOptions, DiscoverPattern as Pattern, Discovery as Found } from './discover.js';
import type { ReadResult as Read } from './host-files.js';
import type { Preset as P } from './presets.js';

/** What the inventory needs from a node's files; HostFiles + discover + presets implement it. */
export interface NodeFiles {
  readonly root: string;
  detectPresets(): Promise<P[]>;
  discover(patterns: Pattern[], opts: DiscoverOptions): Promise<Found>;
  read(path: string, maxBytes: number): Promise<Read>;
  resolveAndRead(path: string, maxBytes: number): Promise<Read & { path?: string }>;
}
export { openNodeFiles } from './node-files.js';
