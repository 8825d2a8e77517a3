// Table tests of the planner's rules: the policy file, kops' concurrency arithmetic, windows on
// daylight-saving days, due dates, urgency order and the statement of lateness.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readPolicy } from '../../src/fleet/read-policy.js';
import { groupConcurrency } from '../../src/fleet/group-concurrency.js';
import { WindowCalendar } from '../../src/fleet/window-calendar.js';
import { instantOfLocal } from '../../src/fleet/zoned-time.js';
import { planReplacements } from '../../src/fleet/plan-replacements.js';
import { DEFAULT_POLICY, type PlanPolicy } from '../../src/fleet/plan-policy.js';
import type { FleetNode } from '../../src/fleet/fleet.js';
import { parseDuration } from '../../src/model/duration.js';

const DAY = 86_400_000;
const H = 3_600_000;
const iso = (t: number): string => new Date(t).toISOString();

test('the issue example policy reads as written', () => {
  const { policy, problems } = readPolicy(`maxNodeAge: 365d
margin: 14d
horizon: 90d
perNode: 20m
maxInFlight: 6
windows:
  - days: [Mon, Tue, Wed, Thu, Fri]
    start: "09:00"
    end: "17:00"
    timeZone: America/New_York
groups:
  kops/nodes-us-east-1a: { maxSurge: 2, maxUnavailable: 1 }
  kops/control-plane-us-east-1a: { maxUnavailable: 1, perNode: 45m }
`);
  assert.deepEqual(problems, []);
  assert.equal(policy.maxNodeAgeMs, 365 * DAY);
  assert.equal(policy.perNodeMs, 20 * 60_000);
  assert.deepEqual(policy.windows, [
    { days: [1, 2, 3, 4, 5], startMinute: 540, endMinute: 1020, timeZone: 'America/New_York' },
  ]);
  assert.deepEqual(policy.groups['kops/control-plane-us-east-1a'], {
    maxUnavailable: { count: 1 },
    perNodeMs: 45 * 60_000,
  });
  assert.deepEqual(readPolicy('').policy, DEFAULT_POLICY);
});

test('policy problems name key and line; all of them', () => {
  const rows: [string, RegExp][] = [
    ['margin: -1d', /^1 margin: expected a duration/],
    ['horizon: 0d', /^1 horizon: must be more than zero/],
    ['maxInFlight: 2.5', /^1 maxInFlight: expected a whole number ≥ 1/],
    ['windows: {}', /^1 windows: expected a list/],
    [
      'windows:\n  - days: [Mon]\n    start: "10:00"\n    end: "10:00"\n    timeZone: UTC',
      /^2 windows\[0\]\.end: equals start/,
    ],
    ['windows:\n  - days: [Mon]\n    start: "10:00"', /^2 windows\[0\]\.end: is required/],
    [
      'groups:\n  kops/a: { maxUnavailable: 150% }',
      /^2 groups\.kops\/a\.maxUnavailable: expected a whole number ≥ 0 or a percentage/,
    ],
    ['groups:\n  gke: {}', /^2 groups\.gke: a group is named <kind>\/<name>/],
    ['margin: 1d\nmargin: 2d', /Map keys must be unique/],
    ['a: [', /^1 : .*(Flow sequence|end with a \])/],
  ];
  for (const [text, want] of rows) {
    const { problems } = readPolicy(text);
    assert.ok(problems.length > 0, text);
    const first = problems[0];
    assert.match(`${first?.line ?? '?'} ${first?.key ?? ''}: ${first?.message ?? ''}`, want, text);
  }
  assert.equal(readPolicy('maxNodeAge: x\nmargin: y\nperNode: z\n').problems.length, 3);
  assert.deepEqual(
    [parseDuration('1h30m'), parseDuration('2w'), parseDuration('20'), parseDuration('m')],
    [90 * 60_000, 14 * DAY, null, null],
  );
});

