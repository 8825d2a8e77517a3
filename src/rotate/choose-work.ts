// Which nodes this step works on, from the plan (recomputed from the live cluster), the live
// nodes and their progress records, and `now`. Resumable by construction: a node is started only
// when it carries no record of being worked on; a node with a record is continued (cordoned),
// waited on (handed over to its group's tool) or left alone (drained by this plan). Nodes in
// flight — whatever run started them — count against the group's concurrency and maxInFlight,
// and a node starts only inside a window with its whole perNode time left in it.
// Timeouts end in a `stuck` record (a handed-over node not gone within the replace timeout, a
// drain past --drain-timeout), never in a silent retry; a drain past --force-after deletes its
// remaining pods instead. Before a node of a group starts, the group is validated (the
// `kops validate` idea): every node that was Ready when the run began and has no record is still
// Ready (else the group halts), and as many nodes are Ready or in the rotation's hands as were
// Ready at the start (else it waits for the replacement). A node owned by a KubeadmControlPlane
// is reported with KCP's own knob instead of being remediated. A node renewed in place (the
// in-place actuator) is judged by its Job (actuators/in-place.ts), never by anything it writes.
// Windows bound every disruptive call, not only a node's start: a drain in flight when its window
// ends makes no further eviction, pod deletion or Node deletion until the next window opens
// (state `window-ended`, still in flight); its drain timeout keeps running, so a drain that
// cannot finish in its windows still ends stuck.

import type { GroupPolicy } from '../fleet/plan-policy.js';
import type { Plan } from '../fleet/plan-types.js';
import { WindowCalendar } from '../fleet/window-calendar.js';
import { refuseInPlace, renewingWork, type LiveJob } from './actuators/in-place.js';
import { isRecord, parseRecord, ROTATION_ANNOTATION } from './rotation-record.js';
import type {
  Actuator,
  GroupBaseline,
  LiveNode,
  NativeKnob,
  NodeWork,
  RotateOptions,
} from './rotate-types.js';

export interface WorkInput {
  plan: Plan;
  planId: string;
  nodes: readonly LiveNode[];
  now: Date;
  options: RotateOptions;
  /** the groups when the run began (a multi-step run); absent: only NotReady nodes are checked */
  baseline?: GroupBaseline;
  /** node → the pods its drain refuses (drain-rules.ts), for the nodes whose pods were listed */
  refused?: ReadonlyMap<string, readonly string[]>;
  /** the Jobs in the rotator's namespace (listed when a group uses the in-place actuator) */
  jobs?: readonly LiveJob[];
}

export const DEFAULT_REPLACE_TIMEOUT_MS = 3_600_000;
export const CAPI_OWNER_KIND = 'cluster.x-k8s.io/owner-kind';
export const CAPI_OWNER_NAME = 'cluster.x-k8s.io/owner-name';

/** Cluster API sets owner-kind/owner-name on a Node from its Machine's controller owner */
export function kcpKnob(node: LiveNode): NativeKnob | null {
  if (node.annotations[CAPI_OWNER_KIND] !== 'KubeadmControlPlane') return null;
  const name = node.annotations[CAPI_OWNER_NAME] ?? '';
  const namespace = node.annotations['cluster.x-k8s.io/cluster-namespace'] ?? '';
  return {
    kind: 'KubeadmControlPlane',
    namespace,
    name,
    field: 'spec.rolloutBefore.certificatesExpiryDays',
    advice: `set spec.rolloutBefore.certificatesExpiryDays on KubeadmControlPlane ${namespace}/${name} (e.g. 21): KCP rolls its Machines before their certificates expire; certdrift does not remediate control-plane Machines`,
  };
}

/**
 * null when the group may start `candidate`; else why it waits (validating) or stops (halted).
 * The candidate itself is not judged: a NotReady node due for replacement is replaced.
 */
