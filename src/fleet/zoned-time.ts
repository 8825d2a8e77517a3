// Wall-clock time in an IANA time zone, with Intl.DateTimeFormat only (no time-zone database
// dependency). A local time that does not exist (the spring-forward gap) moves forward by the
// gap; a local time that exists twice (the fall-back hour) is the earlier instant — the
// "compatible" disambiguation of Temporal and of RFC 5545 calendars.

const FORMATS = new Map<string, Intl.DateTimeFormat>();

function formatFor(timeZone: string): Intl.DateTimeFormat {
  let f = FORMATS.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    FORMATS.set(timeZone, f);
  }
  return f;
}

/** true when the runtime knows the zone (Intl throws RangeError for unknown names) */
export function isTimeZone(name: string): boolean {
  try {
    formatFor(name);
    return true;
  } catch {
    return false;
  }
}

export interface LocalTime {
  year: number;
  month: number;
  day: number;
  /** minutes since local midnight */
  minutes: number;
  /** 0 = Sunday … 6 = Saturday, of the local calendar date */
  weekday: number;
}

/** the wall-clock reading in `timeZone` at instant `t` (ms since the epoch) */
export function localTimeAt(timeZone: string, t: number): LocalTime {
  const p: Record<string, number> = {};
  for (const part of formatFor(timeZone).formatToParts(t))
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  const year = p.year ?? 1970;
  const month = p.month ?? 1;
  const day = p.day ?? 1;
  return {
    year,
    month,
    day,
    minutes: (p.hour ?? 0) * 60 + (p.minute ?? 0) + (p.second ?? 0) / 60,
    weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay(),
  };
}

/** the zone's offset from UTC at instant `t`, in ms (New York in winter: −5 h) */
export function offsetAt(timeZone: string, t: number): number {
  const whole = Math.floor(t / 1000) * 1000;
  const l = localTimeAt(timeZone, whole);
  const asUtc = Date.UTC(l.year, l.month - 1, l.day) + Math.round(l.minutes * 60_000);
  return asUtc - whole;
}

/**
 * The instant at which the wall clock in `timeZone` reads `minutes` after midnight of the local
 * date year-month-day. Day and minute overflow normalise (day 32, minute 1440 = next midnight).
 */
export function instantOfLocal(
  timeZone: string,
  year: number,
  month: number,
  day: number,
  minutes: number,
  /**
   * A reading that occurs twice (the fall-back hour): its earlier or its later instant. `end`:
   * the earlier instant, and for a reading inside the spring-forward gap the instant the clock
   * still read before it (an end never moves forward past the time it names).
   */
  which: 'earlier' | 'later' | 'end' = 'earlier',
): number {
  const local = Date.UTC(year, month - 1, day, 0, minutes);
  // Offsets in force a day either side bracket any single transition.
  const before = offsetAt(timeZone, local - 86_400_000);
  const after = offsetAt(timeZone, local + 86_400_000);
  const valid = [before, after]
    .map((off) => local - off)
    .filter((u) => u - local === -offsetAt(timeZone, u))
    .sort((a, b) => a - b);
  // In the gap no reading matches: the offset before the jump carries the time past it.
  const found = which === 'later' ? valid[valid.length - 1] : valid[0];
  if (found !== undefined) return found;
  return which === 'end' ? Math.min(local - before, local - after) : local - before;
}
