// The plan's timeline as inline SVG: one swimlane per group, time running left to right, now
// marked. The axis fits the schedule (time-axis.ts: hours for a day's work, days for weeks,
// months beyond). A group with few due nodes gets one labelled row per node (replacement bar at
// least MIN_BAR_W wide so a 20-minute replacement on a 90-day axis still shows, the due date,
// certificate deadline ▲, age limit ◆, and for a late node the overdue stretch and how late, in
// words: "12d overdue"); a bigger group is drawn as one row of bars per hour, day or week
// (height = replacements, colour = worst risk) with deadline and age-limit markers — 5,000
// nodes make 50 readable lanes, never 5,000 labels. Long names are shortened in the middle;
// tooltips (<title>) carry the full names. The legend draws its marks with the same code.
// Everything from the cluster is escaped.

import type { Plan, Replacement, Risk } from '../plan-types.js';
import { escapeHtml as h } from '../../model/escape.js';
import { formatResidual } from '../../model/human-time.js';
import { clip as shortenMiddle } from '../../model/text-table.js';
import { chooseAxis, type TimeAxis } from './time-axis.js';

export const RISK_COLOR: Record<Risk, string> = {
  ok: '#2e7d32',
  tight: '#f9a825',
  late: '#ef6c00',
  expires: '#c62828',
};
const RISK_RANK: Record<Risk, number> = { ok: 0, tight: 1, late: 2, expires: 3 };
const DEADLINE = '#6a1b9a';
const AGE = '#546e7a';
const LABEL_W = 250;
const CHART_W = 1000;
const NODE_ROWS_MAX = 8;
const NODE_ROW_H = 16;
const AGG_H = 40;
const MAX_TITLE_NAMES = 12;

const MIN_BAR_W = 6;
const NAME_CHARS = 34;

const fmtDay = (t: number): string => new Date(t).toISOString().slice(0, 10);
const fmtTime = (d: Date): string => d.toISOString().slice(0, 16).replace('T', ' ');

export function renderTimeline(plan: Plan): string {
  const now = plan.at.getTime();
  let first = Infinity;
  let last = -Infinity;
  for (const r of plan.schedule) {
    first = Math.min(first, r.start.getTime());
    last = Math.max(last, r.end.getTime());
  }
  const axis = chooseAxis(
    now,
    Number.isFinite(first) ? first : now,
    Number.isFinite(last) ? last : now,
  );
  const x = (t: number): number =>
    LABEL_W + ((Math.min(Math.max(t, axis.t0), axis.t1) - axis.t0) / (axis.t1 - axis.t0)) * CHART_W;
  const view: View = { x, axis, now };

  const byGroup = new Map<string, Replacement[]>();
  for (const r of plan.schedule) {
    const list = byGroup.get(r.group) ?? [];
    list.push(r);
    byGroup.set(r.group, list);
  }
  // Most urgent lanes first: expiring, then late, then the earliest due date.
  const lanes = [...byGroup.entries()].sort(([, a], [, b]) => laneRank(a) - laneRank(b));
  // loops, not Math.max(...spread): a lane of 200,000 replacements overflows the call stack
  let maxPerBucket = 1;
  for (const [, rs] of lanes)
    for (const n of countByBucket(rs, axis.bucketMs).values())
      maxPerBucket = Math.max(maxPerBucket, n);

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
        ? `<text x="6" y="${y + 14}" class="lane-name">${h(shortenMiddle(group, 60))}<title>${h(group)}</title><tspan class="lane-sub" dx="10">${sub}</tspan></text>`
        : `<text x="6" y="${y + 18}" class="lane-name">${h(shortenMiddle(group, 32))}<title>${h(group)}</title></text><text x="6" y="${y + 32}" class="lane-sub">${sub}</text>`,
    );
    if (perNode) parts.push(...nodeRows(rs, y + 20, view));
    else parts.push(...aggregateRow(rs, y + 5, view, maxPerBucket));
    parts.push('</g>');
    y += height + 4;
  }
  const grid = renderAxis(axis, x, y);
  const today = `<line x1="${x(now)}" x2="${x(now)}" y1="18" y2="${y}" class="today"/><text x="${x(now) + 3}" y="28" class="today-label">today ${fmtDay(now)}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${LABEL_W + CHART_W + 10} ${y + 4}" class="timeline" data-unit="${axis.unit}" role="img" aria-label="replacement timeline, one lane per group">${grid}${parts.join('')}${today}</svg>`;
}

interface View {
  x: (t: number) => number;
  axis: TimeAxis;
  now: number;
}

function laneRank(rs: Replacement[]): number {
  const worst = rs.reduce((m, r) => Math.max(m, RISK_RANK[r.risk]), -Infinity);
  return -worst * 1e15 + rs.reduce((m, r) => Math.min(m, r.dueBy.getTime()), Infinity) / 1e3;
}

