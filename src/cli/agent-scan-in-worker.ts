// Runs one scan in a short-lived worker process (agent-scan-worker.ts) and resolves with its
// outcome. A process rather than a thread: when it exits, every byte the scan used goes back
// to the system, so the agent's own memory stays flat between scans (BENCHMARKS.md, issue #11).
// The agent sets the worker's V8 limits itself — nobody has to set NODE_OPTIONS.

import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ScanConfig } from '../config/scan-config.js';
import type { ScanOutcome } from '../agent/metrics.js';
import type { Ledger } from '../ledger/types.js';

export interface ScanWorkerData {
  /** the scan settings, and the agent's --no-probe */
  config: ScanConfig & { probeServed?: boolean };
  /** the node label and family choice for the per-certificate metrics rendered in the worker */
  node: string;
  x509Compat: boolean;
  /**
   * The certificate ledger before this scan, when the agent keeps one: the worker adds what it
   * saw while it still holds every certificate, and sends the updated ledger back.
   */
  ledger?: { previous: Ledger | null };
}

/**
 * A 1 MB young generation (semi-space): scan garbage is short-lived, and V8 would otherwise
 * grow its nursery to 16–32 MB and keep it for the rest of the scan (measured: BENCHMARKS.md).
 */
const WORKER_V8_FLAGS = ['--max-semi-space-size=1'];

export function scanInWorker(
  config: ScanConfig & { probeServed?: boolean },
  metrics: { node: string; x509Compat: boolean; ledger?: { previous: Ledger | null } },
): Promise<ScanOutcome> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL('./agent-scan-worker.js', import.meta.url)), [], {
      execArgv: WORKER_V8_FLAGS,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    // A scan in progress never keeps the process alive after the agent has shut down (the
    // agent's server keeps it alive while it runs); the orphaned worker exits on its own.
    child.unref();
    child.channel?.unref();
    let settled = false;
    child.once('message', (msg: { outcome?: ScanOutcome; error?: string }) => {
      settled = true;
      if (msg.outcome) resolve(msg.outcome);
      else reject(new Error(msg.error ?? 'scan worker failed'));
    });
    child.once('error', (err) => {
      settled = true;
      reject(err);
    });
    child.once('exit', (code, signal) => {
      if (!settled)
        reject(new Error(`scan worker exited with ${signal ?? `code ${String(code)}`}`));
    });
    const data: ScanWorkerData = { config: { ...config }, ...metrics };
    child.send(data);
  });
}
