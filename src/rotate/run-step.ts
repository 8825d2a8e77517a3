// One rotation step against a cluster, through a narrow edge (RotateClient implements it): read
// the live cluster, plan the step purely, then — with apply — run the actions in order. Within a
// node, an action that does not finish (a PodDisruptionBudget's 429) stops the node's later
// actions except further evictions, so a blocked pod never hides the others; the next step
// resumes from the node's record. A failed call stops this node only; the others go on.
// Records live in the rotation state object (rotation-state.ts), read once per step and written
// with what the step read: a write whose expectation no longer holds (another writer, an edit)
// is refused — the node's later actions are skipped and the next step decides again.
// Before any node starts, an optional gate (--defer-while: a Prometheus query) may defer the
// starts of this step; work already in flight goes on. A gate that cannot answer refuses: no
// node starts and the step says why — an error is never taken for "no series".

import type { Fleet } from '../fleet/fleet.js';
import type { PlanPolicy } from '../fleet/plan-policy.js';
import { planStep, type RotateStep, type StepInput } from './plan-step.js';
import type { LiveJob } from './actuators/in-place.js';
import type { ActionOutcome } from './render-step.js';
import type { RotationState, StateChange } from './rotation-state.js';
import type {
  ApiCall,
  Departing,
  GroupBaseline,
  LiveMachine,
  LiveMachineHealthCheck,
  LiveNode,
  LiveNodeClaim,
  LivePod,
  RotateAction,
  RotateOptions,
  Step,
} from './rotate-types.js';
import { WindowCalendar } from '../fleet/window-calendar.js';

export interface RotateEdge {
  /** the fleet, the live nodes and (where listed) the Machines/NodeClaims departing without a node */
  readFleet(): Promise<Fleet & { live: LiveNode[]; departing?: Departing[] }>;
  listPods(nodes: ReadonlySet<string>): Promise<LivePod[]>;
  listNodeClaims(): Promise<LiveNodeClaim[]>;
  /** the cluster's Pending pods (Karpenter's claim-gone); absent: not known, the claim decides */
  listPendingPods?(): Promise<LivePod[]>;
  listMachines(): Promise<LiveMachine[]>;
  /** MachineHealthChecks and paused Clusters (`namespace/name`) */
  listMachineHealthChecks(): Promise<{
    healthChecks: LiveMachineHealthCheck[];
    pausedClusters: string[];
  }>;
  /** the Jobs in the rotator's namespace (the in-place actuator); absent: none listed */
  listJobs?(namespace: string): Promise<LiveJob[]>;
  /**
   * One planned call. `guard`, when given, is asked before every attempt (the first and each
   * retry): a reason stops the call there, so a retried write never lands after it.
   */
  execute(
    call: ApiCall,
    guard?: () => string | null,
  ): Promise<{ result: 'done' | 'already-done' | 'blocked'; message: string }>;
  /** the rotation state object, and recorded nodes that exist outside the selection (name → UID) */
  readState(): Promise<{ state: RotationState; outside: ReadonlyMap<string, string> }>;
  /**
   * applies `change` to the state object; `blocked` when an entry is not what was expected, and
   * when a start (an entry expecting no record) meets a conflict: the limits that let the node
   * start are decided again next step. `guard` is asked before every request and retry inside
   * (a reason: the write is not sent, an error).
   */
  writeState(
    change: StateChange,
    guard?: () => string | null,
  ): Promise<{ result: 'done' | 'blocked'; message: string }>;
}

export interface StepSettings {
  policy: PlanPolicy;
  planId: string;
  options: RotateOptions;
  apply: boolean;
  /** the groups as the run found them (multi-step runs): validation between nodes */
  baseline?: GroupBaseline;
  /** asked once before nodes start: `proceed`, `defer` (wait: the reason), `refuse` (an error) */
  gate?: () => Promise<GateAnswer>;
  /**
   * the time as the step goes on (a long step — evictions retried, a slow server — may cross
   * its window's end); absent: the step's `now` throughout
   */
  clock?: () => Date;
}

/** the calls that disrupt (take capacity or pods away): made only inside a maintenance window */
export const DISRUPTIVE: ReadonlySet<Step> = new Set<Step>([
  'cordon',
  'evict',
  'delete-pod',
  'delete-node',
  'kops-annotate',
  'capi-remediate',
  'capi-delete-machine',
  'karpenter-delete',
]);

export type GateAnswer =
  { kind: 'proceed' } | { kind: 'defer'; reason: string } | { kind: 'refuse'; reason: string };

