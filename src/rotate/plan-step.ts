// One step of a rotation: the work per node (choose-work.ts) and the actions in execution order
// (node-actions.ts), plus one `kops rolling-update` command per kops instance group with nodes
// handed over. A node to start whose actuator refuses it (actuators/: a Cluster API node no
// Machine links to by status.nodeRef or providerID, a Karpenter node without a NodeClaim, …) is
// reported stuck with the actuator's reason instead of silently skipped.

import type { CertificateFacts, FleetNode } from '../fleet/fleet.js';
import type { Plan } from '../fleet/plan-types.js';
import type { PlanPolicy } from '../fleet/plan-policy.js';
import { planReplacements } from '../fleet/plan-replacements.js';
import { chooseWork, needsPlacing, type WorkInput } from './choose-work.js';
import { refusedPods } from './drain-rules.js';
import { kopsCommand, nodePlan } from './node-actions.js';
import type {
  LiveMachine,
  LiveMachineHealthCheck,
  LiveNodeClaim,
  LivePod,
  NodeWork,
  RotateAction,
} from './rotate-types.js';

export interface StepInput extends Omit<WorkInput, 'plan'> {
  /** the fleet as `certdrift plan` reads it; the plan is recomputed from it at every step */
  fleet: readonly FleetNode[];
  facts: readonly CertificateFacts[];
  policy: PlanPolicy;
  pods: readonly LivePod[];
  nodeClaims: readonly LiveNodeClaim[];
  /** Cluster API Machines; absent: none listed */
  machines?: readonly LiveMachine[];
  /** Cluster API MachineHealthChecks; absent: none listed */
  healthChecks?: readonly LiveMachineHealthCheck[];
  /** `namespace/name` of paused Cluster API Clusters */
  pausedClusters?: readonly string[];
}

export interface RotateStep {
  planId: string;
  plan: Plan;
  at: Date;
  work: NodeWork[];
  actions: RotateAction[];
}

export function planStep(input: StepInput): RotateStep {
  const live = new Map(input.nodes.map((n) => [n.name, n]));
  // Nodes in flight or finished are not placed again: they would hold the first wave forever.
  const placed = input.fleet.filter((f) => {
    const n = live.get(f.name);
    return n === undefined || needsPlacing(n, input.planId);
  });
  const plan = planReplacements(placed, input.facts, input.policy, input.now);
  const refused = new Map<string, string[]>();
  for (const node of new Set(input.pods.map((p) => p.node))) {
    const r = refusedPods(input.pods, node, input.options);
    if (r.length > 0) refused.set(node, r);
  }
  const work: NodeWork[] = [];
  const actions: RotateAction[] = [];
  const kopsGroups = new Map<string, string>();
  for (const w of chooseWork({ ...input, plan, refused })) {
    const node = live.get(w.node);
    if (!node) {
      work.push(w);
      continue;
    }
    const p = nodePlan(w, {
      node,
      pods: input.pods,
      nodeClaims: input.nodeClaims,
      machines: input.machines ?? [],
      ...(input.healthChecks ? { healthChecks: input.healthChecks } : {}),
      ...(input.pausedClusters ? { pausedClusters: input.pausedClusters } : {}),
      planId: input.planId,
      now: input.now,
      options: input.options,
      ...(input.jobs ? { jobs: input.jobs } : {}),
      perNodeMs: input.policy.groups[w.group]?.perNodeMs ?? input.policy.perNodeMs,
    });
    if ('refused' in p) {
      work.push({ ...w, state: 'stuck', note: p.refused });
      continue;
    }
    const acts = p.actions;
    work.push(w);
    actions.push(...acts);
    if (w.actuator === 'kops' && (w.state === 'start' || w.state === 'waiting-replacement'))
      if (!kopsGroups.has(w.group)) kopsGroups.set(w.group, w.node);
  }
  for (const [group, node] of kopsGroups)
    actions.push({
      node,
      step: 'kops-rolling-update',
      summary: `run where the kops state store is: replaces the marked nodes of ${group}`,
      command: kopsCommand(group, input.options),
    });
  return { planId: input.planId, plan, at: input.now, work, actions };
}

/** FNV-1a, 32 bits: a short stable id, no crypto needed in a pure module */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/**
 * The id a run records on its nodes: the same policy (and --run name) gives the same id, so a
 * resumed run recognises its own finished drains; a changed policy starts a new campaign.
 */
export function planIdOf(policyJson: string, run = ''): string {
  return `${run === '' ? 'p' : run}-${fnv1a(`${run}\n${policyJson}`)}`;
}
