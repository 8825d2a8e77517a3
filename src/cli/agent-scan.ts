// One complete scan of the node as the agent publishes it: scanNode + assess through the one
// composition root (node-scan.ts), timed with the agent's clock. Runs in the agent's scan worker.

import type { Clock } from '../model/clock.js';
import type { ScanOutcome } from '../agent/metrics.js';
import { thresholdsOf, type ScanConfig } from './config/scan-config.js';
import { assess } from '../node/assess.js';
import { probedInventoryOf, type ScanMemory } from './node-scan.js';

/**
 * `probeServed: false` is the agent's --no-probe (the flag travels to the worker with the config);
 * `memory` keeps parsed files, and the file half of the last scan, across the worker's scans.
 */
export function agentScan(
  config: ScanConfig & { probeServed?: boolean },
  clock: Clock,
  memory?: ScanMemory,
): () => Promise<ScanOutcome> {
  return async () => {
    const t0 = clock.now().getTime();
    const inventory = await probedInventoryOf(config, {
      probeServed: config.probeServed !== false,
      ...(memory ? { memory } : {}),
    });
    const now = clock.now();
    const assessment = assess(inventory, { now, thresholds: thresholdsOf(config) });
    return {
      inventory,
      findings: assessment.findings,
      lifetime: assessment.lifetime,
      now,
      durationSeconds: (now.getTime() - t0) / 1000,
    };
  };
}
