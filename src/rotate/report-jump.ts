// A cap on nodes that become due "by report only" in one step (issue #21, review finding 1c).
// A NodeCertificateReport is written by the node's own agent; even with the admission policy
// (deploy/base/report-admission.yaml) a compromised node writes its own, and a bug or a bad
// release of the agent could write many at once. A node whose age alone would not make it due
// now (its replacement would start now, or its due date has passed) but whose report does is
// "due by report"; when more than max(1, 10 %) of a group's nodes are due by report at once (and
// without a record yet: newly), the jump is always reported, and with `--hold-report-jump` those
// nodes are held — reported, never started — for a person to check. Not held by default: the
// nodes of a group made together come due together (a kubeadm or EKS group has no age rule, so
// every due node of it is due by report), and a rotator that stalls on each such group lets
// certificates expire; the admission policy already keeps a node from writing another node's
// report. Nodes due by age are never held by it.

import type { CertificateFacts, FleetNode } from '../fleet/fleet.js';
import type { PlanPolicy } from '../fleet/plan-policy.js';
import { planReplacements } from '../fleet/plan-replacements.js';
import type { NodeWork } from './rotate-types.js';

/** the most nodes of a group of `size` that may become due by report only in one step */
export function reportJumpLimit(size: number): number {
  return Math.max(1, Math.floor(size / 10));
}

/**
 * node → its held work, for the nodes of each group due now by report only when the group has
 * more of them than reportJumpLimit; `placed` are the nodes without a record, `sizes` the
 * groups' node counts
 */
export function reportJumpHeld(
  placed: readonly FleetNode[],
  facts: readonly CertificateFacts[],
  policy: PlanPolicy,
  now: Date,
  sizes: ReadonlyMap<string, number>,
  actuatorOf: (node: string) => NodeWork['actuator'],
): Map<string, NodeWork> {
  const t = now.getTime();
  const dueNow = (f: readonly CertificateFacts[]): Set<string> =>
    new Set(
      planReplacements(placed, f, policy, now)
        .schedule.filter((r) => r.start.getTime() <= t || r.dueBy.getTime() <= t)
        .map((r) => r.node),
    );
  const withReports = dueNow(facts);
  if (withReports.size === 0) return new Map();
  const byAge = dueNow(facts.filter((f) => f.source !== 'report'));
  const groupOf = new Map(placed.map((f) => [f.name, f.group]));
  const jump = new Map<string, string[]>();
  for (const node of withReports) {
    if (byAge.has(node)) continue;
    const g = groupOf.get(node) ?? 'none';
    jump.set(g, [...(jump.get(g) ?? []), node]);
  }
  const held = new Map<string, NodeWork>();
  for (const [group, nodes] of jump) {
    const size = sizes.get(group) ?? nodes.length;
    const limit = reportJumpLimit(size);
    if (nodes.length <= limit) continue;
    for (const node of nodes)
      held.set(node, {
        node,
        group,
        actuator: actuatorOf(node),
        state: 'blocked',
        note: `due by its NodeCertificateReport only, with ${nodes.length} of ${group}'s ${size} nodes at once (more than ${limit}): held (--hold-report-jump): a forged or wrong report could do this; check the reports, then run without the flag`,
      });
  }
  return held;
}
