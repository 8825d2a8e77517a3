// Reads and parses many certificate files on the calling thread, yielding to the event loop
// every batch so an agent's HTTP handlers stay responsive. A worker thread for half the files
// was measured slower on 2 cores (330 vs 266 ms for 8,451 files: start-up plus structured-clone
// of the results outweigh the second core); see BENCHMARKS.md.

import { lstatSync, type BigIntStats } from 'node:fs';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { parseCertificateFile } from '../../certs/index.js';
import type { DiscoveredFile } from './discover.js';
import { HostFiles } from './host-files.js';
import { statKey, type ParseCache } from './parse-cache.js';
import type { ReadParsed } from '../../node/ports.js';
export type { ReadParsed } from '../../node/ports.js';

/** Files read between two yields to the event loop. */
const BATCH = 256;
export function readAndParseOne(
  host: HostFiles,
  file: DiscoveredFile,
  maxBytes: number,
  cache?: ParseCache,
): ReadParsed {
  const opts = { expectCertificates: file.expectCertificates };
  if (!cache) {
    const res = host.readNow(file.path, maxBytes);
    if (!res.ok) return { ok: false, file, error: res.error };
    return { ok: true, file, parse: parseCertificateFile(res.bytes, opts) };
  }
  // The cache is per parse option and size limit too: a key names bytes *and* how they were read.
  const slot = `${file.expectCertificates ? 'c' : 'f'}${maxBytes}:${file.path}`;
  // lstat, not stat: like the read (O_NOFOLLOW), a link that appeared in the last component
  // since discovery is never a hit, and the read refuses it.
  // Any lstat failure (ENAMETOOLONG past PATH_MAX, ENOTDIR when a directory was replaced by a
  // file since discovery, ELOOP, EACCES) is a miss: the read below turns it into an item error.
  let st: BigIntStats | undefined;
  try {
    st = lstatSync(host.real(file.path), { bigint: true, throwIfNoEntry: false });
  } catch {
    st = undefined;
  }
  if (st?.isFile()) {
    const hit = cache.get(slot, statKey(st));
    if (hit) return { ok: true, file, parse: hit };
  }
  const res = host.readKeyed(file.path, maxBytes, true);
  if (!res.ok) return { ok: false, file, error: res.error };
  const parse = parseCertificateFile(res.bytes, opts);
  if (res.stat && res.readAtMs !== undefined)
    cache.put(slot, res.stat, res.readAtMs, parse, host.real(file.path));
  return { ok: true, file, parse };
}

/**
 * With `each`, every result goes to it as soon as it exists and none is returned: the caller
 * records a file's certificates while its parse is still young garbage (a cold scan of 10,000
 * certificates: peak RSS −9 MB, BENCHMARKS.md issue #25).
 */
export async function readAndParse(
  host: HostFiles,
  files: readonly DiscoveredFile[],
  maxBytes: number,
  cache?: ParseCache,
  each?: (item: ReadParsed) => void,
): Promise<ReadParsed[]> {
  const out: ReadParsed[] = [];
  for (let i = 0; i < files.length; i++) {
    const item = readAndParseOne(host, files[i] as DiscoveredFile, maxBytes, cache);
    if (each) each(item);
    else out.push(item);
    if ((i + 1) % BATCH === 0) await yieldToLoop();
  }
  return out;
}
