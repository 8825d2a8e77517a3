// `certdrift plan` for people at a terminal: a headline, every node that cannot be saved and
// why, then per group its waves with dates. Times are shown in the windows' time zone when the
// policy has exactly one (that is how the team thinks of its windows), else in UTC. Every name
// from the cluster is escaped (model/escape.ts).

import { formatDuration } from '../../model/duration.js';
import type { Plan } from '../plan-types.js';
import { describeWindow } from './plan-document.js';
import { escapeTerminal as esc } from '../../model/escape.js';
import { renderColumns, type Style } from '../../model/text-table.js';

const MAX_NAMES = 6;

type DateParts = (d: Date) => { date: string; time: string };

/** A wave's date and time of day in `zone`, the way the table shows them. */
function partsIn(zone: string): DateParts {
  const fmt = new Intl.DateTimeFormat('en-GB', {
    timeZone: zone,
    weekday: 'short',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  return (d) => {
    const p = Object.fromEntries(fmt.formatToParts(d).map((x) => [x.type, x.value]));
    return {
      date: `${p.weekday ?? ''} ${p.year ?? ''}-${p.month ?? ''}-${p.day ?? ''}`,
      time: `${p.hour ?? ''}:${p.minute ?? ''}`,
    };
  };
}

const day = (d: Date | null): string => (d ? d.toISOString().slice(0, 10) : '—');

/** The plan in a line, the policy it follows, and what is not due. */
function headline(plan: Plan, zone: string, style: Style): string[] {
  const s = plan.summary;
  const pol = plan.policy;
  const out: string[] = [];
  out.push(
    style.bold(
      `Replacement plan at ${plan.at.toISOString().slice(0, 16).replace('T', ' ')} UTC: ${s.nodes} nodes, ${s.due} due within ${formatDuration(pol.horizonMs)}, ${s.scheduled} scheduled` +
        (s.scheduled > 0 ? ` ${day(s.firstStart)} → ${day(s.lastEnd)}` : ''),
    ),
  );
  const windows = pol.windows.length
    ? pol.windows
        .map((w) => {
          const d = describeWindow(w);
          return `${d.days.join(',')} ${d.start}–${d.end} ${d.timeZone}`;
        })
        .join('; ')
    : 'any time';
  out.push(
    `Windows: ${windows}. maxInFlight ${pol.maxInFlight}, perNode ${formatDuration(pol.perNodeMs)}, margin ${formatDuration(pol.marginMs)}, maxNodeAge ${formatDuration(pol.maxNodeAgeMs)}. Times below: ${zone}.`,
  );
  if (s.notDue > 0 || s.undated > 0)
    out.push(
      style.dim(
        `Not due within the horizon: ${s.notDue}` +
          (s.nextDueAfterHorizon ? ` (next due ${day(s.nextDueAfterHorizon)})` : '') +
          (s.undated > 0 ? `; ${s.undated} without certificate deadline or creation time` : ''),
      ),
    );
  out.push('');
  return out;
}

/** Every node that cannot be replaced in time and why, or that every due node can. */
function unsavableLines(plan: Plan, style: Style): string[] {
  const s = plan.summary;
  if (plan.unsavable.length === 0 && plan.unscheduled.length === 0)
    return s.due > 0 ? [style.green('Every due node is replaced before its due date.'), ''] : [];
  const out: string[] = [];
  out.push(
    style.red(style.bold(`Cannot be replaced in time: ${plan.unsavable.length} node(s)`)) +
      (s.expiring > 0 ? style.red(` — ${s.expiring} with certificates expiring first`) : ''),
  );
  for (const u of plan.unsavable) {
    const mark = u.expiresFirst ? style.red('✗ EXPIRES') : style.yellow('! LATE   ');
    out.push(`  ${mark} ${esc(u.node)} (${esc(u.group)}) [${u.cause}]: ${esc(u.statement)}`);
  }
  for (const n of plan.unscheduled)
    out.push(
      `  ${style.red('✗ UNPLACED')} ${esc(n)}: no window occurrence ever fits its replacement`,
    );
  out.push('');
  return out;
}

/** Per group with due nodes: its limits, then one row per wave with dates and names. */
function groupSections(plan: Plan, parts: DateParts, style: Style): string[] {
  const out: string[] = [];
  const lateByWave = new Map<string, number>();
  for (const r of plan.schedule)
    if (r.late) {
      const key = `${r.group}\u0000${r.wave}`;
      lateByWave.set(key, (lateByWave.get(key) ?? 0) + 1);
    }
  for (const g of plan.groups) {
    if (g.due === 0) continue;
    const flags = [
      g.late > 0 ? style.yellow(`${g.late} late`) : '',
      g.expiring > 0 ? style.red(`${g.expiring} expire first`) : '',
    ].filter((x) => x !== '');
    out.push(
      style.bold(esc(g.group)) +
        `  ${g.nodes} nodes, ${g.due} due, ${g.concurrency} at a time, ${formatDuration(g.perNodeMs)} each` +
        (flags.length ? `, ${flags.join(', ')}` : ''),
    );
    const rows = g.waves.map((w) => {
      const [a, b] = [parts(w.start), parts(w.end)];
      const names = w.nodes.slice(0, MAX_NAMES).map(esc).join(', ');
      const more = w.nodes.length > MAX_NAMES ? ` … +${w.nodes.length - MAX_NAMES}` : '';
      const late = lateByWave.get(`${g.group}\u0000${w.wave}`) ?? 0;
      return [
        `  ${w.wave}`,
        a.date,
        `${a.time}–${b.date === a.date ? b.time : `${b.date} ${b.time}`}`,
        String(w.nodes.length),
        late > 0 ? style.yellow(String(late)) : '0',
        names + more,
      ];
    });
    out.push(
      renderColumns(['  WAVE', 'DATE', 'TIME', 'NODES', 'LATE', 'NAMES'], rows, style).trimEnd(),
      '',
    );
  }
  return out;
}

export function renderPlanTable(plan: Plan, style: Style): string {
  const s = plan.summary;
  const zones = [...new Set(plan.policy.windows.map((w) => w.timeZone))];
  const zone = zones.length === 1 ? (zones[0] ?? 'UTC') : 'UTC';
  const out = [
    ...headline(plan, zone, style),
    ...unsavableLines(plan, style),
    ...groupSections(plan, partsIn(zone), style),
  ];
  if (s.due === 0) out.push('Nothing is due within the horizon.');
  out.push(
    style.dim(
      `Exit ${s.exitCode}: ${s.exitCode === 0 ? 'nothing late' : s.exitCode === 1 ? 'late nodes, certificates still valid' : 'certificates expire before their replacement'}. Details per node: -o json.`,
    ),
  );
  return out.join('\n') + '\n';
}
