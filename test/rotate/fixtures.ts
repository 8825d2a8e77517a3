// Small fleets for the rotation tests: live nodes as the cluster edge maps them and the plan
// the real planner computes for them (nothing hand-written stands in for the planner).

import { groupOfNode, kindOfGroup } from '../../src/fleet/node-group.js';
import { DEFAULT_POLICY, type PlanPolicy } from '../../src/fleet/plan-policy.js';
import type { FleetNode } from '../../src/fleet/fleet.js';
import type { LiveNode, LivePod, RotateOptions } from '../../src/rotate/index.js';

export const NOW = new Date('2026-11-25T10:00:00Z');
const DAY = 86_400_000;

export function liveNode(
  name: string,
  labels: Record<string, string>,
  annotations: Record<string, string> = {},
  extra: Partial<LiveNode> = {},
): LiveNode {
  const group = groupOfNode(labels, annotations);
  return {
    name,
    group,
    kind: kindOfGroup(group),
    labels,
    annotations,
    unschedulable: false,
    providerID: `aws:///eu-west-1a/i-${name}`,
    ready: true,
    ...extra,
  };
}

/** every node created 400 days ago: past the default maxNodeAge, so all are due now */
export function fleetOf(nodes: LiveNode[], now = NOW): FleetNode[] {
  return nodes.map((n) => ({
    name: n.name,
    group: n.group,
    createdAt: new Date(now.getTime() - 400 * DAY),
  }));
}

export const policyOf = (p: Partial<PlanPolicy> = {}): PlanPolicy => ({ ...DEFAULT_POLICY, ...p });

export const OPTIONS: RotateOptions = { afterDrain: 'none', drainTimeoutMs: 3_600_000 };

export function pod(node: string, name: string, extra: Partial<LivePod> = {}): LivePod {
  return {
    namespace: 'shop',
    name,
    node,
    daemonSet: false,
    mirror: false,
    finished: false,
    controlled: true,
    emptyDir: false,
    ...extra,
  };
}
