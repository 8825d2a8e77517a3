// Which nodes this step works on, from the plan (recomputed from the live cluster), the live
// nodes, the rotation state object (rotation-state.ts: the only records trusted — never a node
// annotation, which a kubelet may write on its own Node) and `now`. Resumable by construction:
// a node is started only when it has no record; a node with a record of this plan is continued
// (cordoned), waited on (handed over) or left alone (drained). A record is trusted only for the
// node of the same name AND UID; a record of another plan, or one failing validation, is
// reported and never acted on.
// Capacity as Kubernetes sees it (issue #21 item 2): a node that is cordoned (by anyone), NotReady,
// recorded (draining, drained and present, handed over, stuck), or recorded and gone while its
// group has not regained its baseline size, counts against the group's limit and maxInFlight.
// The group's limit is kops' rule (group-concurrency.ts) with maxSurge counted only for kops,
// the one actuator that surges; drain, Cluster API remediation and NodeClaim deletion remove
// capacity first. A due node someone else cordoned is left alone and reported unless
// --take-over-cordoned; certdrift never uncordons. Control-plane nodes (control-plane.ts) are
// never drained: at most one is in flight cluster-wide and the others' remedy is named.
// Before a node of a group starts, the group is validated (the `kops validate` idea) against its
// baseline — the nodes Ready when its first node started, kept in the state object so single
// steps, --watch and --wait judge alike: every baseline node without a record is still Ready
// (else the group halts), and as many nodes are present as the baseline had (else it waits).
// A node renewed in place (the in-place actuator: it is never drained, so a control plane may be
// renewed, one at a time) is judged by its Job (actuators/in-place.ts), never by anything it
// writes; once renewed it is available again. Windows bound every disruptive call, not only a
// node's start: a drain in flight when its window ends makes no further eviction, pod deletion
// or Node deletion until the next window opens (state `window-ended`, still in flight); its drain
// timeout keeps running, so a drain that cannot finish in its windows still ends stuck.

import type { GroupPolicy } from '../fleet/plan-policy.js';
import type { Plan } from '../fleet/plan-types.js';
import { groupConcurrency } from '../fleet/group-concurrency.js';
import { WindowCalendar } from '../fleet/window-calendar.js';
import { refuseInPlace, renewingWork, type LiveJob } from './actuators/in-place.js';
import { controlPlaneRemedy, isControlPlane } from './control-plane.js';
import { ROTATION_ANNOTATION } from './rotation-record.js';
import {
  EMPTY_STATE,
  formatState,
  MAX_STATE_BYTES,
  STATE_NAME,
  type RotationState,
  type StoredRecord,
} from './rotation-state.js';
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
  /** the groups when the run began (--wait); a group's baseline in the state object wins */
  baseline?: GroupBaseline;
  /** node → the pods its drain refuses (drain-rules.ts), for the nodes whose pods were listed */
  refused?: ReadonlyMap<string, readonly string[]>;
  /** the rotation state object as this step read it; absent: empty */
  state?: RotationState;
  /** recorded nodes that exist outside --selector (name → UID): not gone, not this run's */
  outside?: ReadonlyMap<string, string>;
  /** due nodes kept out of the plan (planStep): reported with their reason, take no slot */
  held?: ReadonlyMap<string, NodeWork>;
  /** the Jobs in the rotator's namespace (listed when a group uses the in-place actuator) */
  jobs?: readonly LiveJob[];
}

export const DEFAULT_REPLACE_TIMEOUT_MS = 3_600_000;
/** room one more record may take in the state object (a node name is at most 253 bytes) */
const RECORD_BYTES = 600;

/**
 * The KubeadmControlPlane of a node whose Machine (the one whose status.nodeRef names it) has
 * one as its controller ownerReference — never the node's owner-kind/owner-name annotations,
 * which its kubelet may write (a worker could name another namespace's control plane).
 */
export function kcpKnob(node: LiveNode): NativeKnob | null {
  const m = node.machine;
  if (m?.owner?.kind !== 'KubeadmControlPlane') return null;
  const { namespace } = m;
  const { name } = m.owner;
  return {
    kind: 'KubeadmControlPlane',
    namespace,
    name,
    field: 'spec.rolloutBefore.certificatesExpiryDays',
    advice: `set spec.rolloutBefore.certificatesExpiryDays on KubeadmControlPlane ${namespace}/${name} (e.g. 21): KCP rolls its Machines before their certificates expire; certdrift does not remediate control-plane Machines`,
  };
}

