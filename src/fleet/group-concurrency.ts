// How many nodes of one group may be in flight at once, computed as kops computes its
// rolling-update concurrency (kubernetes/kops pkg/instancegroups/settings.go resolveSettings and
// pkg/instancegroups/instancegroups.go rollingUpdateInstanceGroup):
//   - maxSurge defaults to 0; a percentage of the group's nodes rounds UP;
//   - maxUnavailable defaults to 1 when maxSurge is 0, else 0; a percentage rounds DOWN but is
//     at least 1;
//   - maxSurge is capped at the number of nodes to update; concurrency = maxSurge + maxUnavailable.
// kops treats a concurrency of 0 as "rolling updates disabled"; a certificate deadline does not
// wait, so the planner uses max(1, …) — one node at a time at least. kops also pins control-plane
// surge to 0; certdrift cannot tell an instance group's role from a node label reliably, so the
// policy states maxSurge: 0 for control-plane groups itself (see docs/plan.md).

import type { GroupPolicy, IntOrPercent } from './plan-policy.js';

function resolve(v: IntOrPercent, groupSize: number, roundUp: boolean): number {
  if ('count' in v) return v.count;
  const exact = (v.percent * groupSize) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/**
 * `surges`: whether the group's tool launches the new node before removing the old one (kops).
 * Drains, Cluster API remediation and NodeClaim deletion remove capacity first: their maxSurge
 * adds no concurrency (`certdrift rotate` passes false for them; issue #21 item 2).
 */
export function groupConcurrency(
  policy: GroupPolicy | undefined,
  groupSize: number,
  toReplace: number,
  surges = true,
): number {
  if (!policy) return 1;
  const surge = policy.maxSurge && surges ? resolve(policy.maxSurge, groupSize, true) : 0;
  let unavailable: number;
  if (!policy.maxUnavailable) unavailable = surge === 0 ? 1 : 0;
  else {
    unavailable = resolve(policy.maxUnavailable, groupSize, false);
    if ('percent' in policy.maxUnavailable && unavailable <= 0) unavailable = 1;
  }
  return Math.max(1, Math.min(surge, toReplace) + unavailable);
}
