// An independent referee for plans: given the inputs, it recomputes what must hold and lists
// every violation. It shares no code with the planner (its own time-zone arithmetic, its own
// due dates), so a bug in src/plan/ cannot hide itself here. Used by the property tests over
// random fleets and by the end-to-end test of the real CLI.

const DAY = 86_400_000;
const SAMPLE = 5 * 60_000;

export interface RefWindow {
  days: string[]; // Mon…Sun
  start: string; // HH:MM
  end: string; // HH:MM, after start (the referee handles same-day windows)
  timeZone: string;
}

export interface RefInput {
  now: number;
  windows: RefWindow[];
  maxInFlight: number;
  /** upper bound on the group's in-flight count */
  concurrency: (group: string) => number;
  perNodeMs: (group: string) => number;
  /** the due date each node must have; nodes absent here must not be scheduled */
  expectedDue: Map<string, number>;
}

export interface RefReplacement {
  node: string;
  group: string;
  start: string;
  end: string;
  dueBy: string;
  deadline: string | null;
  late: boolean;
}

const WEEK = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const fmts = new Map<string, Intl.DateTimeFormat>();
function wall(tz: string, t: number): { date: string; weekday: string; minutes: number } {
  let f = fmts.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    fmts.set(tz, f);
  }
  const p = Object.fromEntries(f.formatToParts(t).map((x) => [x.type, x.value]));
  return {
    date: `${p.year}-${p.month}-${p.day}`,
    weekday: p.weekday ?? '',
    minutes: Number(p.hour) * 60 + Number(p.minute),
  };
}
const mins = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** [s, e) lies inside one occurrence of w: every sampled instant on one local date, inside the hours */
export function insideWindow(w: RefWindow, s: number, e: number): boolean {
  const [lo, hi] = [mins(w.start), mins(w.end)];
  let date: string | null = null;
  for (let t = s; ; t = Math.min(t + SAMPLE, e - 1)) {
    const l = wall(w.timeZone, t);
    if (date === null) {
      if (!w.days.includes(l.weekday)) return false;
      date = l.date;
    }
    if (l.date !== date || l.minutes < lo || l.minutes >= hi) return false;
    if (t >= e - 1) return true;
  }
}

/** instants at which windows open (about), between from and to (independent arithmetic) */
export function windowOpenings(windows: RefWindow[], from: number, to: number): number[] {
  const out: number[] = [];
  for (const w of windows)
    for (let d = Math.floor(from / DAY) * DAY - DAY; d < to + DAY; d += DAY) {
      // Guess with the offset and correct twice. Any instant is a fair test point (between the
      // planner's events nothing changes), so a guess that lands in a DST gap only weakens it.
      const wantDate = wall(w.timeZone, d + 12 * 3_600_000).date;
      let t = d + mins(w.start) * 60_000;
      for (let i = 0; i < 3; i++) {
        const l = wall(w.timeZone, t);
        const dayDiff =
          (Date.parse(`${wantDate}T00:00:00Z`) - Date.parse(`${l.date}T00:00:00Z`)) / DAY;
        t += (dayDiff * 1440 + mins(w.start) - l.minutes) * 60_000;
      }
      const l = wall(w.timeZone, t);
      if (l.date === wantDate && w.days.includes(l.weekday) && t >= from && t <= to) out.push(t);
    }
  return out;
}

export function checkPlan(schedule: RefReplacement[], input: RefInput): string[] {
  const bad: string[] = [];
  const jobs = schedule.map((r) => ({
    ...r,
    s: Date.parse(r.start),
    e: Date.parse(r.end),
    due: Date.parse(r.dueBy),
  }));
  const seen = new Set<string>();
  for (const j of jobs) {
    if (seen.has(j.node)) bad.push(`${j.node} scheduled twice`);
    seen.add(j.node);
    const want = input.expectedDue.get(j.node);
    if (want === undefined) bad.push(`${j.node} scheduled but not due`);
    else if (want !== j.due)
      bad.push(`${j.node} dueBy ${j.dueBy}, expected ${new Date(want).toISOString()}`);
    if (j.e - j.s !== input.perNodeMs(j.group)) bad.push(`${j.node} lasts ${j.e - j.s} ms`);
    if (j.s < input.now) bad.push(`${j.node} starts before the plan`);
    if (j.late !== j.e > j.due)
      bad.push(`${j.node} late=${j.late} but end ${j.end} vs dueBy ${j.dueBy}`);
    if (input.windows.length > 0 && !input.windows.some((w) => insideWindow(w, j.s, j.e)))
      bad.push(`${j.node} ${j.start}–${j.end} is not inside one window occurrence`);
  }
  for (const name of input.expectedDue.keys())
    if (!seen.has(name)) bad.push(`${name} is due but not scheduled`);

  const inFlightAt = (t: number, group: string | null, except: string): number =>
    jobs.filter(
      (j) => j.node !== except && j.s <= t && t < j.e && (group === null || j.group === group),
    ).length;
  for (const j of jobs) {
    if (inFlightAt(j.s, null, '') > input.maxInFlight)
      bad.push(`more than maxInFlight at ${j.start}`);
    if (inFlightAt(j.s, j.group, '') > input.concurrency(j.group))
      bad.push(`more than ${input.concurrency(j.group)} of ${j.group} at ${j.start}`);
  }

  // Nothing savable is late: at every instant before its due date where the late node would have
  // fitted a window, its group or the cluster was full.
  const candidates = [input.now, ...jobs.flatMap((j) => [j.s, j.e])];
  for (const j of jobs) {
    if (!j.late || j.due <= input.now) continue;
    if (j.deadline !== null && Date.parse(j.deadline) <= input.now) continue;
    const d = input.perNodeMs(j.group);
    const opens = input.windows.length ? windowOpenings(input.windows, input.now, j.due - d) : [];
    for (const s of [...candidates, ...opens]) {
      if (s < input.now || s + d > j.due || s >= j.s) continue;
      if (input.windows.length > 0 && !input.windows.some((w) => insideWindow(w, s, s + d)))
        continue;
      const groupFull = inFlightAt(s, j.group, j.node) >= input.concurrency(j.group);
      const clusterFull = inFlightAt(s, null, j.node) >= input.maxInFlight;
      if (!groupFull && !clusterFull) {
        bad.push(
          `${j.node} is late (due ${j.dueBy}) yet could have started at ${new Date(s).toISOString()}`,
        );
        break;
      }
    }
  }
  return bad;
}

export { WEEK };
