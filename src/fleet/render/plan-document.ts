// The versioned `certdrift plan -o json|yaml` document (docs/plan-schema.md). Within a schema
// version fields are only added; a rename or removal bumps schemaVersion.

import { formatDuration } from '../../model/duration.js';
import type { InputProblem } from '../fleet.js';
import type { PlanPolicy } from '../plan-policy.js';
import type { Plan } from '../plan-types.js';
import type { WindowSpec } from '../window-calendar.js';

export const PLAN_SCHEMA_VERSION = 1;
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());
const hhmm = (m: number): string =>
  `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

export function describeWindow(w: WindowSpec): {
  days: string[];
  start: string;
  end: string;
  timeZone: string;
} {
  const days = [...w.days].sort((a, b) => ((a + 6) % 7) - ((b + 6) % 7));
  return {
    days: days.map((d) => DAYS[d] ?? '?'),
    start: hhmm(w.startMinute),
    end: hhmm(w.endMinute),
    timeZone: w.timeZone,
  };
}

function describePolicy(p: PlanPolicy): Record<string, unknown> {
  const amount = (
    v: { count: number } | { percent: number } | undefined,
  ): number | string | undefined =>
    v === undefined ? undefined : 'count' in v ? v.count : `${v.percent}%`;
  return {
    maxNodeAge: formatDuration(p.maxNodeAgeMs),
    margin: formatDuration(p.marginMs),
    horizon: formatDuration(p.horizonMs),
    perNode: formatDuration(p.perNodeMs),
    maxInFlight: p.maxInFlight,
    windows: p.windows.map(describeWindow),
    groups: Object.fromEntries(
      Object.entries(p.groups).map(([g, gp]) => [
        g,
        {
          maxSurge: amount(gp.maxSurge),
          maxUnavailable: amount(gp.maxUnavailable),
          perNode: gp.perNodeMs === undefined ? undefined : formatDuration(gp.perNodeMs),
        },
      ]),
    ),
  };
}

export function buildPlanDocument(
  plan: Plan,
  sources: readonly string[],
  problems: readonly InputProblem[],
): Record<string, unknown> {
  const s = plan.summary;
  return {
    apiVersion: 'certdrift.io/v1alpha1',
    kind: 'ReplacementPlan',
    schemaVersion: PLAN_SCHEMA_VERSION,
    generatedAt: plan.at.toISOString(),
    sources,
    policy: describePolicy(plan.policy),
    summary: {
      ...s,
      nextDueAfterHorizon: iso(s.nextDueAfterHorizon),
      firstStart: iso(s.firstStart),
      lastEnd: iso(s.lastEnd),
    },
    groups: plan.groups.map((g) => ({
      ...g,
      perNode: formatDuration(g.perNodeMs),
      perNodeMs: undefined,
      firstStart: iso(g.firstStart),
      lastEnd: iso(g.lastEnd),
      waves: g.waves.map((w) => ({ ...w, start: iso(w.start), end: iso(w.end) })),
    })),
    schedule: plan.schedule.map((r) => ({
      node: r.node,
      group: r.group,
      wave: r.wave,
      start: iso(r.start),
      end: iso(r.end),
      dueBy: iso(r.dueBy),
      dueFrom: r.dueFrom,
      deadline: iso(r.deadline),
      deadlineSource: r.deadlineOrigin,
      ageLimit: iso(r.ageLimit),
      late: r.late,
      expiresFirst: r.expiresFirst,
      risk: r.risk,
      reason: r.reason,
    })),
    unsavable: plan.unsavable,
    unscheduled: plan.unscheduled,
    problems,
  };
}
