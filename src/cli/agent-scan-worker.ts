// Worker-process entry (a composition root, like cli/main.ts: it builds the real edges). The
// agent keeps one such process across scans: it holds the parse cache (host/parse-cache.ts), so a
// rescan re-reads only files whose (device, inode, size, mtime, ctime) changed, and the rendered
// per-certificate families, so an unchanged node is not rendered again. Each request is one
// complete scan, answered as a ScanOutcome. The agent recycles the process when its memory grows
// (agent-scan-in-worker.ts): everything the process held goes back to the system with it.
// The per-certificate families are rendered here and sent as bytes, so the agent never holds
// thousands of certificate objects.

import { readdirSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { systemClock } from '../agent/clock.js';
import { certificateFamilies } from '../agent/exposition.js';
import type { ScanOutcome } from '../agent/metrics.js';
import { updateLedger } from '../ledger/update-ledger.js';
import type { Ledger } from '../ledger/types.js';
import type { Certificate } from '../model.js';
import { agentScan } from './agent-scan.js';
import { scanMemory, type ScanMemory } from './node-scan.js';
import type { ScanReply, ScanRequest, ScanWorkerData } from './agent-scan-in-worker.js';
import { silenceLibraryWarnings } from './library-warnings.js';

/** Kept across scans; made for the first request's host root (the agent's settings are fixed). */
let memory: ScanMemory | undefined;

/**
 * The ledger this worker last sent: kept here, so the agent need not send it back each scan.
 * Updated when what it records changed, and at least every LEDGER_REFRESH_MS (its entries' last
 * seen times are exact to that).
 */
let ledger: { ledger: Ledger; signature: string; atMs: number } | undefined;
export const LEDGER_REFRESH_MS = 30 * 60_000;

/** The findings last sent, as JSON: equal findings are not sent again. */
let lastFindings: string | undefined;

/** What the last rendered families depend on, so an unchanged node is not rendered again. */
let rendered: { signature: string; validUntilMs: number } | undefined;

/**
 * Everything the per-certificate families print, except the time: labels (path, index,
 * kubeconfig entry and name, component, common name) and values (the fingerprint covers the
 * dates). Certificates from the cache are the same objects, so this is cheap to build.
 */
function signatureOf(certs: readonly Certificate[], d: ScanWorkerData): string {
  const parts = [d.node, d.x509Compat ? 'x' : '-'];
  for (const c of certs)
    parts.push(
      `${c.location.path}\0${c.location.index}\0${c.location.kubeconfig?.entry ?? ''}\0${c.location.kubeconfig?.name ?? ''}\0${c.component}\0${c.fingerprintSha256}`,
    );
  return parts.join('\n');
}

/** The families' only time dependence: `…_expired` turns 1 when a certificate's notAfter passes. */
function nextExpiry(certs: readonly Certificate[], nowMs: number): number {
  let next = Infinity;
  for (const c of certs) {
    const t = c.notAfter.getTime();
    if (t > nowMs && t < next) next = t;
  }
  return next;
}

function slim(o: ScanOutcome, d: ScanWorkerData): ScanOutcome {
  // as AgentMetrics.update does it: superseded history is counted, not exported
  const all = o.inventory.certificates;
  const inUse = all.filter((c) => c.superseded === undefined);
  const nowMs = o.now.getTime();
  const signature = signatureOf(inUse, d);
  const counts = { certificates: all.length, superseded: all.length - inUse.length };
  let exposition: NonNullable<ScanOutcome['exposition']>;
  if (d.sameAsLast && rendered?.signature === signature && nowMs < rendered.validUntilMs) {
    exposition = { ...counts, unchanged: true };
  } else {
    const text = new TextEncoder().encode(certificateFamilies(inUse, d.node, nowMs, d.x509Compat));
    rendered = { signature, validUntilMs: nextExpiry(inUse, nowMs) };
    exposition = { ...counts, text };
  }
  // The ledger records every certificate, so it is brought up to date here, before slimming —
  // unless nothing it records changed (every certificate and container view as before).
  let ledgerPart: Pick<ScanOutcome, 'ledger' | 'ledgerUnchanged'> = {};
  if (d.ledger) {
    const kept = 'kept' in d.ledger ? ledger : undefined;
    const sig = `${signatureOf(all, d)}\u0001${JSON.stringify(o.inventory.workloads)}`;
    if (kept && kept.signature === sig && nowMs - kept.atMs < LEDGER_REFRESH_MS)
      ledgerPart = { ledgerUnchanged: true };
    else {
      const previous = 'previous' in d.ledger ? d.ledger.previous : (kept?.ledger ?? null);
      const next = updateLedger(previous, o.inventory, d.node, o.now);
      ledger = { ledger: next, signature: sig, atMs: nowMs };
      ledgerPart = { ledger: next };
    }
  }
  const findingsJson = JSON.stringify(o.findings);
  const findingsUnchanged = d.findingsKnown === true && findingsJson === lastFindings;
  lastFindings = findingsJson;
  return {
    ...o,
    ...ledgerPart,
    ...(findingsUnchanged ? { findings: [], findingsUnchanged: true } : {}),
    inventory: { ...o.inventory, certificates: [], files: [] },
    exposition,
    ...(memory
      ? {
          cache: {
            ...memory.cache.stats(),
            // a reused file half counts its files as reused: none of them was looked at
            ...(memory.files?.stats.reused
              ? { reused: memory.cache.stats().reused + memory.files.stats.files }
              : {}),
          },
        }
      : {}),
  };
}

/**
 * A host root that vanished (the hostPath mount went away) or is empty (mounted over) is a
 * failed scan, not a node without certificates: the last good snapshot stays, marked stale.
 */
function requireHostRoot(root: string): void {
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
}

/** A full collection after each scan: the scan's garbage goes now, not at some later scan. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as unknown;
  return typeof gc === 'function' ? () => void (gc as () => unknown)() : () => undefined;
}

async function scanOnce(d: ScanWorkerData): Promise<ScanOutcome> {
  requireHostRoot(d.config.hostRoot);
  memory ??= scanMemory(d.config);
  const outcome = await agentScan(d.config, systemClock, memory)();
  return slim(outcome, d);
}

silenceLibraryWarnings();
const gc = collector();
// One request at a time (the agent never overlaps scans); the answer carries the request's id.
let queue = Promise.resolve();
process.on('message', (req: ScanRequest) => {
  queue = queue.then(async () => {
    let reply: ScanReply;
    try {
      reply = { id: req.id, outcome: await scanOnce(req.data) };
    } catch (err) {
      reply = { id: req.id, error: err instanceof Error ? err.message : String(err) };
    }
    gc();
    reply.rss = process.memoryUsage.rss();
    process.send?.(reply);
  });
});
// The agent went away (exit, crash, kill): nothing else will ask, so go too.
process.on('disconnect', () => process.exit(0));
