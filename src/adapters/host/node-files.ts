// The real NodeFiles: a host root on this machine.

import { discover, type DiscoverOptions, type DiscoverPattern } from './discover.js';
import { HostFiles } from './host-files.js';
import { detectPresets } from '../../node/presets.js';
import { readAndParse } from './read-and-parse.js';
import { walkForCertificates } from './cert-walk.js';
import type { NodeFiles } from './index.js';
import type { ParseCache } from './parse-cache.js';

/**
 * `cache`: parsed files kept across scans (the agent's rescans); the caller brackets each scan
 * with cache.begin() / cache.end().
 */
export function openNodeFiles(root: string, cache?: ParseCache): NodeFiles {
  const host = new HostFiles(root);
  return {
    root,
    detectPresets: () => detectPresets(host),
    discover: (patterns: DiscoverPattern[], opts: DiscoverOptions) =>
      discover(host, patterns, opts),
    read: (path, max) => host.read(path, max),
    readAndParse: (files, max, each) => readAndParse(host, files, max, cache, each),
    resolveAndRead: (path, max) => host.resolveAndRead(path, max),
    resolve: (path) => host.resolve(path),
    walkForCertificates: (dir, limits) => walkForCertificates(host, dir, limits),
    readRaw: (path, max) => host.readRawNow(path, max),
  };
}
