// The HTML timeline that helps (issue #24 item 5), in real headless Chromium: a one-day schedule
// gets an axis in hours and a ninety-day one an axis in days; every replacement bar is at least
// the minimum width (a 20-minute replacement on a 90-day axis is a bar, not a 3-px sliver); a
// late node says how overdue it is; the legend's marks are the very shapes drawn in the chart
// (compared point by point in the browser); long EKS names are shortened in the middle with the
// full name in the tooltip. The fleets are written as kubectl prints them and planned by the
// real CLI. Skips without Chromium on a laptop; under CI=true that is a failure.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/scan.js';
import { chromiumMissing, inspectPage } from './chromium.js';
import { daysFrom, eksNode, kopsNode, nodeList, report } from './fleet-fixtures.js';

const AT = new Date('2026-11-25T12:00:00Z');
const HOUR = 3_600_000;
const MIN_BAR_W = 6;
const NAME_CHARS = 34;

function requireChromium(t: TestContext): boolean {
  const missing = chromiumMissing();
  if (missing === null) return true;
  if (process.env.CI === 'true') assert.fail(`CI=true: ${missing}`);
  t.skip(missing);
  return false;
}

const eksName = (i: number): string =>
  `ip-192-168-${String(10 + (i % 7))}-${String(40 + i)}.us-west-2.compute.internal`;

interface Fleet {
  dir: string;
  args: string[];
}

function writeFleet(nodes: unknown[], reports: unknown[], policy: string): Fleet {
  const dir = mkdtempSync(join(tmpdir(), 'certdrift-timeline-'));
  writeFileSync(join(dir, 'nodes.json'), JSON.stringify(nodeList(nodes), null, 2));
  writeFileSync(join(dir, 'reports.json'), JSON.stringify(nodeList(reports), null, 2));
  writeFileSync(join(dir, 'policy.yaml'), policy);
  return {
    dir,
    args: [
      'plan',
      '--nodes',
      join(dir, 'nodes.json'),
      '--reports',
      join(dir, 'reports.json'),
      '--policy',
      join(dir, 'policy.yaml'),
      '--at',
      AT.toISOString(),
    ],
  };
}

/**
 * About 17 hours of work, any time of day, one node at a time: an EKS node group of eight (due
 * four days ago: "4d overdue"), two kops groups of eight (due in 26 days, beyond the axis), one
 * node whose certificates expire in three hours, and a 20-node group drawn as hourly bars.
 */
function oneDayFleet(): Fleet {
  const nodes: unknown[] = [];
  const reports: unknown[] = [];
  const scanned = daysFrom(AT, -0.01);
  const created = daysFrom(AT, -200);
  for (let i = 0; i < 8; i++) {
    nodes.push(eksNode(eksName(i), 'ng-general', created));
    reports.push(report(eksName(i), daysFrom(AT, 10), scanned));
  }
  for (const ig of ['nodes-a', 'nodes-b'])
    for (let i = 0; i < 8; i++) {
      const name = `i-0${ig.slice(-1)}7f3b2c9d1e5${String(100 + i)}`;
      nodes.push(kopsNode(name, ig, created));
      reports.push(report(name, daysFrom(AT, 40), scanned));
    }
  nodes.push(kopsNode('i-0expiring0000001', 'nodes-c', created));
  reports.push(report('i-0expiring0000001', new Date(AT.getTime() + 3 * HOUR), scanned));
  for (let i = 0; i < 20; i++) {
    const name = `i-0bulk${String(i).padStart(12, '0')}`;
    nodes.push(kopsNode(name, 'bulk', created));
    reports.push(report(name, daysFrom(AT, 30), scanned));
  }
  return writeFleet(
    nodes,
    reports,
    [
      'maxNodeAge: 365d',
      'margin: 14d',
      'horizon: 60d',
      'perNode: 20m',
      'maxInFlight: 1',
      'groups:',
      '  eks/ng-general: { maxSurge: 1, maxUnavailable: 0 }',
      '  kops/nodes-a: { maxSurge: 1, maxUnavailable: 0 }',
      '  kops/nodes-b: { maxSurge: 1, maxUnavailable: 0 }',
      '  kops/bulk: { maxSurge: 1, maxUnavailable: 0 }',
      '',
    ].join('\n'),
  );
}

/**
 * Thirteen weeks of work: one hour a week (Saturdays 22:00 UTC), three 20-minute replacements
 * each, for 39 nodes aged past the age limit (the oldest due 15 days ago: "15d overdue") — four
 * per-node lanes of six and a 15-node group drawn as daily bars. EKS certificates expire within
 * the axis, so certificate deadline markers are drawn there.
 */
