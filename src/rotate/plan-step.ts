// One step of a rotation: the work per node (choose-work.ts) and the actions in execution order
// (node-actions.ts), plus one `kops rolling-update` command per kops instance group with nodes
// handed over. A node to start whose actuator refuses it (actuators/: a Cluster API node no
// Machine links to by status.nodeRef or providerID, a Karpenter node without a NodeClaim, …) is
// reported stuck with the actuator's reason instead of silently skipped. Nodes held back whatever
// the limits (someone else's cordon, a control plane, a refused drain: heldOf) are kept out of
// the planner, so they never hold their group's first slot while the others wait behind them.
// Records whose node is gone and whose group is back to its baseline are pruned (with the group's
// baseline once it has no record left): the state object holds only what is in flight or waiting
// for a person.

import type { CertificateFacts, FleetNode } from '../fleet/fleet.js';
import type { Plan } from '../fleet/plan-types.js';
import type { PlanPolicy } from '../fleet/plan-policy.js';
import { planReplacements } from '../fleet/plan-replacements.js';
import type { NodeContext } from './actuators/actuator.js';
import {
  actuatorOf,
  chooseWork,
  heldOf,
  ignoredAnnotations,
  ledgerOf,
  type WorkInput,
} from './choose-work.js';
import { EMPTY_STATE, type StateChange } from './rotation-state.js';
import { withRecordedGroups } from './recorded-group.js';
import { reportJumpHeld } from './report-jump.js';
import { refusedPods } from './drain-rules.js';
import { kopsCommand, nodePlan } from './node-actions.js';
import type {
  LiveMachine,
  LiveMachineHealthCheck,
  LiveNode,
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
  /** what was read and not trusted (node annotations, invalid state entries): reported */
  reports: string[];
}

export function planStep(raw: StepInput): RotateStep {
  // A node with a record counts in its recorded group, whatever its labels now say.
  const grouped = withRecordedGroups(raw.nodes, raw.fleet, raw.state);
  const input: StepInput = { ...raw, nodes: grouped.nodes, fleet: grouped.fleet };
  const live = new Map(input.nodes.map((n) => [n.name, n]));
  const state = input.state ?? EMPTY_STATE;
  const ledger = ledgerOf(state, input.nodes, input.outside);
  const refused = refusedByNode(input);
  // Nodes in flight or finished are not placed again (they would hold the first wave forever),
  // nor nodes held back whatever the limits (their slot goes to the next node).
  const heldAll = new Map<string, NodeWork>();
  const placed = input.fleet.filter((f) => {
    const n = live.get(f.name);
    if (n === undefined) return true;
    if (ledger.trusted.has(n.name) || ledger.invalid.has(n.name)) return false;
    const h = heldOf(n, input.options, refused.get(n.name), input.policy.groups);
    if (h) heldAll.set(n.name, h);
    return h === null;
  });
  // Too many nodes due at once by their reports only: reported; held with --hold-report-jump.
  const jumped = reportJumpHeld(
    placed,
    input.facts,
    input.policy,
    input.now,
    groupSizes(input.nodes),
    (n) =>
      actuatorOf(
        live.get(n) ?? { kind: 'none', group: 'none' },
        input.options,
        input.policy.groups,
      ),
  );
  const jump = input.options.holdReportJump === true ? jumped : new Map<string, NodeWork>();
  const plan = planReplacements(
    placed.filter((f) => !jump.has(f.name)),
    input.facts,
    input.policy,
    input.now,
  );
  const held = new Map<string, NodeWork>([...jump, ...heldWhenDue(input, ledger, heldAll)]);
  const { work, actions } = nodePlans(
    input,
    live,
    ledger,
    chooseWork({ ...input, plan, refused, held }),
    refused,
  );
  const prune = pruneOf(work, ledger, state.baselines);
  if (prune) actions.push(prune);
  return {
    planId: input.planId,
    plan,
    at: input.now,
    work,
    actions,
    reports: [...grouped.reports, ...jumpReports(jumped, jump), ...reportsOf(input, live, ledger)],
  };
}

type Ledger = ReturnType<typeof ledgerOf>;

/** one line per group whose nodes came due by their reports only, at once */
function jumpReports(
  jumped: ReadonlyMap<string, NodeWork>,
  held: ReadonlyMap<string, NodeWork>,
): string[] {
  const byGroup = new Map<string, string[]>();
  for (const w of jumped.values()) byGroup.set(w.group, [...(byGroup.get(w.group) ?? []), w.node]);
  return [...byGroup].map(
    ([group, nodes]) =>
      `${group}: ${nodes.length} node(s) due by their NodeCertificateReports only, at once (${nodes.slice(0, 5).join(', ')}${nodes.length > 5 ? ', …' : ''}): ${held.size > 0 ? 'held (--hold-report-jump)' : 'rotated within the limits; --hold-report-jump holds such a jump for a person to check'}`,
  );
}

const groupSizes = (nodes: readonly { group: string }[]): Map<string, number> => {
  const m = new Map<string, number>();
  for (const n of nodes) m.set(n.group, (m.get(n.group) ?? 0) + 1);
  return m;
};

/** node → the pods its drain refuses (drain-rules.ts), for the nodes whose pods were listed */
function refusedByNode(input: StepInput): Map<string, string[]> {
  const refused = new Map<string, string[]>();
  for (const node of new Set(input.pods.map((p) => p.node))) {
    const r = refusedPods(input.pods, node, input.options);
    if (r.length > 0) refused.set(node, r);
  }
  return refused;
}