export interface StepRun {
  step: RotateStep;
  outcomes: ActionOutcome[];
  problems: Fleet['problems'];
  /** the gate did not let nodes start: why */
  gate?: Exclude<GateAnswer, { kind: 'proceed' }>;
  /** the live nodes this step read */
  live: LiveNode[];
  /** the rotation state this step read */
  state: RotationState;
}

const EVICTION_BLOCKED = 'an eviction is blocked: next step';

/**
 * the nodes whose drain this step starts, goes on with or ends at its timeout: their pods are
 * listed (a drain ending stuck names the pods it refused)
 */
function drainingOf(step: RotateStep): string[] {
  return step.work
    .filter(
      (w) =>
        w.actuator !== 'in-place' &&
        (w.state === 'start' ||
          w.state === 'continue' ||
          w.evictOthers === true ||
          (w.state === 'waiting-replacement' && w.actuator !== 'drain') ||
          (w.actuator === 'drain' && w.recordStuck === 'cordoned')),
    )
    .map((w) => w.node);
}

/** the nodes Ready per group: a run's validation baseline */
export function baselineOf(live: readonly LiveNode[]): GroupBaseline {
  const ready: Record<string, string[]> = {};
  for (const n of live) if (n.ready === true) (ready[n.group] ??= []).push(n.name);
  return { ready };
}

type StepBase = Omit<StepInput, 'pods' | 'nodeClaims'>;

export async function runStep(edge: RotateEdge, s: StepSettings, now: Date): Promise<StepRun> {
  const fleet = await edge.readFleet();
  const { state, outside } = await edge.readState();
  const base: StepBase = {
    state,
    outside,
    fleet: fleet.nodes,
    facts: fleet.facts,
    policy: s.policy,
    planId: s.planId,
    nodes: fleet.live,
    ...(fleet.departing ? { departing: fleet.departing } : {}),
    now,
    options: s.options,
    ...(s.baseline ? { baseline: s.baseline } : {}),
  };
  const planned = await planWithWhatItNeeds(edge, s, base);
  const { step, gate } = s.gate ? await gateStarts(planned, s.gate) : { step: planned, gate: null };
  const outcomes = await executeActions(edge, s, step, now);
  return {
    step,
    outcomes,
    problems: [
      ...fleet.problems,
      ...step.reports.map((message) => ({ source: 'rotation state', message })),
    ],
    live: fleet.live,
    state,
    ...(gate ? { gate } : {}),
  };
}

/**
 * The step planned on what it needs read. First pass without pods: which nodes drain this step;
 * then list only what they need. A node whose drain is refused (drain-rules.ts) takes no slot,
 * so the next pass may start another node: its pods are listed in turn, until every draining
 * node was judged on its own pods (bounded: each pass lists at least one new node).
 */
async function planWithWhatItNeeds(
  edge: RotateEdge,
  s: StepSettings,
  base: StepBase,
): Promise<RotateStep> {
  const first = planStep({ ...base, pods: [], nodeClaims: [] });
  const extra = await extrasFor(edge, s, first, base);
  const pods: LivePod[] = [];
  const listed = new Set<string>();
  let step = first;
  for (let planned = false; ; planned = true) {
    const need = drainingOf(step).filter((n) => !listed.has(n));
    if (need.length === 0 && planned) break;
    if (need.length > 0) pods.push(...(await edge.listPods(new Set(need))));
    for (const n of need) listed.add(n);
    step = planStep({ ...base, pods, ...extra });
  }
  return step;
}

/** what the first pass says the actuators need listed besides the nodes */
async function extrasFor(edge: RotateEdge, s: StepSettings, first: RotateStep, base: StepBase) {
  // A Karpenter hand-over whose Node is gone: finished by its claim and its pods (claim-gone).
  const live = new Set(base.nodes.map((n) => n.name));
  const needPending = Object.entries(base.state?.records ?? {}).some(
    ([n, r]) => r.claim !== undefined && !live.has(n),
  );
  const needClaims = needPending || first.work.some((w) => w.actuator === 'karpenter');
  // A node the first pass refused for want of its Machine: a capi start, or a drain whose
  // --after-drain delete-node needs the Machine's MachineHealthCheck (actuators/delete-node.ts).
  // Or a hand-over in flight whose remediation mark is repeated until confirmed (node-actions.ts).
  const needMachines = first.work.some(
    (w) =>
      (w.state === 'stuck' &&
        (w.actuator === 'capi' ||
          (s.options.afterDrain === 'delete-node' && w.group.startsWith('capi/')))) ||
      (w.state === 'waiting-replacement' && w.actuator === 'capi'),
  );
  const inPlace = s.options.inPlace;
  const needJobs = inPlace !== undefined && first.work.some((w) => w.actuator === 'in-place');
  return {
    ...(needPending && edge.listPendingPods ? { pendingPods: await edge.listPendingPods() } : {}),
    nodeClaims: needClaims ? await edge.listNodeClaims() : [],
    machines: needMachines ? await edge.listMachines() : [],
    ...(needMachines ? await edge.listMachineHealthChecks() : {}),
    ...(needJobs && edge.listJobs ? { jobs: await edge.listJobs(inPlace.namespace) } : {}),
  };
}