/** the state's records sorted by whether their node is here (same name and UID) or gone */
export interface Ledger {
  /** live node name → its record */
  trusted: ReadonlyMap<string, StoredRecord>;
  /** records whose node is gone (or was recreated: another UID) */
  gone: ReadonlyMap<string, StoredRecord>;
  /** live node name → why its entry is not trusted */
  invalid: ReadonlyMap<string, string>;
}

export function ledgerOf(
  state: RotationState,
  nodes: readonly LiveNode[],
  outside: ReadonlyMap<string, string> = new Map(),
): Ledger {
  const live = new Map(nodes.map((n) => [n.name, n]));
  const trusted = new Map<string, StoredRecord>();
  const gone = new Map<string, StoredRecord>();
  for (const [name, rec] of Object.entries(state.records)) {
    const n = live.get(name);
    if (n && n.uid === rec.uid) trusted.set(name, rec);
    else if (!n && outside.get(name) === rec.uid)
      continue; // another selection's node
    else gone.set(name, rec);
  }
  const invalid = new Map<string, string>();
  for (const [name, why] of Object.entries(state.invalid))
    if (live.has(name)) invalid.set(name, why);
  return { trusted, gone, invalid };
}

/** the baseline a group is validated against: the state object's, else the run's */
export function baselineFor(state: RotationState, run?: GroupBaseline): GroupBaseline {
  return { ready: { ...(run?.ready ?? {}), ...state.baselines } };
}

/**
 * null when the group may start `candidate`; else why it waits (validating) or stops (halted).
 * The candidate itself is not judged: a NotReady node due for replacement is replaced. Members
 * with a record (`recorded`) are the rotation's: they are not judged either.
 */
