// The drain timeout against the policy's per-node time. A node starts only inside a window with
// its whole `perNode` time left (choose-work.ts), so a drain timeout no longer than the shortest
// perNode ends every drain — finished or recorded stuck — before its window does. A longer one
// is refused unless the operator says so (`--allow-drain-past-window`): such a drain reaches its
// window's end, where it stops evicting and waits for the next window (choose-work.ts).

import type { PlanPolicy } from '../fleet/plan-policy.js';
import { formatDuration } from '../model/duration.js';

/** the shortest per-node time of the policy (its default and every group's) */
export function shortestPerNodeMs(policy: PlanPolicy): number {
  let ms = policy.perNodeMs;
  for (const g of Object.values(policy.groups))
    if (g.perNodeMs !== undefined) ms = Math.min(ms, g.perNodeMs);
  return ms;
}

/** the drain timeout when none is given: an hour, or less to fit the policy's perNode */
export function defaultDrainTimeoutMs(policy: PlanPolicy): number {
  return Math.min(3_600_000, shortestPerNodeMs(policy));
}

/** null when the drain timeout fits every node's perNode time; else why it is refused */
export function drainTimeoutProblem(policy: PlanPolicy, drainTimeoutMs: number): string | null {
  const per = shortestPerNodeMs(policy);
  if (drainTimeoutMs <= per) return null;
  return `--drain-timeout ${formatDuration(drainTimeoutMs)} is longer than the policy's perNode ${formatDuration(per)}: a drain could outlast its window (it would stop evicting at the window's end and wait for the next); shorten it, raise perNode, or pass --allow-drain-past-window`;
}
