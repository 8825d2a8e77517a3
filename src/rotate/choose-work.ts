// Which nodes this step works on, from the plan (recomputed from the live cluster), the live
// nodes, the rotation state object (rotation-state.ts: the only records trusted — never a node
// annotation, which a kubelet may write on its own Node) and `now`. Resumable by construction:
// a node is started only when it has no record; a node with a record of this plan is continued
// (cordoned), waited on (handed over) or left alone (drained). A record is trusted only for the
// node of the same name AND UID; a record of another plan, or one failing validation, is
// reported and never acted on.
// Capacity as Kubernetes sees it (issue #21 item 2; capacity.ts): a node that is cordoned (by
// anyone), NotReady, recorded (draining, drained and present, handed over, stuck), or recorded and
// gone while its group has not regained its baseline size (Karpenter: its NodeClaim not gone or
// its pods Pending), counts against the group's limit and maxInFlight — over EVERY node of the
// group whatever --selector, which only chooses the nodes acted on (an unselected node's record
// is counted, never continued nor pruned). A node cordoned by itself (managedFields) is counted
// in its group, not in maxInFlight. The parts, in order: goneWork, invalidWork, recordedWork
// (handedOverWork, drainingWork), dueWork (startOrWait).
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

import type { CertificateFacts } from '../fleet/fleet.js';
import type { GroupPolicy } from '../fleet/plan-policy.js';
import type { Plan } from '../fleet/plan-types.js';
import { groupConcurrency } from '../fleet/group-concurrency.js';
import { WindowCalendar } from '../fleet/window-calendar.js';
import { refuseInPlace, renewingWork, type LiveJob } from './actuators/in-place.js';
import { Capacity, capacityOf, holds, selfCordoned, unavailable } from './capacity.js';
import { drainInFlight } from './actuators/drain.js';
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
  Departing,
  GroupBaseline,
  LiveNode,
  LiveNodeClaim,
  LivePod,
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
  /** the NodeClaims (listed when a Karpenter node is in play): claim-gone */
  nodeClaims?: readonly LiveNodeClaim[];
  /** the cluster's Pending pods (listed when a Karpenter hand-over's node is gone) */
  pendingPods?: readonly LivePod[];
  /** the nodes' report deadlines (the in-place renewal's second witness) */
  facts?: readonly CertificateFacts[];
  /** Machines/NodeClaims being deleted or remediated whose Node is gone: in flight in their group */
  departing?: readonly Departing[];
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
  // Karpenter does not replace a node one for one (domain.md §10): its groups are not judged by
  // their node count.
  if (wasReady && !group.startsWith('karpenter/')) {
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
 * (or the node itself) cordoned it, it is a control plane the generic actuator must not touch,
 * or its drain or hand-over refuses pods (kops, Cluster API and Karpenter evict them too).
 * planStep keeps such nodes out of the planner so they never hold a slot of their group.
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
      note: selfCordoned(node)
        ? `cordoned by the node itself (spec.unschedulable set by ${node.cordonedBy ?? '?'}, by its managedFields): counted unavailable as any cordon; left alone; --take-over-cordoned takes it over`
        : 'cordoned by someone else (no record of certdrift): left alone; --take-over-cordoned takes it over',
    };
  // kops, Cluster API and Karpenter evict the node's pods themselves once handed the node: a
  // hand-over is refused for the same pods a drain refuses (same flags), before every start.
  if (w.actuator !== 'in-place' && refused.length > 0)
    // Not started, takes no slot: a person moves the pods or passes kubectl's flag.
    return {
      ...w,
      state: 'blocked',
      note: `${w.actuator === 'drain' ? 'drain' : `hand-over to ${w.actuator}`} refused: ${refused.join('; ')}`,
    };
  return null;
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

