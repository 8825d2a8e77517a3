// The plan's timeline as inline SVG: one swimlane per group, time running left to right, today
// marked. A group with few due nodes gets one labelled row per node (replacement bar, certificate
// deadline ▲, age limit ◆, the overdue stretch for a late node); a bigger group is drawn as one
// row of daily bars (height = replacements that day, colour = worst risk) with daily deadline and
// age-limit markers — 5,000 nodes make 50 readable lanes, never 5,000 labels. Tooltips (<title>)
// carry the names. Everything from the cluster is escaped.

import type { Plan, Replacement, Risk } from '../plan-types.js';
import { escapeHtml as h } from '../../model/escape.js';

export const RISK_COLOR: Record<Risk, string> = {
  ok: '#2e7d32',
  tight: '#f9a825',
  late: '#ef6c00',
  expires: '#c62828',
};
const RISK_RANK: Record<Risk, number> = { ok: 0, tight: 1, late: 2, expires: 3 };
const DEADLINE = '#6a1b9a';
const AGE = '#546e7a';
const DAY = 86_400_000;
const LABEL_W = 250;
const CHART_W = 1000;
const NODE_ROWS_MAX = 8;
const NODE_ROW_H = 16;
const AGG_H = 40;
const MAX_TITLE_NAMES = 12;

const fmtDay = (t: number): string => new Date(t).toISOString().slice(0, 10);
const fmtTime = (d: Date): string => d.toISOString().slice(0, 16).replace('T', ' ');

export function renderTimeline(plan: Plan): string {
  const now = plan.at.getTime();
  const t0 = Math.floor(now / DAY) * DAY - 2 * DAY;
  const lastEnd = plan.summary.lastEnd?.getTime() ?? now;
  const cap = now + plan.policy.horizonMs + plan.policy.marginMs + 7 * DAY;
  let far = Math.max(lastEnd, now + 14 * DAY);
  for (const r of plan.schedule)
    far = Math.max(
      far,
      Math.min(
        cap,
        Math.max(r.dueBy.getTime(), r.deadline?.getTime() ?? 0, r.ageLimit?.getTime() ?? 0),
      ),
    );
  const t1 = Math.ceil(far / DAY) * DAY + 2 * DAY;
  const x = (t: number): number =>
    LABEL_W + ((Math.min(Math.max(t, t0), t1) - t0) / (t1 - t0)) * CHART_W;

  const byGroup = new Map<string, Replacement[]>();
  for (const r of plan.schedule) {
    const list = byGroup.get(r.group) ?? [];
    list.push(r);
    byGroup.set(r.group, list);
  }
  // Most urgent lanes first: expiring, then late, then the earliest due date.
  const lanes = [...byGroup.entries()].sort(([, a], [, b]) => laneRank(a) - laneRank(b));
  const maxPerDay = Math.max(1, ...lanes.map(([, rs]) => Math.max(...countByDay(rs).values())));

  const parts: string[] = [];
  let y = 34;
  for (const [group, rs] of lanes) {
    const g = plan.groups.find((x) => x.group === group);
    const perNode = rs.length <= NODE_ROWS_MAX;
    const height = perNode ? 22 + rs.length * NODE_ROW_H : AGG_H + 10;
    const sub = `${rs.length} due · ${g?.concurrency ?? 1} at a time${g && g.late > 0 ? ` · ${g.late} late` : ''}`;
    parts.push(
      `<g class="lane"><rect x="0" y="${y}" width="${LABEL_W + CHART_W}" height="${height}" class="lane-bg"/>`,
    );
    // A per-node lane has a header line and one labelled row per node; an aggregate lane keeps
    // its two-line label on the left.
    parts.push(
      perNode
        ? `<text x="6" y="${y + 14}" class="lane-name">${h(clip(group, 60))}<title>${h(group)}</title><tspan class="lane-sub" dx="10">${sub}</tspan></text>`
        : `<text x="6" y="${y + 18}" class="lane-name">${h(clip(group, 32))}<title>${h(group)}</title></text><text x="6" y="${y + 32}" class="lane-sub">${sub}</text>`,
    );
    if (perNode) parts.push(...nodeRows(rs, y + 20, x));
    else parts.push(...aggregateRow(rs, y + 5, x, maxPerDay));
    parts.push('</g>');
    y += height + 4;
  }
  const axis = renderAxis(t0, t1, x, y);
  const today = `<line x1="${x(now)}" x2="${x(now)}" y1="18" y2="${y}" class="today"/><text x="${x(now) + 3}" y="28" class="today-label">today ${fmtDay(now)}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${LABEL_W + CHART_W + 10} ${y + 4}" class="timeline" role="img" aria-label="replacement timeline, one lane per group">${axis}${parts.join('')}${today}</svg>`;
}

function laneRank(rs: Replacement[]): number {
  const worst = Math.max(...rs.map((r) => RISK_RANK[r.risk]));
  return -worst * 1e15 + Math.min(...rs.map((r) => r.dueBy.getTime())) / 1e3;
}

function countByDay(rs: Replacement[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const r of rs) {
    const d = Math.floor(r.start.getTime() / DAY);
    m.set(d, (m.get(d) ?? 0) + 1);
  }
  return m;
}