export function validateGroup(
  group: string,
  nodes: readonly LiveNode[],
  baseline: GroupBaseline | undefined,
  candidate = '',
): { state: 'validating' | 'halted'; note: string } | null {
  const members = nodes.filter((n) => n.group === group);
  const plain = members.filter(
    (n) => n.annotations[ROTATION_ANNOTATION] === undefined && n.name !== candidate,
  );
  const wasReady = baseline ? new Set(baseline.ready[group] ?? []) : null;
  const fallen = plain.filter((n) => n.ready !== true && wasReady?.has(n.name) === true);
  if (fallen.length > 0)
    return {
      state: 'halted',
      note: `validation: ${fallen.map((n) => n.name).join(', ')} turned NotReady since the run began: stopped`,
    };
  const notReady = plain.filter((n) => n.ready !== true);
  if (notReady.length > 0)
    return {
      state: 'validating',
      note: `validation: ${notReady.map((n) => n.name).join(', ')} not Ready yet`,
    };
  if (wasReady) {
    // every plain member is Ready here; the rest are ours or the candidate
    const accounted = members.length;
    if (accounted < wasReady.size)
      return {
        state: 'validating',
        note: `validation: waiting for replacements (${accounted} of ${wasReady.size} nodes)`,
      };
  }
  return null;
}

/** --actuator, else the policy's `groups.<group>.actuator`, else the group's own tool */
export function actuatorOf(
  node: LiveNode,
  options: RotateOptions,
  groups?: Readonly<Record<string, GroupPolicy>>,
): Actuator {
  if (options.actuator) return options.actuator;
  const named = groups?.[node.group]?.actuator;
  if (named) return named;
  if (node.kind === 'kops' || node.kind === 'karpenter') return node.kind;
  if (node.kind === 'capi') return 'capi';
  return 'drain';
}

/**
 * Whether the planner should place this node: not when a run works on it or this plan drained
 * it — those would take the first wave's slots in every recomputed plan and push the rest out.
 */
export function needsPlacing(node: LiveNode, planId: string): boolean {
  const rec = parseRecord(node.annotations[ROTATION_ANNOTATION]);
  if (rec === null) return true;
  return (
    isRecord(rec) && (rec.state === 'drained' || rec.state === 'renewed') && rec.plan !== planId
  );
}