/** held nodes, reported as what they are when due now, else not-yet with the reason */
function heldWhenDue(
  input: StepInput,
  ledger: Ledger,
  heldAll: ReadonlyMap<string, NodeWork>,
): Map<string, NodeWork> {
  const held = new Map<string, NodeWork>();
  if (heldAll.size === 0) return held;
  const t = input.now.getTime();
  const withHeld = planReplacements(
    input.fleet.filter((f) => !ledger.trusted.has(f.name) && !ledger.invalid.has(f.name)),
    input.facts,
    input.policy,
    input.now,
  );
  for (const r of withHeld.schedule) {
    const h = heldAll.get(r.node);
    if (!h) continue;
    held.set(
      r.node,
      r.start.getTime() <= t
        ? h
        : { ...h, state: 'not-yet', note: `scheduled ${r.start.toISOString()}; then: ${h.note}` },
    );
  }
  return held;
}

/** what an actuator is given about one live node */
function contextOf(
  input: StepInput,
  node: LiveNode,
  group: string,
  ledger: Ledger,
  deadlines: ReadonlyMap<string, Date | null>,
): NodeContext {
  return {
    node,
    pods: input.pods,
    nodeClaims: input.nodeClaims,
    nodes: input.nodes,
    machines: input.machines ?? [],
    ...(input.healthChecks ? { healthChecks: input.healthChecks } : {}),
    ...(input.pausedClusters ? { pausedClusters: input.pausedClusters } : {}),
    planId: input.planId,
    now: input.now,
    options: input.options,
    ...(input.jobs ? { jobs: input.jobs } : {}),
    perNodeMs: input.policy.groups[group]?.perNodeMs ?? input.policy.perNodeMs,
    reportDeadline: deadlines.get(node.name) ?? null,
    record: ledger.trusted.get(node.name) ?? null,
    groupReady: input.nodes
      .filter((n) => n.group === node.group && n.ready === true)
      .map((n) => n.name),
    groupSize: input.nodes.filter((n) => n.group === node.group).length,
  };
}

/** each node's actions (or why its actuator refuses it), then one kops command per group */
function nodePlans(
  input: StepInput,
  live: ReadonlyMap<string, LiveNode>,
  ledger: Ledger,
  chosen: readonly NodeWork[],
  refused: ReadonlyMap<string, readonly string[]>,
): { work: NodeWork[]; actions: RotateAction[] } {
  const deadlines = new Map(input.facts.map((f) => [f.node, f.deadline]));
  const work: NodeWork[] = [];
  const actions: RotateAction[] = [];
  const kopsGroups = new Map<string, string>();
  for (const w of chosen) {
    const node = live.get(w.node);
    if (!node) {
      work.push(w);
      continue;
    }
    const p = nodePlan(w, contextOf(input, node, w.group, ledger, deadlines));
    if ('refused' in p) {
      work.push({ ...w, state: 'stuck', note: p.refused });
      continue;
    }
    work.push(w);
    actions.push(...p.actions);
    if (w.actuator === 'kops' && (w.state === 'start' || w.state === 'waiting-replacement'))
      if (!kopsGroups.has(w.group)) kopsGroups.set(w.group, w.node);
  }
  // `kops rolling-update` drains every marked node of its group: not printed while one of them
  // holds a pod the drain rules refuse (its note names the pods)
  for (const w of work)
    if (
      w.actuator === 'kops' &&
      w.state === 'waiting-replacement' &&
      (refused.get(w.node)?.length ?? 0) > 0
    )
      kopsGroups.delete(w.group);
  for (const [group, node] of kopsGroups)
    actions.push({
      node,
      step: 'kops-rolling-update',
      summary: `run where the kops state store is: replaces the marked nodes of ${group}`,
      command: kopsCommand(group, input.options),
    });
  return { work, actions };
}

/** what was read and not trusted: node annotations, recreated nodes, invalid state entries */
function reportsOf(
  input: StepInput,
  live: ReadonlyMap<string, LiveNode>,
  ledger: Ledger,
): string[] {
  const state = input.state ?? EMPTY_STATE;
  return [
    ...ignoredAnnotations(input.nodes),
    ...[...ledger.gone]
      .filter(([name]) => live.has(name))
      .map(
        ([name, rec]) =>
          `${name}: its rotation record names node UID ${rec.uid}, the node has ${live.get(name)?.uid ?? '?'} (recreated): not acted on`,
      ),
    ...state.problems,
    ...Object.entries(state.invalid)
      .filter(([n]) => !live.has(n))
      .map(([n, why]) => `${n}: its rotation state entry fails validation (${why}): not acted on`),
  ];
}

/** records of gone nodes whose group is back to its baseline, and baselines left without records */
function pruneOf(
  work: readonly NodeWork[],
  ledger: Ledger,
  stored: Readonly<Record<string, readonly string[]>>,
): RotateAction | null {
  const gone = new Set(work.filter((w) => w.state === 'gone').map((w) => w.node));
  const records = [...ledger.gone]
    .filter(([name]) => gone.has(name))
    .map(([node, rec]) => ({ node, expect: rec, next: null }));
  const left = new Set<string>();
  for (const r of ledger.trusted.values()) left.add(r.group);
  for (const [name, r] of ledger.gone) if (!gone.has(name)) left.add(r.group);
  const starting = new Set(work.filter((w) => w.state === 'start').map((w) => w.group));
  const baselines = Object.keys(stored)
    .filter((g) => !left.has(g) && !starting.has(g))
    .map((group) => ({ group, next: null }));
  if (records.length === 0 && baselines.length === 0) return null;
  const change: StateChange = { records, baselines };
  return {
    node: records[0]?.node ?? '-',
    step: 'prune-records',
    summary: `prune ${records.length} record(s) of nodes gone and replaced, ${baselines.length} finished group baseline(s)`,
    state: change,
  };
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