function nodeRows(rs: Replacement[], top: number, x: (t: number) => number): string[] {
  const out: string[] = [];
  const sorted = [...rs].sort((a, b) => a.start.getTime() - b.start.getTime());
  sorted.forEach((r, i) => {
    const cy = top + i * NODE_ROW_H + 8;
    const sx = x(r.start.getTime());
    const w = Math.max(3, x(r.end.getTime()) - sx);
    out.push(
      `<text x="${LABEL_W - 6}" y="${cy + 4}" class="node-name">${h(clip(r.node, 34))}</text>`,
    );
    if (r.late)
      out.push(
        `<line x1="${x(r.dueBy.getTime())}" x2="${sx}" y1="${cy}" y2="${cy}" class="overdue"/>`,
      );
    out.push(
      `<line x1="${x(r.dueBy.getTime())}" x2="${x(r.dueBy.getTime())}" y1="${cy - 5}" y2="${cy + 5}" class="due"/>`,
    );
    out.push(
      `<rect x="${sx}" y="${cy - 5}" width="${w}" height="10" rx="2" fill="${RISK_COLOR[r.risk]}"><title>${h(r.node)}: ${fmtTime(r.start)}–${fmtTime(r.end)} UTC, due by ${fmtTime(r.dueBy)} — ${h(r.reason)}</title></rect>`,
    );
    if (r.deadline)
      out.push(
        marker(
          'deadline',
          x(r.deadline.getTime()),
          cy,
          `${r.node}: certificate deadline ${fmtTime(r.deadline)}`,
        ),
      );
    if (r.ageLimit)
      out.push(
        marker('age', x(r.ageLimit.getTime()), cy, `${r.node}: age limit ${fmtTime(r.ageLimit)}`),
      );
  });
  return out;
}

function aggregateRow(
  rs: Replacement[],
  top: number,
  x: (t: number) => number,
  maxPerDay: number,
): string[] {
  const out: string[] = [];
  const days = new Map<number, Replacement[]>();
  const deadlines = new Map<number, string[]>();
  const ages = new Map<number, string[]>();
  const push = (m: Map<number, string[]>, t: number, name: string): void => {
    const d = Math.floor(t / DAY);
    const l = m.get(d) ?? [];
    l.push(name);
    m.set(d, l);
  };
  for (const r of rs) {
    const d = Math.floor(r.start.getTime() / DAY);
    days.set(d, [...(days.get(d) ?? []), r]);
    if (r.deadline) push(deadlines, r.deadline.getTime(), r.node);
    if (r.ageLimit) push(ages, r.ageLimit.getTime(), r.node);
  }
  const base = top + AGG_H - 6;
  for (const [d, list] of days) {
    const worst = list.reduce<Risk>(
      (w, r) => (RISK_RANK[r.risk] > RISK_RANK[w] ? r.risk : w),
      'ok',
    );
    const bh = 4 + (list.length / maxPerDay) * (AGG_H - 18);
    const bx = x(d * DAY);
    const bw = Math.max(2, x((d + 1) * DAY) - bx - 1);
    const late = list.filter((r) => r.late).length;
    out.push(
      `<rect x="${bx}" y="${base - bh}" width="${bw}" height="${bh}" fill="${RISK_COLOR[worst]}"${late > 0 ? ' class="late-bar"' : ''}><title>${fmtDay(d * DAY)}: ${list.length} replacement(s)${late > 0 ? `, ${late} late` : ''}: ${h(names(list.map((r) => r.node)))}</title></rect>`,
    );
  }
  for (const [d, list] of deadlines)
    out.push(
      marker(
        'deadline',
        x(d * DAY + DAY / 2),
        top + 4,
        `${fmtDay(d * DAY)}: ${list.length} certificate deadline(s): ${names(list)}`,
      ),
    );
  for (const [d, list] of ages)
    out.push(
      marker(
        'age',
        x(d * DAY + DAY / 2),
        base + 4,
        `${fmtDay(d * DAY)}: ${list.length} node(s) reach the age limit: ${names(list)}`,
      ),
    );
  return out;
}

function marker(kind: 'deadline' | 'age', cx: number, cy: number, title: string): string {
  const shape =
    kind === 'deadline'
      ? `<path d="M${cx - 4} ${cy - 4}h8l-4 7z" fill="${DEADLINE}">`
      : `<path d="M${cx} ${cy - 4}l4 4l-4 4l-4-4z" fill="${AGE}">`;
  return `${shape}<title>${h(title)}</title></path>`;
}

function renderAxis(t0: number, t1: number, x: (t: number) => number, bottom: number): string {
  const days = (t1 - t0) / DAY;
  const step = days <= 21 ? 1 : days <= 70 ? 7 : days <= 200 ? 14 : 28;
  const out: string[] = [];
  // Ticks on Mondays (UTC) when stepping by weeks, so the grid matches a calendar.
  let t = t0;
  if (step > 1) while (new Date(t).getUTCDay() !== 1) t += DAY;
  for (; t <= t1; t += step * DAY) {
    const label = new Date(t).toLocaleDateString('en-US', {
      month: 'short',
      day: 'numeric',
      timeZone: 'UTC',
    });
    out.push(
      `<line x1="${x(t)}" x2="${x(t)}" y1="16" y2="${bottom}" class="grid"/><text x="${x(t) + 2}" y="12" class="tick">${label}</text>`,
    );
  }
  return out.join('');
}

function names(list: string[]): string {
  const shown = list.slice(0, MAX_TITLE_NAMES).join(', ');
  return list.length > MAX_TITLE_NAMES
    ? `${shown} … +${list.length - MAX_TITLE_NAMES} more`
    : shown;
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
