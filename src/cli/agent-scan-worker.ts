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
import { systemClock } from '../model/clock.js';
import { certificateFamilies } from '../agent/exposition.js';
import type { ScanOutcome } from '../agent/metrics.js';
import { updateLedger } from '../ledger/update-ledger.js';
import type { Ledger } from '../ledger/types.js';
import type { Certificate, Finding } from '../model/index.js';
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
let ledger:
  { ledger: Ledger; certs: readonly Certificate[]; workloads: string; atMs: number } | undefined;
export const LEDGER_REFRESH_MS = 30 * 60_000;

/** The findings last sent: equal findings are not sent again. */
let lastFindings: readonly Finding[] | undefined;

/** Deep equality of JSON-like values (findings: strings, numbers, arrays, plain objects). */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!same(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof Date || b instanceof Date)
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka)
    if (!same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}

/** The certificates of the last rendered families, so an unchanged node is not rendered again. */
let rendered:
  | { certs: readonly Certificate[]; node: string; x509Compat: boolean; validUntilMs: number }
  | undefined;

/**
 * The same certificate objects in the same order. A rescan that reused the file half (and the
 * usage memo) hands back the very objects of the last scan; any change makes new ones. Objects
 * are never modified after a scan, so identity means equal labels and values.
 */
function sameCerts(a: readonly Certificate[], b: readonly Certificate[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
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

type Exposition = NonNullable<ScanOutcome['exposition']>;

/** The per-certificate families, rendered again only when the certificates or the time changed. */
function renderedFamilies(
  inUse: readonly Certificate[],
  d: ScanWorkerData,
  nowMs: number,
  counts: Pick<Exposition, 'certificates' | 'superseded'>,
): Exposition {
  if (
    d.sameAsLast &&
    rendered &&
    rendered.node === d.node &&
    rendered.x509Compat === d.x509Compat &&
    nowMs < rendered.validUntilMs &&
    sameCerts(rendered.certs, inUse)
  )
    return { ...counts, unchanged: true };
  const text = new TextEncoder().encode(certificateFamilies(inUse, d.node, nowMs, d.x509Compat));
  rendered = {
    certs: inUse,
    node: d.node,
    x509Compat: d.x509Compat,
    validUntilMs: nextExpiry(inUse, nowMs),
  };
  return { ...counts, text };
}

/**
 * The ledger records every certificate, so it is brought up to date here, before slimming —
 * unless nothing it records changed (every certificate and container view as before).
 */
function ledgerPartOf(
  o: ScanOutcome,
  d: ScanWorkerData,
  nowMs: number,
): Pick<ScanOutcome, 'ledger' | 'ledgerUnchanged'> {
  if (!d.ledger) return {};
  const all = o.inventory.certificates;
  const kept = 'kept' in d.ledger ? ledger : undefined;
  const workloads = JSON.stringify(o.inventory.workloads);
  if (
    kept &&
    kept.workloads === workloads &&
    nowMs - kept.atMs < LEDGER_REFRESH_MS &&
    sameCerts(kept.certs, all)
  )
    return { ledgerUnchanged: true };
  const previous = 'previous' in d.ledger ? d.ledger.previous : (kept?.ledger ?? null);
  const next = updateLedger(previous, o.inventory, d.node, o.now);
  ledger = { ledger: next, certs: all, workloads, atMs: nowMs };
  return { ledger: next };
}

/** Files parsed and reused; a reused file half counts its files as reused (none was looked at). */
function cacheStats(): Pick<ScanOutcome, 'cache'> {
  if (!memory) return {};
  return {
    cache: {
      ...memory.cache.stats(),
      ...(memory.files?.stats.reused
        ? { reused: memory.cache.stats().reused + memory.files.stats.files }
        : {}),
    },
  };
}

/** The outcome as the agent needs it: families as bytes, no certificate objects, no files. */
function slim(o: ScanOutcome, d: ScanWorkerData): ScanOutcome {
  // as AgentMetrics.update does it: superseded history is counted, not exported
  const all = o.inventory.certificates;
  const inUse = all.filter((c) => c.superseded === undefined);
  const nowMs = o.now.getTime();
  const counts = { certificates: all.length, superseded: all.length - inUse.length };
  const exposition = renderedFamilies(inUse, d, nowMs, counts);
  const ledgerPart = ledgerPartOf(o, d, nowMs);
  const findingsUnchanged = d.findingsKnown === true && same(o.findings, lastFindings);
  lastFindings = o.findings;
  return {
    ...o,
    ...ledgerPart,
    ...(findingsUnchanged ? { findings: [], findingsUnchanged: true } : {}),
    inventory: { ...o.inventory, certificates: [], files: [] },
    exposition,
    ...cacheStats(),
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

/** One request (exported for the benchmark's in-process profile). */
export async function scanOnce(d: ScanWorkerData): Promise<ScanOutcome> {
  requireHostRoot(d.config.hostRoot);
  memory ??= scanMemory(d.config);
  const outcome = await agentScan(d.config, systemClock, memory)();
  return slim(outcome, d);
}

/**
 * Drops everything kept between scans (the parse cache and its change watch, the last ledger,
 * findings and families): the agent calls it when it hands its scans from its own process to a
 * worker process (agent-scanner.ts), so the memory goes with them.
 */
export function forgetScans(): void {
  memory?.files?.close();
  memory = undefined;
  ledger = undefined;
  lastFindings = undefined;
  rendered = undefined;
}

/** The argument ScanWorker forks this file with: an agent forked with IPC (a test, a supervisor)
 * that imports this module for an in-process scan must not start answering as a worker. */
export const WORKER_ARGUMENT = '--certdrift-scan-worker';

// Only as a forked worker (with an IPC channel) does it listen; imported, it only exports.
let serving = false;
if (process.send && process.argv[2] === WORKER_ARGUMENT) serveScanWorker();

/** Answers scan requests on the IPC channel (the single executable calls it: sea-main.ts). */
export function serveScanWorker(): void {
  if (serving) return; // once: a second listener would answer every request twice
  serving = true;
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
}