/** what the parts of one step's choice share: the inputs as read, capacity, the work so far */
interface Choice {
  input: WorkInput;
  t: number;
  ledger: Ledger;
  baseline: GroupBaseline;
  live: ReadonlyMap<string, LiveNode>;
  /** nodes with a record in flight (or an invalid entry): the rotation's, not judged */
  recorded: ReadonlySet<string>;
  calendar: WindowCalendar;
  windowOpen: boolean;
  cap: Capacity;
  out: NodeWork[];
  /** nodes whose work is decided by their record */
  settled: Set<string>;
  /** groups still short of their baseline (memo of validateGroup) */
  replacing: Map<string, boolean>;
}

/**
 * the departing objects no rotation record already counts (a hand-over of certdrift's is in flight
 * through its record, gone node or not)
 */
function departingUnrecorded(
  departing: readonly Departing[] | undefined,
  state: RotationState,
): Departing[] {
  return (departing ?? []).filter((d) => d.node === '' || state.records[d.node] === undefined);
}

function choiceOf(input: WorkInput): Choice {
  const t = input.now.getTime();
  const state = input.state ?? EMPTY_STATE;
  const ledger = ledgerOf(state, input.nodes, input.outside);
  const calendar = new WindowCalendar(input.plan.policy.windows, t);
  return {
    input,
    t,
    ledger,
    baseline: baselineFor(state, input.baseline),
    live: new Map(input.nodes.map((n) => [n.name, n])),
    // A renewed node is back in service: validated like any member (it must stay Ready).
    recorded: new Set([
      ...[...ledger.trusted].filter(([, r]) => holds(r)).map(([n]) => n),
      ...ledger.invalid.keys(),
    ]),
    calendar,
    windowOpen: calendar.occurrenceAt(t) !== null,
    cap: capacityOf(input.nodes, ledger, departingUnrecorded(input.departing, state)),
    out: [],
    settled: new Set(),
    replacing: new Map(),
  };
}

/** a drain in flight outside its windows makes no eviction or deletion until the next one */
function paused(c: Choice, w: NodeWork): NodeWork {
  return c.windowOpen || (w.state !== 'continue' && w.evictOthers !== true)
    ? w
    : {
        node: w.node,
        group: w.group,
        actuator: w.actuator,
        state: 'window-ended',
        note: `${w.note}; the maintenance window ended: no eviction or deletion until the next one`,
      };
}

/**
 * A node handed over (or deleted) and gone stays in flight until its group is back to the size
 * it had when this one started (or, for a record without the count, validates against its
 * baseline): Cluster API and Karpenter delete first and replace later.
 */
function goneWork(c: Choice): void {
  const { options } = c.input;
  const groupsPolicy = c.input.plan.policy.groups;
  for (const [name, rec] of c.ledger.gone) {
    const base = {
      node: name,
      group: rec.group,
      actuator: kindActuator(rec.group, options, groupsPolicy),
    };
    if (rec.claim !== undefined) {
      c.out.push(claimGoneWork(c, name, rec, base));
      continue;
    }
    let replacing = c.replacing.get(rec.group);
    if (replacing === undefined && rec.groupSize === undefined) {
      replacing = validateGroup(rec.group, c.input.nodes, c.baseline, '', c.recorded) !== null;
      c.replacing.set(rec.group, replacing);
    }
    const short =
      rec.groupSize !== undefined
        ? (c.cap.size.get(rec.group) ?? 0) < rec.groupSize
        : replacing === true && c.baseline.ready[rec.group] !== undefined;
    if (!short) {
      c.out.push({
        ...base,
        state: 'gone',
        note: `gone (${rec.state} since ${rec.since}); its record is pruned`,
      });
      continue;
    }
    c.cap.count(rec.group, rec.controlPlane === true);
    const limit = options.replaceTimeoutMs ?? DEFAULT_REPLACE_TIMEOUT_MS;
    const note = `gone (${rec.state} since ${rec.since}); in flight until ${rec.group} is back to ${rec.groupSize ?? c.baseline.ready[rec.group]?.length ?? 0} nodes`;
    c.out.push(
      c.t - Date.parse(rec.since) > limit
        ? { ...base, state: 'stuck', note: `${note}: past the replace timeout` }
        : { ...base, state: 'waiting-replacement', note },
    );
  }
}

