// `certdrift plan -o html`: one self-contained page (inline CSS and SVG, no script, a
// Content-Security-Policy that forbids every fetch) a person reads at a glance: the nodes that
// cannot be replaced in time first, then the timeline (plan-timeline.ts), then per group the
// node-by-node table, collapsed. Everything from the cluster is escaped.

import { formatDuration } from '../../model/duration.js';
import type { InputProblem } from '../fleet.js';
import type { Plan, Replacement } from '../plan-types.js';
import { describeWindow } from './plan-document.js';
import { escapeHtml as h } from '../../model/escape.js';
import { RISK_COLOR, renderLegend, renderTimeline } from './plan-timeline.js';

const LATE_SHOWN = 10;
const t = (d: Date | null): string => (d ? d.toISOString().slice(0, 16).replace('T', ' ') : '—');

const CSS = `
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1c2430;background:#f5f7fa}
main{max-width:1320px;margin:0 auto;padding:18px 22px 40px}
h1{font-size:22px;margin:0 0 2px}h2{font-size:17px;margin:22px 0 8px}
.meta{color:#5b6776;margin:0 0 14px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin-bottom:14px}
.card{background:#fff;border:1px solid #dde3ea;border-radius:8px;padding:8px 14px;min-width:120px}
.card b{display:block;font-size:22px}.card span{color:#5b6776;font-size:12px}
.card.bad b{color:#c62828}.card.warn b{color:#ef6c00}.card.good b{color:#2e7d32}
.callout{border-radius:8px;padding:12px 16px;margin-bottom:14px;border:1px solid}
.callout.bad{background:#fdecea;border-color:#f5c2c0}.callout.good{background:#e8f5e9;border-color:#b9dfbb}
.callout h2{margin:0 0 8px;color:#b71c1c}.callout.good h2{color:#1b5e20}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e6eaef;vertical-align:top;font-size:13px}
th{background:#eef2f6;position:sticky;top:0}
td.t{white-space:nowrap}td.node{font-family:ui-monospace,Menlo,Consolas,monospace;white-space:nowrap}
.scroll{max-height:340px;overflow:auto;border:1px solid #dde3ea;border-radius:6px}
.legend{display:flex;flex-wrap:wrap;gap:16px;font-size:13px;color:#34404e;margin:6px 0 8px}
.sw{display:inline-block;width:12px;height:12px;border-radius:2px;vertical-align:-2px;margin-right:5px}
.timeline{width:100%;height:auto;background:#fff;border:1px solid #dde3ea;border-radius:8px}
.lane-bg{fill:#fafbfc;stroke:#eef1f4}.lane-name{font-size:12px;font-weight:600;fill:#1c2430}
.lane-sub{font-size:10.5px;fill:#5b6776}.node-name{font-size:10px;fill:#34404e;text-anchor:end;font-family:ui-monospace,Menlo,monospace}
.grid{stroke:#e3e8ee}.tick{font-size:10.5px;fill:#5b6776}
.today{stroke:#1565c0;stroke-width:2}.today-label{font-size:11px;fill:#1565c0;font-weight:600}
.overdue{stroke:#c62828;stroke-width:2;stroke-dasharray:3 2}.due{stroke:#34404e;stroke-width:1.5}
.late-bar{stroke:#b71c1c;stroke-width:1}.overdue-label{font-size:10px;font-weight:600;fill:#b71c1c}
.due-later{font-size:10px;fill:#5b6776}.glyph{vertical-align:-1px;margin-right:3px;overflow:visible}
details{background:#fff;border:1px solid #dde3ea;border-radius:6px;margin:6px 0}
summary{cursor:pointer;padding:6px 10px;font-weight:600}
.risk{display:inline-block;padding:0 6px;border-radius:8px;color:#fff;font-size:11px}
.causes{margin:0 0 8px}.problems{color:#5b6776;font-size:13px}
`;

/** The late nodes, worst first (certificates expiring before their replacement), or the all-clear. */
function lateCallout(plan: Plan): string {
  const s = plan.summary;
  const late = plan.schedule
    .filter((r) => r.late)
    .sort(
      (a, b) =>
        Number(b.expiresFirst) - Number(a.expiresFirst) || a.dueBy.getTime() - b.dueBy.getTime(),
    );
  if (late.length === 0)
    return `<section class="callout good" id="late"><h2>Every due node is replaced before its due date</h2></section>`;
  const statement = new Map(plan.unsavable.map((u) => [u.node, u]));
  const lateRow = (r: Replacement): string => {
    const u = statement.get(r.node);
    return `<tr><td class="node">${h(r.node)}</td><td>${h(r.group)}</td><td>${riskBadge(r)}</td><td>${h(u?.cause ?? '')}</td><td class="t">${t(r.dueBy)}</td><td class="t">${t(r.deadline)}</td><td class="t">${t(r.end)}</td><td>${h(u?.statement ?? '')}</td></tr>`;
  };
  const lateHead =
    '<tr><th>node</th><th>group</th><th>risk</th><th>cause</th><th>due by</th><th>certificate deadline</th><th>replacement ends</th><th>why</th></tr>';
  const shown = late.slice(0, LATE_SHOWN).map(lateRow).join('');
  const rest =
    late.length > LATE_SHOWN
      ? `<details><summary>all ${late.length} late nodes</summary><div class="scroll"><table>${lateHead}${late.map(lateRow).join('')}</table></div></details>`
      : '';
  return `<section class="callout bad" id="late"><h2>${late.length} node${late.length === 1 ? '' : 's'} cannot be replaced in time${s.expiring > 0 ? ` — ${s.expiring} with certificates expiring before their replacement` : ''}</h2><p class="causes">${causeLine(plan)}</p><table>${lateHead}${shown}</table>${rest}</section>`;
}