function ninetyDayFleet(): Fleet {
  const nodes: unknown[] = [];
  const reports: unknown[] = [];
  const scanned = daysFrom(AT, -0.01);
  let k = 0;
  const add = (make: (name: string, created: Date) => unknown, name: string): void => {
    const created = daysFrom(AT, -(380 - k * 2));
    k++;
    nodes.push(make(name, created));
    reports.push(report(name, daysFrom(created, 455 + 60), scanned));
  };
  for (let i = 0; i < 6; i++) {
    const name = eksName(i);
    const created = daysFrom(AT, -(380 - k * 2));
    k++;
    nodes.push(eksNode(name, 'ng-general', created));
    reports.push(report(name, daysFrom(AT, 30 + i * 5), scanned));
  }
  for (const ig of ['nodes-a', 'nodes-b', 'nodes-c'])
    for (let i = 0; i < 6; i++)
      add((n, c) => kopsNode(n, ig, c), `i-0${ig.slice(-1)}7f3b2c9d1e5${String(100 + i)}`);
  for (let i = 0; i < 15; i++)
    add((n, c) => kopsNode(n, 'bulk', c), `i-0bulk${String(i).padStart(12, '0')}`);
  return writeFleet(
    nodes,
    reports,
    [
      'maxNodeAge: 365d',
      'margin: 14d',
      'horizon: 120d',
      'perNode: 20m',
      'maxInFlight: 1',
      'windows:',
      '  - { days: [Sat], start: "22:00", end: "23:00", timeZone: UTC }',
      'groups:',
      '  eks/ng-general: { maxSurge: 1, maxUnavailable: 0 }',
      '',
    ].join('\n'),
  );
}

interface Schedule {
  summary: { firstStart: string; lastEnd: string };
  schedule: { node: string; late: boolean; dueBy: string; group: string }[];
}

function plan(t: TestContext, f: Fleet): { schedule: Schedule; page: string } {
  t.after(() => {
    rmSync(f.dir, { recursive: true, force: true });
  });
  const json = runCli([...f.args, '-o', 'json']);
  assert.ok(json.status === 1 || json.status === 2, json.stderr);
  const html = runCli([...f.args, '-o', 'html']);
  assert.equal(html.status, json.status, html.stderr);
  const page = join(f.dir, 'plan.html');
  writeFileSync(page, html.stdout);
  return { schedule: JSON.parse(json.stdout) as Schedule, page };
}

// Evaluated in the page. Shapes are compared as points sampled along each path, relative to the
// path's own bounding box: equal shapes give equal lists wherever they are drawn.
const PAGE_FACTS = `(() => {
  const svg = document.querySelector('svg.timeline');
  const shape = (p) => {
    const b = p.getBBox(); const n = 24; const len = p.getTotalLength(); const pts = [];
    for (let i = 0; i < n; i++) { const q = p.getPointAtLength((len * i) / n); pts.push([+(q.x - b.x).toFixed(2), +(q.y - b.y).toFixed(2)]); }
    return { w: +b.width.toFixed(2), h: +b.height.toFixed(2), pts };
  };
  const first = (sel) => { const e = document.querySelector(sel); return e ? shape(e) : null; };
  return {
    unit: svg.dataset.unit,
    axisUnit: svg.querySelector('g.axis').dataset.unit,
    ticks: [...svg.querySelectorAll('g.axis text.tick')].map((t) => t.textContent),
    bars: [...svg.querySelectorAll('rect.bar')].map((r) => r.getBBox().width),
    nodeBars: svg.querySelectorAll('g.lane rect.bar[rx]').length,
    overdue: [...svg.querySelectorAll('text.overdue-label')].map((t) => t.textContent),
    dueLater: [...svg.querySelectorAll('text.due-later')].map((t) => t.textContent),
    names: [...svg.querySelectorAll('text.node-name')].map((t) => [t.firstChild.nodeValue, t.querySelector('title').textContent, t.getComputedTextLength(), t.getBBox().x]),
    drawn: { deadline: first('svg.timeline path.marker-deadline'), age: first('svg.timeline path.marker-age') },
    legend: { deadline: first('.legend-deadline path'), age: first('.legend-age path') },
    deadlineSvg: (() => { const p = document.querySelector('svg.timeline path.marker-deadline'); if (!p) return null; const b = p.getBBox(); const n = 48; const len = p.getTotalLength(); let top = null, bottom = []; for (let i = 0; i < n; i++) { const q = p.getPointAtLength((len * i) / n); if (!top || q.y < top.y) top = { x: q.x, y: q.y }; } return { apexX: +(top.x - b.x).toFixed(2), apexY: +(top.y - b.y).toFixed(2), w: b.width, h: b.height }; })(),
  };
})()`;

interface Facts {
  unit: string;
  axisUnit: string;
  ticks: string[];
  bars: number[];
  nodeBars: number;
  overdue: string[];
  dueLater: string[];
  names: [string, string, number, number][];
  drawn: Record<'deadline' | 'age', Shape | null>;
  legend: Record<'deadline' | 'age', Shape | null>;
  deadlineSvg: { apexX: number; apexY: number; w: number; h: number } | null;
}
interface Shape {
  w: number;
  h: number;
  pts: [number, number][];
}

async function facts(page: string): Promise<Facts> {
  const { errors, values } = await inspectPage(`file://${page}`, [PAGE_FACTS]);
  assert.deepEqual(errors, []);
  return values[0] as Facts;
}

