// What every check receives besides the inventory: the time and the policy. Pure data.

import type { Finding, Inventory, Thresholds } from '../../model/index.js';
import type { NodeLifetime } from '../lifetime.js';

export interface CheckContext {
  now: Date;
  thresholds: Thresholds;
  /** the node's certificate deadline, computed once by assess() (null: no node certificate) */
  lifetime: NodeLifetime | null;
}

export interface Check {
  /** stable name, used in docs and --skip-check (later) */
  name: string;
  run(inventory: Inventory, ctx: CheckContext): Finding[];
}
