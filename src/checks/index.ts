// Every check certdrift runs, listed explicitly (no registration by import side effect).

import type { Finding, Inventory } from '../model.js';
import { certExpiry } from './cert-expiry.js';
import type { Check, CheckContext } from './context.js';
import { duplicates } from './duplicates.js';
import { nodeLifetimeCheck } from './node-lifetime.js';
import { notReloaded } from './not-reloaded.js';
import { mountRisks } from './propagation.js';
import { servedStale } from './served-stale.js';
import { staleView } from './stale-view.js';

export type { Check, CheckContext } from './context.js';

export const CHECKS: readonly Check[] = [
  certExpiry,
  nodeLifetimeCheck,
  staleView,
  notReloaded,
  mountRisks,
  duplicates,
  servedStale,
];

export function runChecks(
  inv: Inventory,
  ctx: CheckContext,
  checks: readonly Check[] = CHECKS,
): Finding[] {
  return checks.flatMap((c) => c.run(inv, ctx));
}
