// What every check receives besides the inventory: the time and the policy. Pure data.

import type { Finding, Inventory, Thresholds } from '../model.js';

export interface CheckContext {
  now: Date;
  thresholds: Thresholds;
}

export interface Check {
  /** stable name, used in docs and --skip-check (later) */
  name: string;
  run(inventory: Inventory, ctx: CheckContext): Finding[];
}
