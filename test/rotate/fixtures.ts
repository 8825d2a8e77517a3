// Small fleets for the rotation tests: live nodes as the cluster edge maps them and the plan
// the real planner computes for them (nothing hand-written stands in for the planner).

import { groupOfNode, kindOfGroup } from '../../src/fleet/node-group.js';
import { DEFAULT_POLICY, type PlanPolicy } from '../../src/fleet/plan-policy.js';
import type { FleetNode } from '../../src/fleet/fleet.js';
import {
  parseState,
  ROTATION_ANNOTATION,
  type LiveNode,
  type LivePod,
  type RotateOptions,
  type RotationState,
} from '../../src/rotate/index.js';

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
    uid: `uid-${name}`,
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

/**
 * The tests write records as they read (the `certdrift.io/rotation` annotation form, for brevity);
 * the rotation trusts only its state object, so this lifts them into one — with each node's UID
 * and group, and the node cordoned where a drain record says it is — and strips the annotation.
 */
export function recordsToState(nodes: readonly LiveNode[]): {
  nodes: LiveNode[];
  state: RotationState;
} {
  const records: Record<string, unknown> = {};
  const out = nodes.map((n) => {
    const text = n.annotations[ROTATION_ANNOTATION];
    if (text === undefined) return n;
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      v = text;
    }
    records[n.name] =
      typeof v === 'object' && v !== null ? { ...v, uid: n.uid, group: n.group } : v;
    const { [ROTATION_ANNOTATION]: _, ...rest } = n.annotations;
    const st = (v as { state?: string; was?: string } | null)?.state;
    const cordoned =
      st === 'cordoned' ||
      st === 'drained' ||
      (st === 'stuck' && (v as { was?: string }).was === 'cordoned');
    return { ...n, annotations: rest, unschedulable: n.unschedulable || cordoned };
  });
  return { nodes: out, state: parseState(JSON.stringify({ records, baselines: {} })) };
}