test('group concurrency as kops computes it (resolveSettings + rollingUpdateInstanceGroup)', () => {
  const c = (p: Parameters<typeof groupConcurrency>[0], size = 10, due = 10): number =>
    groupConcurrency(p, size, due);
  assert.equal(c(undefined), 1, 'a group the policy does not list');
  assert.equal(c({}), 1, 'kops defaults: maxSurge 0, maxUnavailable 1');
  assert.equal(c({ maxSurge: { count: 2 }, maxUnavailable: { count: 1 } }), 3);
  assert.equal(
    c({ maxSurge: { count: 2 } }),
    2,
    'maxUnavailable defaults to 0 once maxSurge is set',
  );
  assert.equal(
    c({ maxSurge: { count: 0 }, maxUnavailable: { count: 0 } }),
    1,
    'kops: disabled; a deadline does not wait',
  );
  assert.equal(c({ maxSurge: { percent: 25 } }, 10), 3, 'surge percentages round up (2.5 → 3)');
  assert.equal(
    c({ maxUnavailable: { percent: 25 } }, 10),
    2,
    'unavailable percentages round down (2.5 → 2)',
  );
  assert.equal(c({ maxUnavailable: { percent: 5 } }, 10), 1, '… but at least 1');
  assert.equal(
    c({ maxSurge: { count: 5 }, maxUnavailable: { count: 1 } }, 10, 2),
    3,
    'surge capped at the nodes to replace',
  );
});

test('window occurrences across the New York DST changes', () => {
  const ny = 'America/New_York';
  // 02:30 does not exist on 2026-03-08 (02:00 EST → 03:00 EDT): it moves forward by the gap.
  assert.equal(iso(instantOfLocal(ny, 2026, 3, 8, 150)), '2026-03-08T07:30:00.000Z');
  // 01:30 happens twice on 2026-11-01: the earlier (EDT) instant.
  assert.equal(iso(instantOfLocal(ny, 2026, 11, 1, 90)), '2026-11-01T05:30:00.000Z');
  const night = (days: number[], s: number, e: number): WindowCalendar =>
    new WindowCalendar(
      [{ days, startMinute: s, endMinute: e, timeZone: ny }],
      Date.parse('2026-03-01T00:00:00Z'),
    );
  // 00:00–06:00 local on Sunday 2026-03-08 lasts five real hours; on 2026-11-01, seven.
  const spring = night([0], 0, 360).occurrenceAt(Date.parse('2026-03-08T06:00:00Z'));
  assert.deepEqual(
    [spring?.start, spring?.end].map((t) => iso(t ?? 0)),
    ['2026-03-08T05:00:00.000Z', '2026-03-08T10:00:00.000Z'],
  );
  const fall = night([0], 0, 360).occurrenceAt(Date.parse('2026-11-01T06:00:00Z'));
  assert.equal(((fall?.end ?? 0) - (fall?.start ?? 0)) / H, 7);
  // A window wholly inside the gap (02:00–03:00) does not occur that day.
  assert.equal(night([0], 120, 180).occurrenceAt(Date.parse('2026-03-08T07:00:00Z')), null);
  // 09:00–17:00 is 14:00–22:00 UTC in winter and 13:00–21:00 in summer.
  const office = night([1, 2, 3, 4, 5], 540, 1020);
  assert.equal(
    iso(office.nextStartAfter(Date.parse('2026-03-06T23:00:00Z'))),
    '2026-03-09T13:00:00.000Z',
  );
  assert.equal(
    iso(office.nextStartAfter(Date.parse('2026-03-05T23:00:00Z'))),
    '2026-03-06T14:00:00.000Z',
  );
  // Overnight windows end the next day.
  const late = night([5], 22 * 60, 4 * 60).occurrenceAt(Date.parse('2026-03-07T05:00:00Z'));
  assert.deepEqual(
    [late?.start, late?.end].map((t) => iso(t ?? 0)),
    ['2026-03-07T03:00:00.000Z', '2026-03-07T09:00:00.000Z'],
  );
});

const at = new Date('2026-11-25T12:00:00Z'); // a Wednesday
const fleet = (specs: [string, string, number][]): FleetNode[] =>
  specs.map(([name, group, ageDays]) => ({
    name,
    group,
    createdAt: new Date(at.getTime() - ageDays * DAY),
  }));
const policyOf = (over: Partial<PlanPolicy>): PlanPolicy => ({ ...DEFAULT_POLICY, ...over });

