// The timeline's time axis: a range that fits the schedule (from now or the first start to the
// last end, a little padding), and a unit and tick step that fit the range — hours when it spans
// up to a day and a half, days up to four months, months beyond. Ticks sit on calendar
// boundaries (UTC): whole hours, midnights (Mondays when stepping by weeks), first days of months.

export type AxisUnit = 'hour' | 'day' | 'month';

export interface AxisTick {
  t: number;
  label: string;
}

export interface TimeAxis {
  t0: number;
  t1: number;
  unit: AxisUnit;
  /** the width of one aggregate bucket: an hour, a day, or a week */
  bucketMs: number;
  ticks: AxisTick[];
}

const HOUR = 3_600_000;
const DAY = 86_400_000;
const MAX_TICKS = 14;
const HOUR_STEPS = [1, 2, 3, 6, 12];
const DAY_STEPS = [1, 2, 7, 14];
const MONTH_STEPS = [1, 2, 3, 6, 12];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Dec 7" */
export function monthDay(t: number): string {
  const d = new Date(t);
  return `${MONTHS[d.getUTCMonth()] ?? '?'} ${d.getUTCDate()}`;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** The axis for a schedule running from `from` to `to` (ms), planned at `now`. */
export function chooseAxis(now: number, from: number, to: number): TimeAxis {
  const lo = Math.min(now, from);
  const hi = Math.max(to, now + HOUR);
  const pad = Math.max((hi - lo) * 0.04, 15 * 60_000);
  const t0 = lo - pad;
  const t1 = hi + pad;
  const span = t1 - t0;
  if (span <= 36 * HOUR) return { t0, t1, unit: 'hour', bucketMs: HOUR, ticks: hourTicks(t0, t1) };
  if (span <= 120 * DAY) return { t0, t1, unit: 'day', bucketMs: DAY, ticks: dayTicks(t0, t1) };
  return { t0, t1, unit: 'month', bucketMs: 7 * DAY, ticks: monthTicks(t0, t1) };
}

function pickStep(steps: number[], span: number, unitMs: number): number {
  return steps.find((s) => span / (s * unitMs) <= MAX_TICKS) ?? steps[steps.length - 1] ?? 1;
}

function hourTicks(t0: number, t1: number): AxisTick[] {
  const step = pickStep(HOUR_STEPS, t1 - t0, HOUR) * HOUR;
  const out: AxisTick[] = [];
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
    const d = new Date(t);
    // Midnight names the day, so a schedule across two days reads without guessing.
    out.push({
      t,
      label: d.getUTCHours() === 0 ? monthDay(t) : `${pad2(d.getUTCHours())}:00`,
    });
  }
  return out;
}

function dayTicks(t0: number, t1: number): AxisTick[] {
  const days = pickStep(DAY_STEPS, t1 - t0, DAY);
  let t = Math.ceil(t0 / DAY) * DAY;
  // Weeks start on Mondays (UTC), so the grid matches a calendar.
  if (days >= 7) while (new Date(t).getUTCDay() !== 1) t += DAY;
  const out: AxisTick[] = [];
  for (; t <= t1; t += days * DAY) out.push({ t, label: monthDay(t) });
  return out;
}

function monthTicks(t0: number, t1: number): AxisTick[] {
  const months = pickStep(MONTH_STEPS, t1 - t0, 30.44 * DAY);
  const start = new Date(t0);
  let y = start.getUTCFullYear();
  let m = start.getUTCMonth() + 1;
  const out: AxisTick[] = [];
  for (;;) {
    y += Math.floor(m / 12);
    m %= 12;
    const t = Date.UTC(y, m, 1);
    if (t > t1) break;
    if (m % months === 0 || months === 1)
      out.push({ t, label: m === 0 ? `Jan ${y}` : (MONTHS[m] ?? '?') });
    m += 1;
  }
  return out;
}
