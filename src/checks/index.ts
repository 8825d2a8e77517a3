// Every check certdrift runs, listed explicitly (no registration by import side effect).

import type { Finding, Inventory } from '../model.js';
import { certExpiry } from './cert-expiry.js';
import type { Check, CheckContext } from './context.js';
import { nodeLifetimeCheck } from './node-lifetime.js';

export type { Check, CheckContext } from './context.js';

export const CHECKS: readonly Check[] = [certExpiry, nodeLifetimeCheck];

export function runChecks(
  inv: Inventory,
  ctx: CheckContext,
  checks: readonly Check[] = CHECKS,
): Finding[] {
  return checks.flatMap((c) => c.run(inv, ctx));
}
