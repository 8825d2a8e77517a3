// Reads and parses many certificate files on the calling thread, yielding to the event loop
// every batch so an agent's HTTP handlers stay responsive. A worker thread for half the files
// was measured slower on 2 cores (330 vs 266 ms for 8,451 files: start-up plus structured-clone
// of the results outweigh the second core); see BENCHMARKS.md.

import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { parseCertificateFile, type FileParse } from '../certs/index.js';
import type { ItemError } from '../model.js';
import type { DiscoveredFile } from './discover.js';
import { HostFiles } from './host-files.js';

export type ReadParsed =
  | { ok: true; file: DiscoveredFile; parse: FileParse }
  | { ok: false; file: DiscoveredFile; error: ItemError };

/** Files read between two yields to the event loop. */
const BATCH = 256;
export function readAndParseOne(
  host: HostFiles,
  file: DiscoveredFile,
  maxBytes: number,
): ReadParsed {
  const res = host.readNow(file.path, maxBytes);
  if (!res.ok) return { ok: false, file, error: res.error };
  return {
    ok: true,
    file,
    parse: parseCertificateFile(res.bytes, { expectCertificates: file.expectCertificates }),
  };
}

export async function readAndParse(
  host: HostFiles,
  files: readonly DiscoveredFile[],
  maxBytes: number,
): Promise<ReadParsed[]> {
  const out: ReadParsed[] = [];
  for (let i = 0; i < files.length; i++) {
    out.push(readAndParseOne(host, files[i] as DiscoveredFile, maxBytes));
    if ((i + 1) % BATCH === 0) await yieldToLoop();
  }
  return out;
}