/** the gate (--defer-while) asked once when nodes would start; a no keeps every start back */
async function gateStarts(
  step: RotateStep,
  ask: () => Promise<GateAnswer>,
): Promise<{ step: RotateStep; gate: Exclude<GateAnswer, { kind: 'proceed' }> | null }> {
  if (!step.work.some((w) => w.state === 'start')) return { step, gate: null };
  const answer = await ask();
  if (answer.kind === 'proceed') return { step, gate: null };
  const held = new Set(step.work.filter((w) => w.state === 'start').map((w) => w.node));
  const note =
    answer.kind === 'defer' ? `deferred: ${answer.reason}` : `not started: ${answer.reason}`;
  return {
    gate: answer,
    step: {
      ...step,
      work: step.work.map((w) => (held.has(w.node) ? { ...w, state: 'deferred', note } : w)),
      actions: step.actions.filter((a) => {
        if (!held.has(a.node)) return true;
        // kops' command stays while a node of its group waits for kops
        const group = step.work.find((w) => w.node === a.node)?.group;
        return (
          a.step === 'kops-rolling-update' &&
          step.work.some((w) => w.group === group && w.state === 'waiting-replacement')
        );
      }),
    },
  };
}

/** the step's actions in order (with apply), each node stopping at its first failure */
async function executeActions(
  edge: RotateEdge,
  s: StepSettings,
  step: RotateStep,
  now: Date,
): Promise<ActionOutcome[]> {
  const outcomes: ActionOutcome[] = [];
  const halted = new Map<string, string>();
  // Windows bound every disruptive call, also within a step: asked before each such call and
  // before each of its retries (the edge asks `windowEnded` again).
  const calendar = new WindowCalendar(s.policy.windows, now.getTime());
  const windowEnded = (): string | null =>
    calendar.occurrenceAt((s.clock?.() ?? now).getTime()) === null
      ? 'the maintenance window ended: no disruptive call until the next one'
      : null;
  for (const action of step.actions) {
    if (!s.apply || (!action.call && !action.state)) {
      outcomes.push({ action, result: 'planned' });
      continue;
    }
    const why = halted.get(action.node);
    // Only a blocked eviction lets the node's other evictions go on; a failed call or a refused
    // state write stops all of its later actions (an eviction never runs without its record).
    if (why !== undefined && (action.step !== 'evict' || why !== EVICTION_BLOCKED)) {
      outcomes.push({ action, result: 'skipped', message: why });
      continue;
    }
    const disruptive = DISRUPTIVE.has(action.step);
    const ended = disruptive ? windowEnded() : null;
    if (ended !== null) {
      outcomes.push({ action, result: 'skipped', message: ended });
      halted.set(action.node, ended);
      continue;
    }
    const outcome = await executeOne(edge, action, disruptive ? windowEnded : undefined);
    outcomes.push(outcome.outcome);
    if (outcome.halt !== null) halted.set(action.node, outcome.halt);
  }
  return outcomes;
}

/** one action: its outcome, and why the node's later actions stop (null: they go on) */
async function executeOne(
  edge: RotateEdge,
  action: RotateAction,
  guard: (() => string | null) | undefined,
): Promise<{ outcome: ActionOutcome; halt: string | null }> {
  try {
    const r = action.state
      ? await edge.writeState(action.state)
      : await edge.execute(action.call as ApiCall, guard);
    const outcome: ActionOutcome = {
      action,
      result: r.result,
      ...(r.message ? { message: r.message } : {}),
    };
    if (r.result !== 'blocked') return { outcome, halt: null };
    return {
      outcome,
      halt: action.state ? 'the rotation state changed: next step' : EVICTION_BLOCKED,
    };
  } catch (e) {
    return {
      outcome: { action, result: 'failed', message: (e as Error).message },
      halt: 'an earlier action failed',
    };
  }
}
