// `certdrift plan`'s pure core: (fleet, policy, now) → which nodes to replace, in what order, by
// when. Dates each node (due-dates.ts), keeps those due within the horizon, orders them by
// urgency (due date, then certificate deadline, then name), places them with list-schedule.ts
// under each group's concurrency, the cluster's maxInFlight and the maintenance windows, and
// explains every late node. No I/O, no clock: `now` is a parameter.

import { dateNodes, describeDue, type DatedNode } from './due-dates.js';
import { explainLateness } from './explain-lateness.js';
import type { CertificateFacts, FleetNode } from './fleet.js';
import { groupConcurrency } from './group-concurrency.js';
import { listSchedule, type GroupLimits, type Slot } from './list-schedule.js';
import { kindOfGroup } from './node-group.js';
import type { PlanPolicy } from './plan-policy.js';
import type { GroupPlan, Plan, PlanSummary, Replacement, Risk, Unsavable } from './plan-types.js';
import { WindowCalendar } from './window-calendar.js';
import { wavesOf } from './plan-waves.js';

const TIGHT_MS = 7 * 86_400_000;

function byUrgency(a: DatedNode, b: DatedNode): number {
  return (
    (a.dueBy ?? Infinity) - (b.dueBy ?? Infinity) ||
    (a.deadline ?? Infinity) - (b.deadline ?? Infinity) ||
    (a.node.name < b.node.name ? -1 : a.node.name > b.node.name ? 1 : 0)
  );
}

/** The fleet's groups in name order, with their sizes, due counts and limits (by group index). */
interface Groups {
  names: string[];
  index: Map<string, number>;
  size: number[];
  dueCount: number[];
  limits: GroupLimits[];
}

function tallyGroups(
  nodes: readonly FleetNode[],
  due: readonly DatedNode[],
  policy: PlanPolicy,
): Groups {
  const names = [...new Set(nodes.map((n) => n.group))].sort();
  const index = new Map(names.map((g, i) => [g, i]));
  const size = names.map(() => 0);
  for (const n of nodes) {
    const i = index.get(n.group) ?? 0;
    size[i] = (size[i] ?? 0) + 1;
  }
  const dueCount = names.map(() => 0);
  for (const n of due) {
    const i = index.get(n.node.group) ?? 0;
    dueCount[i] = (dueCount[i] ?? 0) + 1;
  }
  const limits = names.map((g, i) => ({
    concurrency: groupConcurrency(policy.groups[g], size[i] ?? 0, dueCount[i] ?? 0),
    durationMs: policy.groups[g]?.perNodeMs ?? policy.perNodeMs,
  }));
  return { names, index, size, dueCount, limits };
}

function riskOf(late: boolean, expiresFirst: boolean, dueBy: number, end: number): Risk {
  if (expiresFirst) return 'expires';
  if (late) return 'late';
  return dueBy - end < TIGHT_MS ? 'tight' : 'ok';
}

/** Where a due node's slot puts it: its replacement, and why it is late when it is. */
function replacementOf(
  n: DatedNode,
  slot: Slot,
  lim: GroupLimits,
  rankInGroup: number,
  policy: PlanPolicy,
  calendar: WindowCalendar,
  now: number,
): { replacement: Replacement; unsavable: Unsavable | null } {
  const dueBy = n.dueBy ?? 0;
  const late = slot.end > dueBy;
  const expiresFirst = n.deadline !== null && n.deadline < slot.end;
  let reason = describeDue(n, policy);
  let unsavable: Unsavable | null = null;
  if (late) {
    const { cause, statement } = explainLateness(
      {
        now,
        dueBy,
        deadline: n.deadline,
        start: slot.start,
        end: slot.end,
        group: n.node.group,
        durationMs: lim.durationMs,
        concurrency: lim.concurrency,
        rankInGroup,
        maxInFlight: policy.maxInFlight,
      },
      calendar,
    );
    unsavable = { node: n.node.name, group: n.node.group, cause, expiresFirst, statement };
    reason += `; late: ${statement}`;
  }
  const replacement: Replacement = {
    node: n.node.name,
    group: n.node.group,
    start: new Date(slot.start),
    end: new Date(slot.end),
    dueBy: new Date(dueBy),
    dueFrom: n.dueFrom,
    deadline: n.deadline === null ? null : new Date(n.deadline),
    deadlineOrigin: n.deadlineOrigin,
    ageLimit: n.ageLimit === null ? null : new Date(n.ageLimit),
    late,
    expiresFirst,
    risk: riskOf(late, expiresFirst, dueBy, slot.end),
    reason,
    wave: 0,
  };
  return { replacement, unsavable };
}

