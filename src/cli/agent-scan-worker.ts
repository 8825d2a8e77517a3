// Worker-thread entry (a composition root, like cli/main.ts: it builds the real edges): one
// complete scan, posted back as a ScanOutcome. Scanning here keeps the
// scan's transient garbage (file buffers, parser intermediates) in a heap that is discarded with
// the worker, so the long-lived agent thread stays small and its event loop stays free.

import { parentPort, workerData } from 'node:worker_threads';
import { systemClock } from '../agent/clock.js';
import { agentScan } from './agent-scan.js';
import type { ScanConfig } from '../config/scan-config.js';

const config = workerData as ScanConfig & { probeServed?: boolean };
agentScan(config, systemClock)().then(
  (outcome) => parentPort?.postMessage({ outcome }),
  (err: unknown) =>
    parentPort?.postMessage({ error: err instanceof Error ? err.message : String(err) }),
);
