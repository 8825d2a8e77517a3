// Runs one scan in a fresh worker thread and resolves with its outcome (agent-scan-worker.ts).

import { Worker } from 'node:worker_threads';
import type { ScanConfig } from '../config/scan-config.js';
import type { ScanOutcome } from '../agent/metrics.js';

export function scanInWorker(config: ScanConfig & { probeServed?: boolean }): Promise<ScanOutcome> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./agent-scan-worker.js', import.meta.url), {
      workerData: { ...config },
    });
    let settled = false;
    worker.once('message', (msg: { outcome?: ScanOutcome; error?: string }) => {
      settled = true;
      if (msg.outcome) resolve(msg.outcome);
      else reject(new Error(msg.error ?? 'scan worker failed'));
      void worker.terminate();
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`scan worker exited with code ${code}`));
    });
  });
}
