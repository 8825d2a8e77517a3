// The scheduling core: priority list scheduling over time. At each event — the plan's start, a
// window opening, a replacement ending — it starts, most urgent first, every waiting node whose
// group has a free slot, while the cluster has one, provided the replacement ends inside the
// current window occurrence. It never idles while a waiting node could start: so a node ends
// up late only if, at every instant before its due date at which it would have fitted in a window,
// its group or the cluster was full. Within a group, nodes start in urgency order.

import type { WindowCalendar } from './window-calendar.js';

export interface Job {
  /** index into `groups` */
  group: number;
}

export interface GroupLimits {
  concurrency: number;
  durationMs: number;
}

export interface Slot {
  start: number;
  end: number;
}

/** a hard stop for pathological policies: nothing is planned more than ten years out */
const MAX_SPAN = 10 * 366 * 86_400_000;

/**
 * Places `jobs` (already in priority order, most urgent first) from `now` on. Returns one slot
 * per job, or null for a job that could not be placed at all.
 */
export function listSchedule(
  jobs: readonly Job[],
  groups: readonly GroupLimits[],
  maxInFlight: number,
  calendar: WindowCalendar,
  now: number,
): (Slot | null)[] {
  const slots: (Slot | null)[] = jobs.map(() => null);
  // Per group, the indices of its waiting jobs in priority order, and a read cursor.
  const queues: number[][] = groups.map(() => []);
  jobs.forEach((j, i) => queues[j.group]?.push(i));
  const cursor = groups.map(() => 0);
  const busy = groups.map(() => 0);
  const ends = new MinHeap();
  let inFlight = 0;
  let waiting = jobs.length;
  let t = now;
  while (waiting > 0 && t - now <= MAX_SPAN) {
    for (let top = ends.peek(); top && top.end <= t; top = ends.peek()) {
      ends.pop();
      inFlight--;
      busy[top.group] = (busy[top.group] ?? 1) - 1;
    }
    const occ = calendar.occurrenceAt(t);
    while (occ && inFlight < maxInFlight) {
      let best = -1;
      let bestJob = Infinity;
      for (let g = 0; g < groups.length; g++) {
        const lim = groups[g];
        const head = queues[g]?.[cursor[g] ?? 0];
        if (head === undefined || !lim || (busy[g] ?? 0) >= lim.concurrency) continue;
        if (t + lim.durationMs > occ.end) continue;
        if (head < bestJob) [best, bestJob] = [g, head];
      }
      if (best < 0) break;
      const end = t + (groups[best]?.durationMs ?? 0);
      slots[bestJob] = { start: t, end };
      cursor[best] = (cursor[best] ?? 0) + 1;
      busy[best] = (busy[best] ?? 0) + 1;
      inFlight++;
      waiting--;
      ends.push({ end, group: best });
    }
    const next = Math.min(ends.peek()?.end ?? Infinity, calendar.nextStartAfter(t));
    if (next === Infinity) break;
    t = next;
  }
  return slots;
}

interface End {
  end: number;
  group: number;
}

class MinHeap {
  private readonly a: End[] = [];
  peek(): End | undefined {
    return this.a[0];
  }
  push(x: End): void {
    const a = this.a;
    a.push(x);
    for (let i = a.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      const [ai, ap] = [a[i], a[p]];
      if (!ai || !ap || ap.end <= ai.end) break;
      [a[i], a[p]] = [ap, ai];
      i = p;
    }
  }
  pop(): End | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      for (let i = 0; ;) {
        const [l, r] = [2 * i + 1, 2 * i + 2];
        let m = i;
        if ((a[l]?.end ?? Infinity) < (a[m]?.end ?? Infinity)) m = l;
        if ((a[r]?.end ?? Infinity) < (a[m]?.end ?? Infinity)) m = r;
        if (m === i) break;
        const [am, ai] = [a[m], a[i]];
        if (!am || !ai) break;
        [a[i], a[m]] = [am, ai];
        i = m;
      }
    }
    return top;
  }
}
