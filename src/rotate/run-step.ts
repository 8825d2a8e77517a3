// One rotation step against a cluster, through a narrow edge (RotateClient implements it): read
// the live cluster, plan the step purely, then — with apply — run the actions in order. Within a
// node, an action that does not finish (a PodDisruptionBudget's 429) stops the node's later
// actions except further evictions, so a blocked pod never hides the others; the next step
// resumes from the node's record. A failed call stops this node only; the others go on.

import type { Fleet } from '../plan/fleet.js';
import type { PlanPolicy } from '../plan/plan-policy.js';
import { planStep, type RotateStep } from './plan-step.js';
import type { ActionOutcome } from './render-step.js';
import type { ApiCall, LiveNode, LivePod, RotateOptions } from './rotate-types.js';

export interface RotateEdge {
  readFleet(): Promise<Fleet & { live: LiveNode[] }>;
  listPods(nodes: ReadonlySet<string>): Promise<LivePod[]>;
  listNodeClaims(): Promise<{ name: string; providerID: string }[]>;
  execute(call: ApiCall): Promise<{ result: 'done' | 'already-done' | 'blocked'; message: string }>;
}

export interface StepSettings {
  policy: PlanPolicy;
  planId: string;
  options: RotateOptions;
  apply: boolean;
}

export interface StepRun {
  step: RotateStep;
  outcomes: ActionOutcome[];
  problems: Fleet['problems'];
}

export async function runStep(edge: RotateEdge, s: StepSettings, now: Date): Promise<StepRun> {
  const fleet = await edge.readFleet();
  const base = {
    fleet: fleet.nodes,
    facts: fleet.facts,
    policy: s.policy,
    planId: s.planId,
    nodes: fleet.live,
    now,
    options: s.options,
  };
  // First pass without pods: which nodes drain this step; then list only what they need.
  const first = planStep({ ...base, pods: [], nodeClaims: [] });
  const draining = new Set(
    first.work
      .filter((w) => w.actuator === 'drain' && (w.state === 'start' || w.state === 'continue'))
      .map((w) => w.node),
  );
  const needClaims = first.work.some((w) => w.actuator === 'karpenter');
  const step = planStep({
    ...base,
    pods: await edge.listPods(draining),
    nodeClaims: needClaims ? await edge.listNodeClaims() : [],
  });
  const outcomes: ActionOutcome[] = [];
  const halted = new Map<string, string>();
  for (const action of step.actions) {
    if (!s.apply || !action.call) {
      outcomes.push({ action, result: 'planned' });
      continue;
    }
    const why = halted.get(action.node);
    if (why !== undefined && action.step !== 'evict') {
      outcomes.push({ action, result: 'skipped', message: why });
      continue;
    }
    try {
      const r = await edge.execute(action.call);
      outcomes.push({ action, result: r.result, ...(r.message ? { message: r.message } : {}) });
      if (r.result === 'blocked') halted.set(action.node, 'an eviction is blocked: next step');
    } catch (e) {
      outcomes.push({ action, result: 'failed', message: (e as Error).message });
      halted.set(action.node, 'an earlier action failed');
    }
  }
  return { step, outcomes, problems: fleet.problems };
}
