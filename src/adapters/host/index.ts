// adapters/host: the node's file system under --host-root and its /proc, implementing the node
// ports (node/ports.ts). The port types are re-exported here for callers that import the adapter.

export type {
  CertWalk,
  CertWalkLimits,
  DiscoveredFile,
  DiscoverPattern,
  Discovery,
  NodeFiles,
  RawFile,
  ReadParsed,
  ReadResult,
  Resolved,
} from '../../node/ports.js';
export { HostFiles } from './host-files.js';
export { discover, nameSuggestsCertificates } from './discover.js';
export { openNodeFiles } from './node-files.js';
export { ParseCache } from './parse-cache.js';
export { reasonOfOsError, errorText } from './os-reason.js';