/**
 * Karpenter's finish (`claim-gone`, actuators/karpenter.ts): its Node gone, the hand-over is in
 * flight until its NodeClaim is gone and no pod of the owners recorded at the start is Pending —
 * Karpenter provisions only for pods that fit nowhere, never one node for one (domain.md §10).
 */
function claimGoneWork(
  c: Choice,
  name: string,
  rec: StoredRecord,
  base: Pick<NodeWork, 'node' | 'group' | 'actuator'>,
): NodeWork {
  const claimHere = (c.input.nodeClaims ?? []).some((x) => x.name === rec.claim);
  const owners = new Set(rec.owners ?? []);
  // Pending and not scheduled: a pod already bound to a node (pulling an image, waiting for a
  // volume) has its room; only one that fits nowhere waits for Karpenter's new capacity.
  const pending = (c.input.pendingPods ?? []).filter(
    (p) => p.node === '' && p.ownerUid !== undefined && owners.has(p.ownerUid),
  );
  if (!claimHere && pending.length === 0)
    return {
      ...base,
      state: 'gone',
      note: `gone (${rec.state} since ${rec.since}): NodeClaim ${rec.claim ?? ''} gone, none of its pods Pending; its record is pruned`,
    };
  c.cap.count(rec.group, rec.controlPlane === true);
  const why = claimHere
    ? `NodeClaim ${rec.claim ?? ''} still there`
    : `${pending.length} of its pods Pending (${pending
        .slice(0, 3)
        .map((p) => `${p.namespace}/${p.name}`)
        .join(', ')})`;
  const note = `gone (${rec.state} since ${rec.since}); in flight: ${why}`;
  const limit = c.input.options.replaceTimeoutMs ?? DEFAULT_REPLACE_TIMEOUT_MS;
  return c.t - Date.parse(rec.since) > limit
    ? { ...base, state: 'stuck', note: `${note}: past the replace timeout` }
    : { ...base, state: 'waiting-replacement', note };
}

/** entries failing validation: reported stuck, never acted on (selected nodes only) */
function invalidWork(c: Choice): void {
  for (const [name, why] of c.ledger.invalid) {
    const node = c.live.get(name);
    if (!node || c.ledger.trusted.has(name)) continue;
    c.settled.add(name);
    if (node.selected === false) continue; // counted (capacity.ts), another selection's
    c.out.push({
      node: name,
      group: node.group,
      actuator: actuatorOf(node, c.input.options, c.input.plan.policy.groups),
      state: 'stuck',
      note: `its entry in ${STATE_NAME} fails validation (${why}): not acted on; fix or remove it by hand`,
    });
  }
}

/**
 * Nodes with a trusted record: continued, waited on or reported. A node outside --selector is
 * counted (capacity.ts) and never acted on: no work.
 */
