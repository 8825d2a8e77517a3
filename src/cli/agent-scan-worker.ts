// Worker-thread entry (a composition root, like cli/main.ts: it builds the real edges): one
// complete scan, posted back as a ScanOutcome. Scanning here keeps the
// scan's transient garbage (file buffers, parser intermediates) in a heap that is discarded with
// the worker, so the long-lived agent thread stays small and its event loop stays free.

import { readdirSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { systemClock } from '../agent/clock.js';
import { agentScan } from './agent-scan.js';
import type { ScanConfig } from '../config/scan-config.js';
import { silenceLibraryWarnings } from './library-warnings.js';

/**
 * A host root that vanished (the hostPath mount went away) or is empty (mounted over) is a
 * failed scan, not a node without certificates: the last good snapshot stays, marked stale.
 */
async function requireHostRoot(root: string): Promise<void> {
  let entries: number;
  try {
    entries = readdirSync(root).length;
  } catch (err) {
    throw new Error(
      `host root ${root} cannot be read: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (entries === 0)
    throw new Error(`host root ${root} is empty (is the node's file system still mounted there?)`);
  return Promise.resolve();
}

silenceLibraryWarnings();
const config = workerData as ScanConfig;
requireHostRoot(config.hostRoot)
  .then(() => agentScan(config, systemClock)())
  .then(
    (outcome) => parentPort?.postMessage({ outcome }),
    (err: unknown) =>
      parentPort?.postMessage({ error: err instanceof Error ? err.message : String(err) }),
  );
