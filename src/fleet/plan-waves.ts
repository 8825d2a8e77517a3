// Waves: a group's replacements that run in the same window occurrence (without windows: the
// same UTC day). A wave is what an operator schedules, watches and signs off as one piece.

import type { Replacement, Wave } from './plan-types.js';
import type { WindowCalendar } from './window-calendar.js';

const DAY = 86_400_000;

/** sets `wave` on each replacement (schedule sorted by start) and returns the waves per group */
export function wavesOf(schedule: Replacement[], calendar: WindowCalendar): Map<string, Wave[]> {
  const out = new Map<string, Wave[]>();
  const keyOf = (t: number): number => {
    const o = calendar.occurrenceAt(t);
    return o && o.start !== -Infinity ? o.start : Math.floor(t / DAY);
  };
  const last = new Map<string, number>();
  for (const r of schedule) {
    const key = keyOf(r.start.getTime());
    let waves = out.get(r.group);
    if (!waves) out.set(r.group, (waves = []));
    let w = waves[waves.length - 1];
    if (!w || last.get(r.group) !== key) {
      w = { wave: waves.length + 1, start: r.start, end: r.end, nodes: [] };
      waves.push(w);
      last.set(r.group, key);
    }
    w.nodes.push(r.node);
    if (r.end > w.end) w.end = r.end;
    r.wave = w.wave;
  }
  return out;
}