function assertCommon(f: Facts, s: Schedule): void {
  assert.equal(f.axisUnit, f.unit);
  // Every bar at least the minimum width, and one per-node bar per replacement in a small lane.
  assert.ok(f.bars.length > 0);
  for (const w of f.bars) assert.ok(w >= MIN_BAR_W - 1e-6, `a bar ${w} px wide`);
  const perGroup = new Map<string, number>();
  for (const r of s.schedule) perGroup.set(r.group, (perGroup.get(r.group) ?? 0) + 1);
  const small = [...perGroup.values()].filter((n) => n <= 8).reduce((a, b) => a + b, 0);
  assert.equal(f.nodeBars, small);
  // Long names shortened in the middle, full name in the tooltip, still telling nodes apart.
  const long = f.names.filter(([, full]) => full.length > NAME_CHARS);
  assert.ok(long.length > 0, 'the fleet has long EKS names');
  for (const [shown, full] of long) {
    assert.ok(Array.from(shown).length <= NAME_CHARS, shown);
    const [head = '', tail = ''] = shown.split('…');
    assert.ok(full.startsWith(head) && full.endsWith(tail) && head.length > 8 && tail.length > 4);
  }
  assert.equal(new Set(long.map(([shown]) => shown)).size, long.length, 'names stay distinct');
  // Labels fit the label column (it is 250 wide; the text ends at 244, right-aligned).
  for (const [, , width, x] of f.names) assert.ok(x >= 0 && width < 244, `${x} ${width}`);
}

function assertLegendMatches(f: Facts, kinds: readonly ('deadline' | 'age')[]): void {
  for (const kind of kinds) {
    const drawn = f.drawn[kind];
    const legend = f.legend[kind];
    assert.ok(drawn && legend, `a ${kind} marker drawn and in the legend`);
    assert.deepEqual(legend, drawn, `the legend's ${kind} mark is the drawn one`);
  }
  // ▲: the apex is the topmost point, centred over a flat base.
  const d = f.deadlineSvg;
  assert.ok(d);
  assert.equal(d.apexY, 0);
  assert.ok(Math.abs(d.apexX - d.w / 2) < 0.01, JSON.stringify(d));
}

test('a one-day schedule: an hourly axis, visible 20-minute bars, "4d overdue", middle-shortened EKS names', async (t) => {
  if (!requireChromium(t)) return;
  const { schedule, page } = plan(t, oneDayFleet());
  const span = Date.parse(schedule.summary.lastEnd) - Date.parse(schedule.summary.firstStart);
  assert.ok(span > 12 * HOUR && span < 24 * HOUR, `${span / HOUR} h of work`);
  const f = await facts(page);
  assert.equal(f.unit, 'hour');
  assert.ok(f.ticks.length >= 6 && f.ticks.length <= 14, f.ticks.join(' '));
  for (const tick of f.ticks) assert.match(tick, /^(\d\d:00|[A-Z][a-z]{2} \d{1,2})$/);
  assert.ok(f.ticks.includes('Nov 26'), 'midnight names the day');
  assertCommon(f, schedule);
  const late = schedule.schedule.filter((r) => r.late && r.group === 'eks/ng-general');
  assert.equal(late.length, 8);
  assert.equal(f.overdue.filter((l) => l === '4d overdue').length, 8, f.overdue.join(', '));
  // kops nodes due in 26 days say so at the right edge instead of stretching the axis.
  assert.equal(f.dueLater.filter((l) => /^due in 2[56]d ›$/.test(l)).length, 16, f.dueLater.join());
  // The expiring node's certificate deadline (in 3 hours) is on the axis, as the legend draws it;
  // no age limit falls within these hours.
  assert.equal(f.drawn.age, null);
  assertLegendMatches(f, ['deadline']);
});

test('a ninety-day schedule: a daily axis, weekly ticks, 20-minute bars still visible, "15d overdue"', async (t) => {
  if (!requireChromium(t)) return;
  const { schedule, page } = plan(t, ninetyDayFleet());
  const span = Date.parse(schedule.summary.lastEnd) - Date.parse(schedule.summary.firstStart);
  assert.ok(span > 80 * 24 * HOUR && span < 100 * 24 * HOUR, `${span / HOUR / 24} days of work`);
  const f = await facts(page);
  assert.equal(f.unit, 'day');
  assert.ok(f.ticks.length >= 6 && f.ticks.length <= 14, f.ticks.join(' '));
  for (const tick of f.ticks) assert.match(tick, /^[A-Z][a-z]{2} \d{1,2}$/);
  // Weekly ticks on Mondays (2026-11-23 is one): Nov 23, Nov 30, …
  assert.equal(f.ticks[0], 'Nov 23');
  assert.equal(f.ticks[1], 'Nov 30');
  assertCommon(f, schedule);
  assert.ok(f.overdue.includes('15d overdue'), f.overdue.join(', '));
  for (const l of f.overdue) assert.match(l, /^\d+[dhm] (overdue|late)$/);
  assertLegendMatches(f, ['deadline', 'age']);
});