export function chooseWork(input: WorkInput): NodeWork[] {
  const { plan, planId, now, options } = input;
  const t = now.getTime();
  const live = new Map(input.nodes.map((n) => [n.name, n]));
  const inFlight = new Map<string, number>();
  let total = 0;
  const out: NodeWork[] = [];
  const settled = new Set<string>();
  const take = (group: string): void => {
    inFlight.set(group, (inFlight.get(group) ?? 0) + 1);
    total++;
  };

  const calendar = new WindowCalendar(plan.policy.windows, t);
  const windowOpen = calendar.occurrenceAt(t) !== null;
  const paused = (w: NodeWork): NodeWork =>
    windowOpen || (w.state !== 'continue' && w.evictOthers !== true)
      ? w
      : {
          node: w.node,
          group: w.group,
          actuator: w.actuator,
          state: 'window-ended',
          note: `${w.note}; the maintenance window ended: no eviction or deletion until the next one`,
        };
  for (const node of input.nodes) {
    const rec = parseRecord(node.annotations[ROTATION_ANNOTATION]);
    if (rec === null) continue;
    const base = {
      node: node.name,
      group: node.group,
      actuator: actuatorOf(node, options, plan.policy.groups),
    };
    if (!isRecord(rec)) {
      // An unreadable record may be a half-done run: never start over it blindly.
      settled.add(node.name);
      out.push({ ...base, state: 'stuck', note: `${rec.problem}: fix or remove it by hand` });
      continue;
    }
    if (rec.state === 'drained') {
      if (rec.plan !== planId) continue; // an older run's drain: the node may be due again
      settled.add(node.name);
      out.push({
        ...base,
        actuator: 'drain',
        state: 'drained',
        note: `drained since ${rec.since}`,
      });
      continue;
    }
    if (rec.state === 'renewed') {
      if (rec.plan !== planId) continue; // an older campaign's renewal: the node may be due again
      settled.add(node.name);
      out.push({ ...base, actuator: 'in-place', state: 'renewed', note: `renewed ${rec.since}` });
      continue;
    }
    // In flight whatever plan started it: a cordoned node must never be left without an owner.
    settled.add(node.name);
    take(node.group);
    if (rec.state === 'renewing') {
      out.push(renewingWork(base, rec.since, node, input.jobs ?? [], planId, options.inPlace));
      continue;
    }
    const elapsed = t - Date.parse(rec.since);
    if (rec.state === 'stuck') {
      out.push({
        ...base,
        state: 'stuck',
        note: `recorded stuck since ${rec.since}${rec.was ? ` (was ${rec.was})` : ''}: remove ${ROTATION_ANNOTATION} to retry`,
      });
      continue;
    }
    if (rec.state === 'handed-over') {
      const limit = options.replaceTimeoutMs ?? DEFAULT_REPLACE_TIMEOUT_MS;
      out.push(
        elapsed > limit
          ? {
              ...base,
              state: 'stuck',
              note: `handed over at ${rec.since} and still here past the replace timeout`,
              recordStuck: 'handed-over',
            }
          : { ...base, state: 'waiting-replacement', note: `handed over at ${rec.since}` },
      );
      continue;
    }
    const drain = { ...base, actuator: 'drain' as const };
    const refused = input.refused?.get(node.name) ?? [];
    if (refused.length > 0 && elapsed <= options.drainTimeoutMs)
      // Still in flight (it is cordoned): the other pods are evicted (or, past --force-after,
      // deleted), the refused ones never; the drain cannot finish while they are there.
      out.push(
        paused({
          ...drain,
          state: 'blocked',
          note: `draining since ${rec.since}; refused: ${refused.join('; ')}`,
          evictOthers: true,
          ...(options.forceAfterMs !== undefined && elapsed > options.forceAfterMs
            ? { force: true }
            : {}),
        }),
      );
    else if (options.forceAfterMs !== undefined && elapsed > options.forceAfterMs)
      out.push(
        paused({
          ...drain,
          state: 'continue',
          note: `draining since ${rec.since}, past --force-after: deleting the remaining pods`,
          force: true,
        }),
      );
    else if (elapsed > options.drainTimeoutMs)
      out.push({
        ...drain,
        state: 'stuck',
        note: `draining since ${rec.since}, past the drain timeout: left cordoned`,
        recordStuck: 'cordoned',
      });
    else out.push(paused({ ...drain, state: 'continue', note: `draining since ${rec.since}` }));
  }

  const groups = new Map(plan.groups.map((g) => [g.group, g]));
  for (const r of plan.schedule) {
    if (settled.has(r.node)) continue;
    const node = live.get(r.node);
    const base = { node: r.node, group: r.group };
    if (!node) {
      out.push({ ...base, actuator: 'drain', state: 'gone', note: 'no longer in the cluster' });
      continue;
    }
    const w = { ...base, actuator: actuatorOf(node, options, plan.policy.groups) };
    if (r.start.getTime() > t) {
      out.push({ ...w, state: 'not-yet', note: `scheduled ${r.start.toISOString()}` });
      continue;
    }
    const knob = w.actuator === 'capi' ? kcpKnob(node) : null;
    if (knob) {
      out.push({ ...w, state: 'native', note: knob.advice, native: knob });
      continue;
    }
    const g = groups.get(r.group);
    const perNode = g?.perNodeMs ?? plan.policy.perNodeMs;
    const occ = calendar.occurrenceAt(t);
    if (!occ || occ.end < t + perNode) {
      out.push({ ...w, state: 'outside-window', note: 'no window with perNode time left' });
      continue;
    }
    const limit = g?.concurrency ?? 1;
    if ((inFlight.get(r.group) ?? 0) >= limit || total >= plan.policy.maxInFlight) {
      out.push({
        ...w,
        state: 'over-limit',
        note: `group ${inFlight.get(r.group) ?? 0}/${limit}, cluster ${total}/${plan.policy.maxInFlight} in flight`,
      });
      continue;
    }
    const refused = w.actuator === 'drain' ? (input.refused?.get(r.node) ?? []) : [];
    if (refused.length > 0) {
      // Not started, takes no slot: a person moves the pods or passes kubectl's flag.
      out.push({ ...w, state: 'blocked', note: `drain refused: ${refused.join('; ')}` });
      continue;
    }
    const inPlace =
      w.actuator === 'in-place'
        ? refuseInPlace(node, options.inPlace, input.jobs ?? [], planId)
        : null;
    if (inPlace !== null) {
      // Not started, takes no slot: the actuator cannot work here, or a foreign Job has its name.
      out.push({ ...w, state: 'blocked', note: inPlace });
      continue;
    }
    const check = validateGroup(r.group, input.nodes, input.baseline, r.node);
    if (check) {
      out.push({ ...w, ...check });
      continue;
    }
    take(r.group);
    out.push({ ...w, state: 'start', note: `due by ${r.dueBy.toISOString()}` });
  }
  return out;
}