function countByBucket(rs: Replacement[], bucketMs: number): Map<number, number> {
  const m = new Map<number, number>();
  for (const r of rs) {
    const b = Math.floor(r.start.getTime() / bucketMs);
    m.set(b, (m.get(b) ?? 0) + 1);
  }
  return m;
}

/** How late a late node is: already overdue by (now − due), or going to end after its due date. */
export function lateness(r: Replacement, now: number): string {
  const due = r.dueBy.getTime();
  return due <= now
    ? `${formatResidual(now - due)} overdue`
    : `${formatResidual(r.end.getTime() - due)} late`;
}

function nodeRows(rs: Replacement[], top: number, v: View): string[] {
  const out: string[] = [];
  const { x, axis } = v;
  const right = LABEL_W + CHART_W;
  const sorted = [...rs].sort((a, b) => a.start.getTime() - b.start.getTime());
  sorted.forEach((r, i) => {
    const cy = top + i * NODE_ROW_H + 8;
    const sx = x(r.start.getTime());
    const w = Math.max(MIN_BAR_W, x(r.end.getTime()) - sx);
    const due = r.dueBy.getTime();
    out.push(
      `<text x="${LABEL_W - 6}" y="${cy + 4}" class="node-name">${h(shortenMiddle(r.node, NAME_CHARS))}<title>${h(r.node)}</title></text>`,
    );
    // The overdue stretch runs from the due date, or from the axis' start when the due date is
    // older than the axis: how old it is is written beside the bar, not implied by the edge.
    if (r.late && due < r.start.getTime())
      out.push(`<line x1="${x(due)}" x2="${sx}" y1="${cy}" y2="${cy}" class="overdue"/>`);
    if (due >= axis.t0 && due <= axis.t1)
      out.push(`<line x1="${x(due)}" x2="${x(due)}" y1="${cy - 5}" y2="${cy + 5}" class="due"/>`);
    out.push(
      `<rect x="${sx}" y="${cy - 5}" width="${w}" height="10" rx="2" fill="${RISK_COLOR[r.risk]}" class="bar"><title>${h(r.node)}: ${fmtTime(r.start)}–${fmtTime(r.end)} UTC, due by ${fmtTime(r.dueBy)}${r.deadline ? `, certificate deadline ${fmtTime(r.deadline)}` : ''}${r.ageLimit ? `, age limit ${fmtTime(r.ageLimit)}` : ''} — ${h(r.reason)}</title></rect>`,
    );
    if (r.late) {
      const label = lateness(r, v.now);
      // Beside the bar on the right, or before it when the bar sits near the right edge.
      const after = sx + w + 4 + label.length * 6 < right;
      out.push(
        `<text x="${after ? sx + w + 4 : sx - 4}" y="${cy + 4}" class="overdue-label"${after ? '' : ' text-anchor="end"'}>${h(label)}</text>`,
      );
    } else if (due > axis.t1)
      out.push(
        `<text x="${right - 2}" y="${cy + 4}" class="due-later" text-anchor="end">due in ${formatResidual(due - v.now)} ›</text>`,
      );
    for (const [kind, at] of [
      ['deadline', r.deadline],
      ['age', r.ageLimit],
    ] as const)
      if (at && at.getTime() >= axis.t0 && at.getTime() <= axis.t1)
        out.push(
          marker(
            kind,
            x(at.getTime()),
            cy,
            `${r.node}: ${kind === 'deadline' ? 'certificate deadline' : 'age limit'} ${fmtTime(at)}`,
          ),
        );
  });
  return out;
}

interface Buckets {
  /** replacements by the bucket they start in */
  starts: Map<number, Replacement[]>;
  /** node names by the bucket of their certificate deadline / age limit, within the axis */
  deadlines: Map<number, string[]>;
  ages: Map<number, string[]>;
}

/** A lane's replacements, deadlines and age limits by bucket (an hour, a day or a week). */
function bucketsOf(rs: Replacement[], axis: TimeAxis): Buckets {
  const B = axis.bucketMs;
  const out: Buckets = { starts: new Map(), deadlines: new Map(), ages: new Map() };
  const push = (m: Map<number, string[]>, t: number, name: string): void => {
    if (t < axis.t0 || t > axis.t1) return;
    const b = Math.floor(t / B);
    const l = m.get(b) ?? [];
    l.push(name);
    m.set(b, l);
  };
  for (const r of rs) {
    const b = Math.floor(r.start.getTime() / B);
    const l = out.starts.get(b) ?? [];
    l.push(r);
    out.starts.set(b, l);
    if (r.deadline) push(out.deadlines, r.deadline.getTime(), r.node);
    if (r.ageLimit) push(out.ages, r.ageLimit.getTime(), r.node);
  }
  return out;
}

