// When replacements may run: the occurrences of the policy's maintenance windows as UTC
// intervals [start, end). Each window spec recurs on its weekdays at local wall-clock times in its
// own IANA zone, so an occurrence on a daylight-saving day is an hour shorter or longer in real
// time. Occurrences are generated lazily, in ascending order, and never merged: a replacement
// must fit wholly inside one occurrence, even where two windows touch or overlap.

import { instantOfLocal, localTimeAt } from './zoned-time.js';

export interface WindowSpec {
  /** 0 = Sunday … 6 = Saturday, in the window's zone */
  days: number[];
  /** minutes after local midnight */
  startMinute: number;
  /** minutes after local midnight; ≤ startMinute means the window ends the next day */
  endMinute: number;
  timeZone: string;
}

export interface Occurrence {
  start: number;
  end: number;
}

const DAY = 86_400_000;
const CHUNK_DAYS = 28;

export class WindowCalendar {
  private readonly occ: Occurrence[] = [];
  /** local dates are generated up to this instant (exclusive) */
  private coveredUntil: number;
  private readonly always: boolean;

  constructor(
    private readonly specs: readonly WindowSpec[],
    from: number,
  ) {
    this.always = specs.length === 0;
    // Start two days early so an occurrence that began before `from` (e.g. overnight) is seen.
    this.coveredUntil = from - 2 * DAY;
  }

  /** the occurrence containing t that ends last, or null when t is outside every window */
  occurrenceAt(t: number): Occurrence | null {
    if (this.always) return { start: -Infinity, end: Infinity };
    this.ensure(t + 3 * DAY);
    let best: Occurrence | null = null;
    // Occurrences last at most two days: look back no further than that.
    for (let i = this.lastStartingAtOrBefore(t); i >= 0; i--) {
      const o = this.occ[i];
      if (!o || o.start < t - 2 * DAY) break;
      if (o.end > t && (!best || o.end > best.end)) best = o;
    }
    return best;
  }

  /** the first occurrence start strictly after t (Infinity without windows) */
  nextStartAfter(t: number): number {
    if (this.always) return Infinity;
    for (;;) {
      this.ensure(t + 8 * DAY);
      const i = this.lastStartingAtOrBefore(t) + 1;
      const o = this.occ[i];
      if (o) return o.start;
      if (this.coveredUntil > t + 400 * DAY) return Infinity; // no weekday ever matches
      t = this.coveredUntil;
    }
  }

  /** occurrences whose start lies in [from, to) */
  occurrencesStartingIn(from: number, to: number): Occurrence[] {
    if (this.always) return [];
    this.ensure(to + 3 * DAY);
    return this.occ.filter((o) => o.start >= from && o.start < to);
  }

  private lastStartingAtOrBefore(t: number): number {
    let lo = 0;
    let hi = this.occ.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((this.occ[mid]?.start ?? Infinity) <= t) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  private ensure(until: number): void {
    while (this.coveredUntil < until) {
      const from = this.coveredUntil;
      const to = from + CHUNK_DAYS * DAY;
      const fresh: Occurrence[] = [];
      for (const spec of this.specs) fresh.push(...occurrencesOf(spec, from, to));
      fresh.sort((a, b) => a.start - b.start || a.end - b.end);
      this.occ.push(...fresh);
      this.coveredUntil = to;
    }
  }
}

/** occurrences of one spec whose local start date falls in the instants [from, to) */
function occurrencesOf(spec: WindowSpec, from: number, to: number): Occurrence[] {
  const out: Occurrence[] = [];
  const first = localTimeAt(spec.timeZone, from);
  // Walk local calendar dates; Date.UTC normalises day overflow across months and years.
  for (let i = 0; ; i++) {
    const date = new Date(Date.UTC(first.year, first.month - 1, first.day + i));
    const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
    // A start read twice (fall-back hour) is its later instant and an end its earlier one (an
    // end inside the spring-forward gap: the last instant before the jump), so
    // the wall clock reads inside the window at every instant of the occurrence: taking the
    // earlier start would let the clock fall back to before the start mid-window.
    const start = instantOfLocal(spec.timeZone, y, m, d, spec.startMinute, 'later');
    if (start >= to) break;
    if (start < from || !spec.days.includes(date.getUTCDay())) continue;
    const endDay = spec.endMinute > spec.startMinute ? d : d + 1;
    const end = instantOfLocal(spec.timeZone, y, m, endDay, spec.endMinute, 'end');
    // A window inside a spring-forward gap can come out empty: it does not occur that day.
    if (end > start) out.push({ start, end });
  }
  return out;
}
