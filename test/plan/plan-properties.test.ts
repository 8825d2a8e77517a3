// Random fleets, random policies, plan times around daylight-saving changes: every plan must
// satisfy the rules of issue #12, as judged by the independent referee (check-plan.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { planReplacements } from '../../src/fleet/plan-replacements.js';
import { DEFAULT_POLICY, type PlanPolicy } from '../../src/fleet/plan-policy.js';
import type { CertificateFacts, FleetNode } from '../../src/fleet/fleet.js';
import { buildPlanDocument } from '../../src/fleet/render/plan-document.js';
import { checkPlan, type RefReplacement, type RefWindow } from './check-plan.js';

const DAY = 86_400_000;
const MIN = 60_000;
const WEEK = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
// New York springs forward 2026-03-08 07:00Z and falls back 2026-11-01 06:00Z; Berlin moves on
// 2026-03-29 and 2026-10-25; Sydney (southern hemisphere) on 2026-04-05 and 2026-10-04.
const PIVOTS = [
  '2026-03-08T07:00:00Z',
  '2026-11-01T06:00:00Z',
  '2026-03-29T01:00:00Z',
  '2026-10-04T16:00:00Z',
].map(Date.parse);
const ZONES = ['America/New_York', 'Europe/Berlin', 'Australia/Sydney', 'UTC'];
const GROUPS = [
  'kops/nodes-a',
  'kops/control-plane-a',
  'capi/md-0-5f7b',
  'karpenter/default',
  'none',
];

const windowArb = fc.record({
  days: fc.subarray([0, 1, 2, 3, 4, 5, 6], { minLength: 1 }),
  // Starts in the small hours catch the DST gap and the repeated hour.
  startMinute: fc
    .oneof(fc.integer({ min: 0, max: 4 * 60 }), fc.integer({ min: 0, max: 21 * 60 }))
    .map((m) => m - (m % 30)),
  length: fc.integer({ min: 120, max: 600 }),
  timeZone: fc.constantFrom(...ZONES),
});

const scenarioArb = fc.record({
  at: fc
    .tuple(fc.constantFrom(...PIVOTS), fc.integer({ min: -12 * DAY, max: 12 * DAY }))
    .map(([p, o]) => p + o - ((p + o) % MIN)),
  windows: fc.array(windowArb, { maxLength: 2 }),
  maxInFlight: fc.integer({ min: 1, max: 6 }),
  groups: fc.array(
    fc.record({
      surge: fc.integer({ min: 0, max: 3 }),
      unavailable: fc.integer({ min: 0, max: 2 }),
      perNode: fc.integer({ min: 10, max: 90 }),
    }),
    { minLength: GROUPS.length, maxLength: GROUPS.length },
  ),
  marginDays: fc.integer({ min: 0, max: 14 }),
  horizonDays: fc.integer({ min: 20, max: 90 }),
  maxAgeDays: fc.integer({ min: 200, max: 400 }),
  nodes: fc.array(
    fc.record({
      group: fc.integer({ min: 0, max: GROUPS.length - 1 }),
      ageDays: fc.integer({ min: 0, max: 420 }),
      deadlineDays: fc.option(fc.integer({ min: -5, max: 120 }), { nil: null }),
    }),
    { minLength: 1, maxLength: 70 },
  ),
});

test('random fleets: concurrency, windows across DST, once each, late exactly when after due, nothing savable late', () => {
  fc.assert(
    fc.property(scenarioArb, (sc) => {
      const policy: PlanPolicy = {
        ...DEFAULT_POLICY,
        maxNodeAgeMs: sc.maxAgeDays * DAY,
        marginMs: sc.marginDays * DAY,
        horizonMs: sc.horizonDays * DAY,
        maxInFlight: sc.maxInFlight,
        windows: sc.windows.map((w) => ({
          days: w.days,
          startMinute: w.startMinute,
          endMinute: Math.min(1440, w.startMinute + w.length),
          timeZone: w.timeZone,
        })),
        groups: Object.fromEntries(
          GROUPS.map((g, i) => {
            const p = sc.groups[i] ?? { surge: 0, unavailable: 1, perNode: 20 };
            return [
              g,
              {
                maxSurge: { count: p.surge },
                maxUnavailable: { count: p.unavailable },
                perNodeMs: p.perNode * MIN,
              },
            ];
          }),
        ),
      };
      const nodes: FleetNode[] = sc.nodes.map((n, i) => ({
        name: `node-${i}`,
        group: GROUPS[n.group] ?? 'none',
        createdAt: new Date(sc.at - n.ageDays * DAY),
      }));
      const facts: CertificateFacts[] = sc.nodes.flatMap((n, i) =>
        n.deadlineDays === null
          ? []
          : [
              {
                node: `node-${i}`,
                deadline: new Date(sc.at + n.deadlineDays * DAY),
                source: 'report' as const,
              },
            ],
      );
      const plan = planReplacements(nodes, facts, policy, new Date(sc.at));

      // The referee's own due dates (kops nodes without a report: creation + 455 days).
      const expectedDue = new Map<string, number>();
      sc.nodes.forEach((n, i) => {
        const created = sc.at - n.ageDays * DAY;
        const deadline =
          n.deadlineDays !== null
            ? sc.at + n.deadlineDays * DAY
            : GROUPS[n.group]?.startsWith('kops/')
              ? created + 455 * DAY
              : null;
        const due = Math.min(
          created + sc.maxAgeDays * DAY,
          deadline === null ? Infinity : deadline - sc.marginDays * DAY,
        );
        if (due <= sc.at + sc.horizonDays * DAY) expectedDue.set(`node-${i}`, due);
      });
      const refWindows: RefWindow[] = policy.windows.map((w) => ({
        days: w.days.map((d) => WEEK[d] ?? ''),
        start: hhmm(w.startMinute),
        end: w.endMinute === 1440 ? '24:00' : hhmm(w.endMinute),
        timeZone: w.timeZone,
      }));
      const doc = buildPlanDocument(plan, [], []) as { schedule: RefReplacement[] };
      const violations = checkPlan(doc.schedule, {
        now: sc.at,
        windows: refWindows,
        maxInFlight: sc.maxInFlight,
        concurrency: (g) => {
          const p = sc.groups[GROUPS.indexOf(g)];
          return p ? Math.max(1, p.surge + p.unavailable) : 1;
        },
        perNodeMs: (g) => (sc.groups[GROUPS.indexOf(g)]?.perNode ?? 20) * MIN,
        expectedDue,
      });
      assert.deepEqual(violations, []);
      assert.equal(plan.unscheduled.length, 0);
      const expires = plan.schedule.some((r) => r.deadline !== null && r.deadline < r.end);
      assert.equal(plan.summary.exitCode, expires ? 2 : plan.schedule.some((r) => r.late) ? 1 : 0);
      // Every late node is stated, with a cause.
      assert.deepEqual(
        plan.unsavable.map((u) => u.node).sort(),
        plan.schedule
          .filter((r) => r.late)
          .map((r) => r.node)
          .sort(),
      );
    }),
    { numRuns: Number(process.env.PLAN_PROPERTY_RUNS ?? 120) },
  );
});

function hhmm(m: number): string {
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}
