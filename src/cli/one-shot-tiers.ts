// A cold `certdrift scan` lives well under a second. V8 tiers hot functions up twice: Maglev
// (fast to compile) and then TurboFan (slow to compile, on background threads). For a run that
// short TurboFan's compiles cost more CPU than its faster code gives back before the process
// exits: the cold scan of 10,000 certificates on Node 24 took 680 → 595 ms of CPU (−12 %) and
// peaked 100 → 90 MB with TurboFan off, Maglev kept (BENCHMARKS.md, issue #25, third pass).
// Only where Maglev is on by default (V8 ≥ 12: Node ≥ 22): on Node 20 (V8 11.3, no Maglev) it
// would leave the interpreter and Sparkplug alone. Never for the agent, which runs for months.

import { setFlagsFromString } from 'node:v8';

/** Whether V8 `version` ("13.6.233.10-node.27") tiers up with Maglev by default. */
export function hasMaglevByDefault(version: string): boolean {
  const major = /^(\d{1,4})\./.exec(version)?.[1];
  return major !== undefined && Number(major) >= 12;
}

/** For a one-shot command only, before its modules load. */
export function skipTurbofanForOneShot(v8Version: string = process.versions.v8): boolean {
  if (!hasMaglevByDefault(v8Version)) return false;
  setFlagsFromString('--no-turbofan');
  return true;
}