function recordedWork(c: Choice): void {
  const { planId } = c.input;
  for (const [name, rec] of c.ledger.trusted) {
    const node = c.live.get(name);
    if (!node) continue;
    c.settled.add(name);
    if (node.selected === false) continue;
    const base = {
      node: name,
      group: node.group,
      actuator: actuatorOf(node, c.input.options, c.input.plan.policy.groups),
    };
    const since = rec.since;
    if (rec.plan !== planId)
      // Another campaign's record: its policy, not ours, decided it. Counted, never acted on.
      c.out.push({
        ...base,
        state: 'stuck',
        note: `record of plan ${rec.plan} (${rec.state} since ${since}), not this run's ${planId}: not acted on; finish it with that policy or remove its entry from ${STATE_NAME}`,
      });
    else if (rec.state === 'drained')
      c.out.push({ ...base, actuator: 'drain', state: 'drained', note: `drained since ${since}` });
    else if (rec.state === 'renewed')
      c.out.push({ ...base, actuator: 'in-place', state: 'renewed', note: `renewed ${since}` });
    else if (rec.state === 'renewing')
      c.out.push(
        renewingWork(base, since, node, c.input.jobs ?? [], planId, c.input.options.inPlace, {
          now: new Date(c.t),
          report: c.input.facts?.find((f) => f.node === name)?.deadline ?? null,
        }),
      );
    else if (rec.state === 'stuck')
      c.out.push({
        ...base,
        state: 'stuck',
        note: `recorded stuck since ${since}${rec.was ? ` (was ${rec.was})` : ''}: remove its entry from ${STATE_NAME} to retry`,
      });
    else if (rec.state === 'handed-over') c.out.push(handedOverWork(c, base, since));
    else c.out.push(drainingWork(c, base, since));
  }
}

/**
 * A hand-over in flight: waited on until its node is gone, stuck past the replace timeout. Its
 * record is written before the actuator's call (a crash between leaves a record whose call was
 * never made): node-actions.ts repeats the idempotent call while it is not confirmed — never
 * while the node holds pods the drain rules refuse, which are named here.
 */
function handedOverWork(
  c: Choice,
  base: Omit<NodeWork, 'state' | 'note'>,
  since: string,
): NodeWork {
  const limit = c.input.options.replaceTimeoutMs ?? DEFAULT_REPLACE_TIMEOUT_MS;
  if (c.t - Date.parse(since) > limit)
    return {
      ...base,
      state: 'stuck',
      note: `handed over at ${since} and still here past the replace timeout`,
      recordStuck: 'handed-over',
    };
  const refused = c.input.refused?.get(base.node) ?? [];
  const held = refused.length > 0 ? `; refused pods (not handed on): ${refused.join('; ')}` : '';
  return { ...base, state: 'waiting-replacement', note: `handed over at ${since}${held}` };
}

/**
 * a drain recorded in flight: evict on, force past --force-after, stuck past its timeout (the
 * timeout ends it first; refused pods stay named: actuators/drain.ts)
 */
function drainingWork(c: Choice, base: Omit<NodeWork, 'state' | 'note'>, since: string): NodeWork {
  const drain = { ...base, actuator: 'drain' as const };
  const refused = c.input.refused?.get(base.node) ?? [];
  return paused(c, drainInFlight(drain, since, c.t - Date.parse(since), refused, c.input.options));
}

/** the plan's due nodes without a record: started where the limits, windows and checks allow */
function dueWork(c: Choice): void {
  const { options, planId } = c.input;
  const groupsPolicy = c.input.plan.policy.groups;
  let room = MAX_STATE_BYTES - formatState(c.input.state ?? EMPTY_STATE).length;
  const heldSeen = new Set<string>();
  for (const r of c.input.plan.schedule) {
    if (c.settled.has(r.node)) continue;
    const node = c.live.get(r.node);
    const base = { node: r.node, group: r.group };
    if (!node) {
      c.out.push({ ...base, actuator: 'drain', state: 'gone', note: 'no longer in the cluster' });
      continue;
    }
    const w = { ...base, actuator: actuatorOf(node, options, groupsPolicy) };
    if (r.start.getTime() > c.t) {
      c.out.push({ ...w, state: 'not-yet', note: `scheduled ${r.start.toISOString()}` });
      continue;
    }
    const held =
      c.input.held?.get(r.node) ??
      heldOf(node, options, c.input.refused?.get(r.node), groupsPolicy);
    if (held) heldSeen.add(r.node);
    const knob = w.actuator === 'capi' ? kcpKnob(node) : null;
    const inPlace =
      w.actuator === 'in-place'
        ? refuseInPlace(node, options.inPlace, c.input.jobs ?? [], planId)
        : null;
    let work: NodeWork;
    if (held) work = held;
    else if (knob) work = { ...w, state: 'native', note: knob.advice, native: knob };
    // Not started, takes no slot: the actuator cannot work here, or a foreign Job has its name.
    else if (inPlace !== null) work = { ...w, state: 'blocked', note: inPlace };
    else work = startOrWait(c, r, node, w, room);
    if (work.state === 'start') room -= RECORD_BYTES;
    c.out.push(work);
  }
  for (const [name, h] of c.input.held ?? [])
    if (!heldSeen.has(name) && !c.settled.has(name)) c.out.push(h);
}

