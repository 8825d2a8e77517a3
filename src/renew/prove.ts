// The proof that a renewal took: a fresh scan of the node after the restarts, in which no running
// consumer of a renewed file sees or holds an older certificate than the file (consumers.ts), and
// every local TLS endpoint configured with a renewed file serves exactly that file's certificate.
// An endpoint that cannot be reached proves nothing and is named as such. Pure.

import type { Inventory } from '../model/index.js';
import { describeConsumer, staleConsumers, type Consumer } from './consumers.js';

export interface ServedMismatch {
  component: string;
  endpoint: string;
  certFile: string;
  problem: string;
}

export interface Proof {
  ok: boolean;
  /** consumers still holding or seeing the old certificate */
  holders: Consumer[];
  served: ServedMismatch[];
  /** endpoints whose served certificate equals its renewed file */
  servedOk: string[];
}

export function proveRenewal(inv: Inventory, paths: ReadonlySet<string>): Proof {
  const holders = staleConsumers(inv, paths);
  const served: ServedMismatch[] = [];
  const servedOk: string[] = [];
  for (const s of inv.served ?? []) {
    if (!s.certFile || !paths.has(s.certFile)) continue;
    const base = { component: s.component, endpoint: s.endpoint, certFile: s.certFile };
    if (!s.served || !s.file) {
      served.push({
        ...base,
        problem: `not proven: ${s.problem?.message ?? (s.served ? 'the file is unreadable' : 'no certificate served')}`,
      });
    } else if (s.served.fingerprintSha256 !== s.file.fingerprintSha256) {
      served.push({
        ...base,
        problem: `serves serial ${s.served.serial} (until ${s.served.notAfter.toISOString()}), the file holds serial ${s.file.serial}`,
      });
    } else servedOk.push(`${s.component} ${s.endpoint}`);
  }
  return { ok: holders.length === 0 && served.length === 0, holders, served, servedOk };
}

/** One line per thing that still holds the old certificate. */
export function proofFailures(p: Proof): string[] {
  return [
    ...p.holders.map((h) => `${describeConsumer(h)}: ${h.reason}`),
    ...p.served.map((s) => `${s.component} at ${s.endpoint} (${s.certFile}): ${s.problem}`),
  ];
}