export function validateGroup(
  group: string,
  nodes: readonly LiveNode[],
  baseline: GroupBaseline | undefined,
  candidate = '',
  recorded: ReadonlySet<string> | ReadonlyMap<string, unknown> = new Set(),
): { state: 'validating' | 'halted'; note: string } | null {
  const members = nodes.filter((n) => n.group === group);
  const plain = members.filter((n) => !recorded.has(n.name) && n.name !== candidate);
  const ready = baseline?.ready[group];
  const wasReady = ready ? new Set(ready) : null;
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
  node: Pick<LiveNode, 'kind' | 'group'>,
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
 * Why a due node without a record is not started whatever the limits, or null: someone else
 * cordoned it, it is a control plane the generic actuator must not touch, or its drain refuses
 * pods. planStep keeps such nodes out of the planner so they never hold a slot of their group.
 */
export function heldOf(
  node: LiveNode,
  options: RotateOptions,
  refused: readonly string[] = [],
  groups?: Readonly<Record<string, GroupPolicy>>,
): NodeWork | null {
  const w = { node: node.name, group: node.group, actuator: actuatorOf(node, options, groups) };
  // kops replaces its control planes itself; in-place never drains: the others are refused.
  if (isControlPlane(node) && w.actuator !== 'kops' && w.actuator !== 'in-place') {
    const knob = w.actuator === 'capi' ? kcpKnob(node) : null;
    const advice = controlPlaneRemedy(node);
    return {
      ...w,
      state: 'native',
      note: advice,
      native: knob ?? { kind: 'control-plane', namespace: '', name: node.name, field: '', advice },
    };
  }
  if (node.unschedulable && options.takeOverCordoned !== true)
    return {
      ...w,
      state: 'blocked',
      note: 'cordoned by someone else (no record of certdrift): left alone; --take-over-cordoned takes it over',
    };
  if (w.actuator === 'drain' && refused.length > 0)
    // Not started, takes no slot: a person moves the pods or passes kubectl's flag.
    return { ...w, state: 'blocked', note: `drain refused: ${refused.join('; ')}` };
  return null;
}

/** a record of work in flight or ended there: all but a finished in-place renewal */
const holds = (rec: StoredRecord | undefined): boolean =>
  rec !== undefined && rec.state !== 'renewed';

/**
 * cordoned, NotReady or recorded (a renewed node, back in service, is not): unavailable as a
 * PodDisruptionBudget or kops would see it
 */
function unavailable(n: LiveNode, ledger: Ledger): boolean {
  return (
    n.unschedulable ||
    n.ready !== true ||
    holds(ledger.trusted.get(n.name)) ||
    ledger.invalid.has(n.name)
  );
}

/**
 * kops' rule (group-concurrency.ts), maxSurge counted only for kops: the one that surges. The
 * nodes to replace are the due ones still to place and those already recorded (in flight).
 */
function groupLimit(
  plan: Plan,
  group: string,
  actuator: Actuator,
  size: number,
  recorded: number,
): number {
  const due = plan.groups.find((g) => g.group === group)?.due ?? 0;
  return groupConcurrency(plan.policy.groups[group], size, due + recorded, actuator === 'kops');
}

const kindActuator = (
  group: string,
  options: RotateOptions,
  groups?: Readonly<Record<string, GroupPolicy>>,
): Actuator => {
  const kind = group.slice(0, Math.max(0, group.indexOf('/')));
  return actuatorOf(
    { kind: kind === 'kops' || kind === 'capi' || kind === 'karpenter' ? kind : 'none', group },
    options,
    groups,
  );
};

export function chooseWork(input: WorkInput): NodeWork[] {
  const { plan, planId, now, options } = input;
  const t = now.getTime();
  const state = input.state ?? EMPTY_STATE;
  const ledger = ledgerOf(state, input.nodes, input.outside);
  const baseline = baselineFor(state, input.baseline);
  const live = new Map(input.nodes.map((n) => [n.name, n]));
  // A renewed node is back in service: validated like any member (it must stay Ready).
  const recorded = new Set([
    ...[...ledger.trusted].filter(([, r]) => holds(r)).map(([n]) => n),
    ...ledger.invalid.keys(),
  ]);
  const out: NodeWork[] = [];
  const settled = new Set<string>();
  const groupsPolicy = plan.policy.groups;

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

  // What is unavailable now, per group, in the cluster and among control planes.
  const used = new Map<string, number>();
  const size = new Map<string, number>();
  let total = 0;
  let planes = 0;
  const count = (group: string, cp: boolean, k = 1): void => {
    used.set(group, (used.get(group) ?? 0) + k);
    total += k;
    if (cp) planes += k;
  };
  for (const n of input.nodes) {
    size.set(n.group, (size.get(n.group) ?? 0) + 1);
    if (unavailable(n, ledger)) count(n.group, isControlPlane(n));
  }
  // A node handed over (or deleted) and gone stays in flight until its group is back to its
  // baseline: Cluster API and Karpenter delete first and replace later.
  const replacing = new Map<string, boolean>();
  const stillReplacing = (group: string): boolean => {
    let r = replacing.get(group);
    if (r === undefined) {
      r = validateGroup(group, input.nodes, baseline, '', recorded) !== null;
      replacing.set(group, r);
    }
    return r;
  };
  for (const [name, rec] of ledger.gone) {
    const base = {
      node: name,
      group: rec.group,
      actuator: kindActuator(rec.group, options, groupsPolicy),
    };
    // Short of the nodes it had when this one started (or, for a record without the count, not
    // validated against its baseline): the replacement has not joined yet.
    const short =
      rec.groupSize !== undefined
        ? (size.get(rec.group) ?? 0) < rec.groupSize
        : stillReplacing(rec.group) && baseline.ready[rec.group] !== undefined;
    if (!short) {
      out.push({
        ...base,
        state: 'gone',
        note: `gone (${rec.state} since ${rec.since}); its record is pruned`,
      });
      continue;
    }
    count(rec.group, rec.controlPlane === true);
    const limit = options.replaceTimeoutMs ?? DEFAULT_REPLACE_TIMEOUT_MS;
    const waited = t - Date.parse(rec.since);
    const note = `gone (${rec.state} since ${rec.since}); in flight until ${rec.group} is back to ${rec.groupSize ?? baseline.ready[rec.group]?.length ?? 0} nodes`;
    out.push(
      waited > limit
        ? { ...base, state: 'stuck', note: `${note}: past the replace timeout` }
        : { ...base, state: 'waiting-replacement', note },
    );
  }

  for (const [name, why] of ledger.invalid) {
    const node = live.get(name);
    if (!node || ledger.trusted.has(name)) continue;
    settled.add(name);
    out.push({
      node: name,
      group: node.group,
      actuator: actuatorOf(node, options, groupsPolicy),
      state: 'stuck',
      note: `its entry in ${STATE_NAME} fails validation (${why}): not acted on; fix or remove it by hand`,
    });
  }

  for (const [name, rec] of ledger.trusted) {
    const node = live.get(name);
    if (!node) continue;
    settled.add(name);
    const base = {
      node: name,
      group: node.group,
      actuator: actuatorOf(node, options, groupsPolicy),
    };
    if (rec.plan !== planId) {
      // Another campaign's record: its policy, not ours, decided it. Counted, never acted on.
      out.push({
        ...base,
        state: 'stuck',
        note: `record of plan ${rec.plan} (${rec.state} since ${rec.since}), not this run's ${planId}: not acted on; finish it with that policy or remove its entry from ${STATE_NAME}`,
      });
      continue;
    }
    const elapsed = t - Date.parse(rec.since);
    if (rec.state === 'drained') {
      out.push({
        ...base,
        actuator: 'drain',
        state: 'drained',
        note: `drained since ${rec.since}`,
      });
      continue;
    }
    if (rec.state === 'renewed') {
      out.push({ ...base, actuator: 'in-place', state: 'renewed', note: `renewed ${rec.since}` });
      continue;
    }
    if (rec.state === 'renewing') {
      out.push(renewingWork(base, rec.since, node, input.jobs ?? [], planId, options.inPlace));
      continue;
    }
    if (rec.state === 'stuck') {
      out.push({
        ...base,
        state: 'stuck',
        note: `recorded stuck since ${rec.since}${rec.was ? ` (was ${rec.was})` : ''}: remove its entry from ${STATE_NAME} to retry`,
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
    const refused = input.refused?.get(name) ?? [];
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
  let room = MAX_STATE_BYTES - formatState(state).length;
  const heldSeen = new Set<string>();
  for (const r of plan.schedule) {
    if (settled.has(r.node)) continue;
    const node = live.get(r.node);
    const base = { node: r.node, group: r.group };
    if (!node) {
      out.push({ ...base, actuator: 'drain', state: 'gone', note: 'no longer in the cluster' });
      continue;
    }
    const w = { ...base, actuator: actuatorOf(node, options, groupsPolicy) };
    if (r.start.getTime() > t) {
      out.push({ ...w, state: 'not-yet', note: `scheduled ${r.start.toISOString()}` });
      continue;
    }
    const held =
      input.held?.get(r.node) ?? heldOf(node, options, input.refused?.get(r.node), groupsPolicy);
    if (held) {
      heldSeen.add(r.node);
      out.push(held);
      continue;
    }
    const knob = w.actuator === 'capi' ? kcpKnob(node) : null;
    if (knob) {
      out.push({ ...w, state: 'native', note: knob.advice, native: knob });
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
    const g = groups.get(r.group);
    const perNode = g?.perNodeMs ?? plan.policy.perNodeMs;
    const occ = calendar.occurrenceAt(t);
    if (!occ || occ.end < t + perNode) {
      out.push({ ...w, state: 'outside-window', note: 'no window with perNode time left' });
      continue;
    }
    // A node of the group turned NotReady since its baseline: the group stops (before limits:
    // the halt is the news).
    const check = validateGroup(r.group, input.nodes, baseline, r.node, recorded);
    if (check?.state === 'halted') {
      out.push({ ...w, ...check });
      continue;
    }
    // A candidate already unavailable (NotReady) takes no further capacity by starting.
    const self = unavailable(node, ledger) ? 1 : 0;
    const cp = isControlPlane(node);
    const limit = groupLimit(
      plan,
      r.group,
      w.actuator,
      size.get(r.group) ?? 0,
      [...ledger.trusted.values()].filter((x) => x.group === r.group && holds(x)).length,
    );
    const inGroup = used.get(r.group) ?? 0;
    if (inGroup - self + 1 > limit || total - self + 1 > plan.policy.maxInFlight) {
      out.push({
        ...w,
        state: 'over-limit',
        note: `group ${inGroup}/${limit}, cluster ${total}/${plan.policy.maxInFlight} unavailable or in flight`,
      });
      continue;
    }
    if (cp && planes - self + 1 > 1) {
      out.push({
        ...w,
        state: 'over-limit',
        note: `control plane: ${planes} control-plane node(s) unavailable or in flight; at most one cluster-wide`,
      });
      continue;
    }
    if (room < RECORD_BYTES) {
      out.push({
        ...w,
        state: 'over-limit',
        note: `${STATE_NAME} is full (${MAX_STATE_BYTES} bytes): no new node starts until records are pruned`,
      });
      continue;
    }
    if (check) {
      out.push({ ...w, ...check });
      continue;
    }
    count(r.group, cp, 1 - self);
    room -= RECORD_BYTES;
    out.push({ ...w, state: 'start', note: `due by ${r.dueBy.toISOString()}` });
  }
  for (const [name, h] of input.held ?? [])
    if (!heldSeen.has(name) && !settled.has(name)) out.push(h);
  return out;
}

/** node annotations named like a rotation record: reported, never read (a kubelet writes them) */
export function ignoredAnnotations(nodes: readonly LiveNode[]): string[] {
  return nodes
    .filter((n) => n.annotations[ROTATION_ANNOTATION] !== undefined)
    .map(
      (n) =>
        `${n.name}: annotation ${ROTATION_ANNOTATION} ignored: node annotations are not trusted (the rotation state lives in ${STATE_NAME})`,
    );
}