/** a due node the checks let through: started, or why it waits (window, validation, limits) */
/** why a node waits for capacity: the counts, and who holds it that a person may not expect */
function overLimitNote(c: Choice, group: string, limit: number): string {
  const own = c.cap.selfCordoned.length;
  const selfNote =
    own > 0
      ? `; ${own} of them cordoned by the node itself, by their managedFields (counted as any cordon)`
      : '';
  const away = c.cap.departing.filter((d) => d.group === group);
  const awayNote =
    away.length > 0
      ? `; ${away.length} departing without its node (${away
          .slice(0, 3)
          .map((d) => d.what)
          .join(', ')})`
      : '';
  return `group ${c.cap.inGroup(group)}/${limit}, cluster ${c.cap.total}/${c.input.plan.policy.maxInFlight} unavailable or in flight${selfNote}${awayNote}`;
}

function startOrWait(
  c: Choice,
  r: Plan['schedule'][number],
  node: LiveNode,
  w: Pick<NodeWork, 'node' | 'group' | 'actuator'>,
  room: number,
): NodeWork {
  const { plan } = c.input;
  const perNode = plan.groups.find((g) => g.group === r.group)?.perNodeMs ?? plan.policy.perNodeMs;
  const occ = c.calendar.occurrenceAt(c.t);
  if (!occ || occ.end < c.t + perNode)
    return { ...w, state: 'outside-window', note: 'no window with perNode time left' };
  // A node of the group turned NotReady since its baseline: the group stops (before limits:
  // the halt is the news).
  const check = validateGroup(r.group, c.input.nodes, c.baseline, r.node, c.recorded);
  if (check?.state === 'halted') return { ...w, ...check };
  // A candidate already unavailable (NotReady, cordoned) takes no further capacity by starting.
  const self = unavailable(node, c.ledger) ? 1 : 0;
  const cp = isControlPlane(node);
  const inFlight = [...c.ledger.trusted.values()].filter((x) => x.group === r.group && holds(x));
  const limit = groupLimit(
    plan,
    r.group,
    w.actuator,
    c.cap.size.get(r.group) ?? 0,
    inFlight.length,
  );
  const inGroup = c.cap.inGroup(r.group);
  if (inGroup - self + 1 > limit || c.cap.total - self + 1 > plan.policy.maxInFlight) {
    return { ...w, state: 'over-limit', note: overLimitNote(c, r.group, limit) };
  }
  if (cp && c.cap.planes - self + 1 > 1)
    return {
      ...w,
      state: 'over-limit',
      note: `control plane: ${c.cap.planes} control-plane node(s) unavailable or in flight; at most one cluster-wide`,
    };
  if (room < RECORD_BYTES)
    return {
      ...w,
      state: 'over-limit',
      note: `${STATE_NAME} is full (${MAX_STATE_BYTES} bytes): no new node starts until records are pruned`,
    };
  if (check) return { ...w, ...check };
  c.cap.count(r.group, cp, 1 - self);
  return { ...w, state: 'start', note: `due by ${r.dueBy.toISOString()}` };
}

export function chooseWork(input: WorkInput): NodeWork[] {
  const c = choiceOf(input);
  goneWork(c);
  invalidWork(c);
  recordedWork(c);
  dueWork(c);
  return c.out;
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
