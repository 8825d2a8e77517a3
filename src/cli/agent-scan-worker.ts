// Worker-process entry (a composition root, like cli/main.ts: it builds the real edges): one
// complete scan, sent back to the agent as a ScanOutcome, then exit. Scanning in a short-lived
// process returns all of the scan's memory to the system when it exits — a worker thread left
// tens of MB behind in the agent (allocator arenas, external memory; BENCHMARKS.md, issue #11).
// The per-certificate metric families are rendered here too and sent as bytes, so the agent
// never holds thousands of certificate objects.

import { readdirSync } from 'node:fs';
import { systemClock } from '../agent/clock.js';
import { certificateFamilies } from '../agent/exposition.js';
import type { ScanOutcome } from '../agent/metrics.js';
import { updateLedger } from '../ledger/update-ledger.js';
import { agentScan } from './agent-scan.js';
import type { ScanWorkerData } from './agent-scan-in-worker.js';
import { silenceLibraryWarnings } from './library-warnings.js';

function slim(o: ScanOutcome, d: ScanWorkerData): ScanOutcome {
  // as AgentMetrics.update does it: superseded history is counted, not exported
  const all = o.inventory.certificates;
  const inUse = all.filter((c) => c.superseded === undefined);
  const text = new TextEncoder().encode(
    certificateFamilies(inUse, d.node, o.now.getTime(), d.x509Compat),
  );
  return {
    ...o,
    // the ledger records every certificate, so it is brought up to date here, before slimming
    ...(d.ledger ? { ledger: updateLedger(d.ledger.previous, o.inventory, d.node, o.now) } : {}),
    inventory: { ...o.inventory, certificates: [], files: [] },
    exposition: { text, certificates: all.length, superseded: all.length - inUse.length },
  };
}

function reply(msg: { outcome?: ScanOutcome; error?: string }): void {
  // exit as soon as the message is written: nothing the scan opened may keep this process up
  process.send?.(msg, () => process.exit(0));
}

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
process.once('message', (d: ScanWorkerData) => {
  requireHostRoot(d.config.hostRoot)
    .then(() => agentScan(d.config, systemClock)())
    .then(
      (outcome) => {
        reply({ outcome: slim(outcome, d) });
      },
      (err: unknown) => {
        reply({ error: err instanceof Error ? err.message : String(err) });
      },
    );
});