test('due dates: min(deadline − margin, creation + maxNodeAge); kops without a report: creation + 455 d', () => {
  const nodes = fleet([
    ['report', 'none', 10],
    ['old', 'none', 495],
    ['kops', 'kops/ig', 440],
    ['bare', 'none', 100],
  ]);
  const plan = planReplacements(
    nodes,
    [{ node: 'report', deadline: new Date(at.getTime() + 30 * DAY), source: 'report' }],
    policyOf({ maxNodeAgeMs: 500 * DAY }),
    at,
  );
  const due = Object.fromEntries(
    plan.schedule.map((r) => [r.node, [iso(r.dueBy.getTime()), r.dueFrom, r.deadlineOrigin]]),
  );
  assert.deepEqual(due, {
    report: ['2026-12-11T12:00:00.000Z', 'certificate', 'report'],
    old: ['2026-11-30T12:00:00.000Z', 'age', null],
    kops: ['2026-11-26T12:00:00.000Z', 'certificate', 'kops-assumed'],
  });
  assert.equal(plan.summary.notDue, 1);
  assert.match(
    plan.schedule.find((r) => r.node === 'kops')?.reason ?? '',
    /assumed to end 2026-12-10 \(creation \+ 455d\) − margin 14d/,
  );
});

test('urgency first: the most urgent node of each group starts first, and late nodes are explained', () => {
  // One group, one at a time, 8 h per node, windows 09:00–17:00 UTC on weekdays: one node a day.
  const nodes = fleet([
    ['a', 'kops/ig', 10],
    ['b', 'kops/ig', 10],
    ['c', 'kops/ig', 10],
    ['d', 'kops/ig', 10],
  ]);
  const deadline = (days: number): Date => new Date(at.getTime() + days * DAY);
  const plan = planReplacements(
    nodes,
    [
      { node: 'a', deadline: deadline(9), source: 'report' },
      { node: 'b', deadline: deadline(2.2), source: 'report' },
      { node: 'c', deadline: deadline(0.8), source: 'report' },
      { node: 'd', deadline: deadline(-1), source: 'report' },
    ],
    policyOf({
      marginMs: 0,
      perNodeMs: 8 * H,
      windows: [{ days: [1, 2, 3, 4, 5], startMinute: 540, endMinute: 1020, timeZone: 'UTC' }],
    }),
    at,
  );
  assert.deepEqual(
    plan.schedule.map((r) => [r.node, iso(r.start.getTime()).slice(0, 13)]),
    [
      ['d', '2026-11-26T09'],
      ['c', '2026-11-27T09'],
      ['b', '2026-11-30T09'],
      ['a', '2026-12-01T09'],
    ],
  );
  const cause = Object.fromEntries(plan.unsavable.map((u) => [u.node, u.cause]));
  assert.deepEqual(cause, { d: 'expired', c: 'no-window-time', b: 'group-capacity' });
  assert.equal(plan.summary.exitCode, 2);
  // With room for two at a time, b is saved; c still has no window before its deadline.
  const wider = planReplacements(
    nodes,
    [
      { node: 'b', deadline: deadline(2.2), source: 'report' },
      { node: 'c', deadline: deadline(0.8), source: 'report' },
    ],
    policyOf({
      marginMs: 0,
      perNodeMs: 8 * H,
      windows: [{ days: [1, 2, 3, 4, 5], startMinute: 540, endMinute: 1020, timeZone: 'UTC' }],
      groups: { 'kops/ig': { maxSurge: { count: 1 }, maxUnavailable: { count: 1 } } },
    }),
    at,
  );
  assert.deepEqual(
    wider.unsavable.map((u) => [u.node, u.cause]),
    [['c', 'no-window-time']],
  );
});

test('the cluster limit binds across groups', () => {
  const nodes = fleet([
    ['a1', 'eks/a', 364],
    ['b1', 'eks/b', 364],
    ['c1', 'eks/c', 364],
  ]);
  const plan = planReplacements(nodes, [], policyOf({ maxInFlight: 2, perNodeMs: H }), at);
  const starts = plan.schedule.map((r) => r.start.getTime() - at.getTime());
  assert.deepEqual(starts.sort(), [0, 0, H]);
  assert.equal(plan.summary.exitCode, 0);
});
