// Which nodes this step works on, from the plan (recomputed from the live cluster), the live
// nodes and their progress records, and `now`. Resumable by construction: a node is started only
// when it carries no record of being worked on; a node with a record is continued (cordoned),
// waited on (handed over to its group's tool) or left alone (drained by this plan). Nodes in
// flight — whatever run started them — count against the group's concurrency and maxInFlight,
// and a node starts only inside a window with its whole perNode time left in it.

import type { Plan } from '../plan/plan-types.js';
import { WindowCalendar } from '../plan/window-calendar.js';
import { isRecord, parseRecord, ROTATION_ANNOTATION } from './rotation-record.js';
import type { Actuator, LiveNode, NodeWork, RotateOptions } from './rotate-types.js';

export interface WorkInput {
  plan: Plan;
  planId: string;
  nodes: readonly LiveNode[];
  now: Date;
  options: RotateOptions;
}

export function actuatorOf(node: LiveNode, options: RotateOptions): Actuator {
  if (options.actuator) return options.actuator;
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
  return isRecord(rec) && rec.state === 'drained' && rec.plan !== planId;
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

  for (const node of input.nodes) {
    const rec = parseRecord(node.annotations[ROTATION_ANNOTATION]);
    if (rec === null) continue;
    const base = { node: node.name, group: node.group, actuator: actuatorOf(node, options) };
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
    // In flight whatever plan started it: a cordoned node must never be left without an owner.
    settled.add(node.name);
    take(node.group);
    if (rec.state === 'handed-over') {
      out.push({ ...base, state: 'waiting-replacement', note: `handed over at ${rec.since}` });
      continue;
    }
    const overdue = t - Date.parse(rec.since) > options.drainTimeoutMs;
    out.push(
      overdue
        ? {
            ...base,
            actuator: 'drain',
            state: 'stuck',
            note: `draining since ${rec.since}, past the drain timeout: left cordoned`,
          }
        : { ...base, actuator: 'drain', state: 'continue', note: `draining since ${rec.since}` },
    );
  }

  const calendar = new WindowCalendar(plan.policy.windows, t);
  const groups = new Map(plan.groups.map((g) => [g.group, g]));
  for (const r of plan.schedule) {
    if (settled.has(r.node)) continue;
    const node = live.get(r.node);
    const base = { node: r.node, group: r.group };
    if (!node) {
      out.push({ ...base, actuator: 'drain', state: 'gone', note: 'no longer in the cluster' });
      continue;
    }
    const w = { ...base, actuator: actuatorOf(node, options) };
    if (r.start.getTime() > t) {
      out.push({ ...w, state: 'not-yet', note: `scheduled ${r.start.toISOString()}` });
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
    take(r.group);
    out.push({ ...w, state: 'start', note: `due by ${r.dueBy.toISOString()}` });
  }
  return out;
}