/** Each group's part of the schedule (already in start order). */
function groupPlansOf(
  groups: Groups,
  schedule: readonly Replacement[],
  waves: Map<string, GroupPlan['waves']>,
  policy: PlanPolicy,
): GroupPlan[] {
  const byGroup = groups.names.map((): Replacement[] => []);
  for (const r of schedule) byGroup[groups.index.get(r.group) ?? 0]?.push(r);
  return groups.names.map((group, i) => {
    const mine = byGroup[i] ?? [];
    return {
      group,
      kind: kindOfGroup(group),
      nodes: groups.size[i] ?? 0,
      due: groups.dueCount[i] ?? 0,
      concurrency: groups.limits[i]?.concurrency ?? 1,
      perNodeMs: groups.limits[i]?.durationMs ?? policy.perNodeMs,
      late: mine.filter((r) => r.late).length,
      expiring: mine.filter((r) => r.expiresFirst).length,
      firstStart: mine[0]?.start ?? null,
      lastEnd: mine.reduce<Date | null>((m, r) => (m === null || r.end > m ? r.end : m), null),
      waves: waves.get(group) ?? [],
    };
  });
}

function summaryOf(
  nodes: readonly FleetNode[],
  dated: readonly DatedNode[],
  due: readonly DatedNode[],
  horizonEnd: number,
  schedule: readonly Replacement[],
  unscheduled: readonly string[],
): PlanSummary {
  const notDue = dated.filter((n) => n.dueBy !== null && n.dueBy > horizonEnd);
  const late = schedule.filter((r) => r.late).length;
  const expiring = schedule.filter((r) => r.expiresFirst).length;
  return {
    nodes: nodes.length,
    due: due.length,
    scheduled: schedule.length,
    late,
    expiring,
    notDue: notDue.length,
    undated: dated.filter((n) => n.dueBy === null).length,
    nextDueAfterHorizon: notDue.length
      ? new Date(notDue.reduce((m, n) => Math.min(m, n.dueBy ?? Infinity), Infinity))
      : null,
    firstStart: schedule[0]?.start ?? null,
    // reduce, not Math.max(...spread): 200,000 arguments overflow the call stack
    lastEnd: schedule.length
      ? new Date(schedule.reduce((m, r) => Math.max(m, r.end.getTime()), -Infinity))
      : null,
    exitCode: expiring > 0 || unscheduled.length > 0 ? 2 : late > 0 ? 1 : 0,
  };
}

export function planReplacements(
  nodes: readonly FleetNode[],
  facts: readonly CertificateFacts[],
  policy: PlanPolicy,
  at: Date,
): Plan {
  const now = at.getTime();
  const dated = dateNodes(nodes, facts, policy);
  const horizonEnd = now + policy.horizonMs;
  const due = dated.filter((n) => n.dueBy !== null && n.dueBy <= horizonEnd).sort(byUrgency);
  const groups = tallyGroups(nodes, due, policy);
  const calendar = new WindowCalendar(policy.windows, now);
  const jobs = due.map((n) => ({ group: groups.index.get(n.node.group) ?? 0 }));
  const slots = listSchedule(jobs, groups.limits, policy.maxInFlight, calendar, now);

  const schedule: Replacement[] = [];
  const unsavable: Unsavable[] = [];
  const unscheduled: string[] = [];
  const rank = groups.names.map(() => 0);
  due.forEach((n, i) => {
    const g = jobs[i]?.group ?? 0;
    rank[g] = (rank[g] ?? 0) + 1;
    const slot = slots[i];
    if (!slot) {
      unscheduled.push(n.node.name);
      return;
    }
    const lim = groups.limits[g] ?? { concurrency: 1, durationMs: policy.perNodeMs };
    const placed = replacementOf(n, slot, lim, rank[g] ?? 1, policy, calendar, now);
    if (placed.unsavable) unsavable.push(placed.unsavable);
    schedule.push(placed.replacement);
  });
  schedule.sort(
    (a, b) =>
      a.start.getTime() - b.start.getTime() || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0),
  );
  const waves = wavesOf(schedule, calendar);
  // Certificates expiring before their replacement are the worst news: state them first.
  unsavable.sort((a, b) => Number(b.expiresFirst) - Number(a.expiresFirst));
  return {
    at,
    policy,
    schedule,
    groups: groupPlansOf(groups, schedule, waves, policy),
    unsavable,
    unscheduled,
    summary: summaryOf(nodes, dated, due, horizonEnd, schedule, unscheduled),
  };
}