function aggregateRow(rs: Replacement[], top: number, v: View, maxPerBucket: number): string[] {
  const out: string[] = [];
  const { x, axis } = v;
  const B = axis.bucketMs;
  const { starts: buckets, deadlines, ages } = bucketsOf(rs, axis);
  const base = top + AGG_H - 6;
  const span = (b: number): string =>
    axis.unit === 'hour'
      ? `${fmtTime(new Date(b * B))}–${fmtTime(new Date((b + 1) * B)).slice(11)}`
      : axis.unit === 'day'
        ? fmtDay(b * B)
        : `week of ${fmtDay(b * B)}`;
  for (const [b, list] of buckets) {
    const worst = list.reduce<Risk>(
      (w, r) => (RISK_RANK[r.risk] > RISK_RANK[w] ? r.risk : w),
      'ok',
    );
    const bh = 4 + (list.length / maxPerBucket) * (AGG_H - 18);
    const bx = x(b * B);
    const bw = Math.max(MIN_BAR_W, x((b + 1) * B) - bx - 1);
    const late = list.filter((r) => r.late).length;
    out.push(
      `<rect x="${bx}" y="${base - bh}" width="${bw}" height="${bh}" fill="${RISK_COLOR[worst]}" class="bar${late > 0 ? ' late-bar' : ''}"><title>${span(b)}: ${list.length} replacement(s)${late > 0 ? `, ${late} late` : ''}: ${h(names(list.map((r) => r.node)))}</title></rect>`,
    );
  }
  for (const [b, list] of deadlines)
    out.push(
      marker(
        'deadline',
        x(b * B + B / 2),
        top + 4,
        `${span(b)}: ${list.length} certificate deadline(s): ${names(list)}`,
      ),
    );
  for (const [b, list] of ages)
    out.push(
      marker(
        'age',
        x(b * B + B / 2),
        base + 4,
        `${span(b)}: ${list.length} node(s) reach the age limit: ${names(list)}`,
      ),
    );
  return out;
}

/** The marker shapes, centred on (cx, cy): the legend draws these same paths. */
function markerPath(kind: 'deadline' | 'age', cx: number, cy: number): string {
  // ▲ apex up (the certificate deadline), ◆ (the age limit)
  return kind === 'deadline' ? `M${cx} ${cy - 4}l4 7h-8z` : `M${cx} ${cy - 4}l4 4l-4 4l-4-4z`;
}

function marker(kind: 'deadline' | 'age', cx: number, cy: number, title: string): string {
  return `<path d="${markerPath(kind, cx, cy)}" fill="${kind === 'deadline' ? DEADLINE : AGE}" class="marker-${kind}"><title>${h(title)}</title></path>`;
}

function renderAxis(axis: TimeAxis, x: (t: number) => number, bottom: number): string {
  return `<g class="axis" data-unit="${axis.unit}">${axis.ticks
    .map(
      (k) =>
        `<line x1="${x(k.t)}" x2="${x(k.t)}" y1="16" y2="${bottom}" class="grid"/><text x="${x(k.t) + 2}" y="12" class="tick">${k.label}</text>`,
    )
    .join('')}</g>`;
}

const glyph = (inner: string): string =>
  `<svg class="glyph" viewBox="-6 -6 12 12" width="12" height="12" aria-hidden="true">${inner}</svg>`;

/** What the timeline's colours and marks mean, each mark drawn by the code that draws it above. */
export function renderLegend(): string {
  const risks = (['ok', 'tight', 'late', 'expires'] as const)
    .map(
      (k) =>
        `<span><i class="sw" style="background:${RISK_COLOR[k]}"></i>${{ ok: 'on time', tight: 'ends < 7 days before due', late: 'late, certificates still valid', expires: 'certificates expire first' }[k]}</span>`,
    )
    .join('');
  return `<div class="legend">${risks}<span class="legend-deadline">${glyph(marker('deadline', 0, 0, 'certificate deadline'))} certificate deadline</span><span class="legend-age">${glyph(marker('age', 0, 0, 'age limit'))} age limit</span><span>${glyph('<line x1="0" x2="0" y1="-6" y2="6" class="today"/>')} today</span><span>${glyph('<line x1="0" x2="0" y1="-5" y2="5" class="due"/>')} due date</span><span>${glyph('<line x1="-6" x2="6" y1="0" y2="0" class="overdue"/>')} overdue stretch</span></div>`;
}

function names(list: string[]): string {
  const shown = list.slice(0, MAX_TITLE_NAMES).join(', ');
  return list.length > MAX_TITLE_NAMES
    ? `${shown} … +${list.length - MAX_TITLE_NAMES} more`
    : shown;
}