/** Per group with due nodes: a collapsible table of its replacements. */
function groupTables(plan: Plan): string {
  return plan.groups
    .filter((g) => g.due > 0)
    .map((g) => {
      const rows = plan.schedule
        .filter((r) => r.group === g.group)
        .map(
          (r) =>
            `<tr><td class="node">${h(r.node)}</td><td>${r.wave}</td><td class="t">${t(r.start)}</td><td class="t">${t(r.end)}</td><td class="t">${t(r.dueBy)}</td><td class="t">${t(r.deadline)}${r.deadlineOrigin ? ` (${h(r.deadlineOrigin)})` : ''}</td><td class="t">${t(r.ageLimit)}</td><td>${riskBadge(r)}</td><td>${h(r.reason)}</td></tr>`,
        )
        .join('');
      return `<details><summary>${h(g.group)} — ${g.due} due of ${g.nodes}, ${g.concurrency} at a time, ${formatDuration(g.perNodeMs)} each, ${g.waves.length} wave(s)${g.late > 0 ? `, ${g.late} late` : ''}</summary><div class="scroll"><table><tr><th>node</th><th>wave</th><th>start (UTC)</th><th>end</th><th>due by</th><th>certificate deadline</th><th>age limit</th><th>risk</th><th>why</th></tr>${rows}</table></div></details>`;
    })
    .join('');
}

/** The headline numbers as cards. */
function cards(plan: Plan): string {
  const s = plan.summary;
  const card = (value: string | number, label: string, cls = ''): string =>
    `<div class="card ${cls}"><b>${h(String(value))}</b><span>${h(label)}</span></div>`;
  return `${card(s.nodes, 'nodes')}${card(s.due, `due within ${formatDuration(plan.policy.horizonMs)}`)}${card(s.late, 'late', s.late > 0 ? 'warn' : 'good')}${card(s.expiring, 'certificates expire first', s.expiring > 0 ? 'bad' : 'good')}${card(s.firstStart ? `${t(s.firstStart).slice(5, 10)} → ${t(s.lastEnd).slice(5, 10)}` : '—', 'schedule span')}${card(plan.groups.length, 'groups')}`;
}

export function renderPlanHtml(plan: Plan, problems: readonly InputProblem[]): string {
  const s = plan.summary;
  const p = plan.policy;
  const windows = p.windows.length
    ? p.windows
        .map((w) => {
          const d = describeWindow(w);
          return `${d.days.join(' ')} ${d.start}–${d.end} ${d.timeZone}`;
        })
        .join('; ')
    : 'any time';
  const groups = groupTables(plan);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>certdrift replacement plan — ${t(plan.at)} UTC</title><style>${CSS}</style></head>
<body><main>
<h1>Node replacement plan</h1>
<p class="meta">Planned at ${t(plan.at)} UTC · windows: ${h(windows)} · maxInFlight ${p.maxInFlight} · perNode ${formatDuration(p.perNodeMs)} · margin ${formatDuration(p.marginMs)} · maxNodeAge ${formatDuration(p.maxNodeAgeMs)} · horizon ${formatDuration(p.horizonMs)}</p>
<div class="cards">${cards(plan)}</div>
${lateCallout(plan)}
<h2>Timeline</h2>${renderLegend()}
${plan.schedule.length > 0 ? renderTimeline(plan) : '<p>Nothing is due within the horizon.</p>'}
<h2>Per group</h2>${groups || '<p>Nothing is due.</p>'}
${s.notDue + s.undated > 0 ? `<p class="problems">${s.notDue} node(s) not due within the horizon${s.nextDueAfterHorizon ? ` (next due ${t(s.nextDueAfterHorizon)})` : ''}; ${s.undated} without certificate deadline or creation time.</p>` : ''}
${problems.length > 0 ? `<h2>Input problems</h2><ul class="problems">${problems.map((x) => `<li>${h(x.source)}: ${h(x.message)}</li>`).join('')}</ul>` : ''}
</main></body></html>
`;
}

const CAUSES: Record<string, string> = {
  expired: 'certificates already expired',
  'past-due': 'already past due',
  'no-window-time': 'no window time before due',
  'group-capacity': 'group capacity',
  'cluster-capacity': 'cluster capacity',
};

/** how many late nodes per cause, most first: the shape of the problem before the rows */
function causeLine(plan: Plan): string {
  const n = new Map<string, number>();
  for (const u of plan.unsavable) n.set(u.cause, (n.get(u.cause) ?? 0) + 1);
  return [...n]
    .sort((a, b) => b[1] - a[1])
    .map(([c, k]) => `<b>${k}</b> ${h(CAUSES[c] ?? c)}`)
    .join(' · ');
}

function riskBadge(r: Replacement): string {
  return `<span class="risk" style="background:${RISK_COLOR[r.risk]}">${r.risk}</span>`;
}
