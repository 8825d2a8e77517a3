// Why a node cannot be replaced by its due date, said plainly: its certificates have already
// expired; it was due before the plan starts; no window fits a replacement before its due date;
// or the window time before then is taken — by its own group (the group's concurrency times its
// window slots is smaller than its place in the group's queue) or by the cluster's maxInFlight.

import { formatDuration } from '../model/duration.js';
import type { LateCause } from './plan-types.js';
import type { WindowCalendar } from './window-calendar.js';

export interface LateFacts {
  now: number;
  dueBy: number;
  deadline: number | null;
  start: number;
  end: number;
  group: string;
  durationMs: number;
  concurrency: number;
  /** 1-based place in its group's queue, by urgency */
  rankInGroup: number;
  maxInFlight: number;
}

/** whole replacement slots of `durationMs` in the window time between `from` and `until` */
export function windowSlots(
  calendar: WindowCalendar,
  from: number,
  until: number,
  durationMs: number,
): number {
  if (until <= from) return 0;
  const open = calendar.occurrenceAt(from);
  if (open && open.end === Infinity) return Math.floor((until - from) / durationMs);
  const pieces = calendar.occurrencesStartingIn(from, until).map((o) => [o.start, o.end] as const);
  if (open) pieces.push([from, open.end]);
  let slots = 0;
  for (const [s, e] of pieces)
    slots += Math.floor(Math.max(0, Math.min(e, until) - s) / durationMs);
  return slots;
}

export function explainLateness(
  f: LateFacts,
  calendar: WindowCalendar,
): { cause: LateCause; statement: string } {
  const d = (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  const ends = `replacement planned ${d(f.start)}–${d(f.end)} UTC`;
  const expiry =
    f.deadline !== null && f.deadline < f.end
      ? `; its certificates expire ${d(f.deadline)}, before the replacement ends`
      : '; its certificates are still valid when the replacement ends';
  if (f.deadline !== null && f.deadline <= f.now)
    return {
      cause: 'expired',
      statement: `certificates already expired ${d(f.deadline)}: the node cannot authenticate to the API server; replace it now (${ends})`,
    };
  if (f.dueBy <= f.now)
    return {
      cause: 'past-due',
      statement: `was already due ${d(f.dueBy)} when the plan starts; ${ends}${expiry}`,
    };
  const alone = windowSlots(calendar, f.now, f.dueBy, f.durationMs);
  if (alone === 0)
    return {
      cause: 'no-window-time',
      statement: `no maintenance window before its due date ${d(f.dueBy)} fits a ${formatDuration(f.durationMs)} replacement; ${ends}${expiry}`,
    };
  if (f.rankInGroup > alone * f.concurrency)
    return {
      cause: 'group-capacity',
      statement: `${f.group} replaces ${f.concurrency} at a time, ${formatDuration(f.durationMs)} each: the window time before its due date ${d(f.dueBy)} holds ${alone * f.concurrency} replacements and ${f.rankInGroup - 1} more urgent nodes of the group come first; ${ends}${expiry}`,
    };
  return {
    cause: 'cluster-capacity',
    statement: `at every window slot before its due date ${d(f.dueBy)} the cluster's maxInFlight (${f.maxInFlight}) or its group's limit (${f.concurrency}) was reached; ${ends}${expiry}`,
  };
}
