import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DAY_MS, type Thresholds } from './index.js';
import { formatShare, lifetimeLeft, thresholdLevel, warningFrom } from './thresholds.js';

const days: Thresholds = { warnMs: 30 * DAY_MS, criticalMs: 7 * DAY_MS };
const both: Thresholds = { ...days, warnRatio: 1 / 3, criticalRatio: 0.1 };
const HOUR = 3_600_000;

// [name, residual, lifetime (null: unknown), thresholds, level]
const cases: [string, number, number | null, Thresholds, string][] = [
  ['days only: 100 of 365 days left is ok', 100 * DAY_MS, 365 * DAY_MS, days, 'ok'],
  ['days only: 29 days is warning', 29 * DAY_MS, 365 * DAY_MS, days, 'warning'],
  [
    'days only: a 24 h certificate is critical all its life',
    20 * HOUR,
    24 * HOUR,
    days,
    'critical',
  ],
  ['ratio: 100 of 365 days (27 %) is warning', 100 * DAY_MS, 365 * DAY_MS, both, 'warning'],
  ['ratio: exactly a third left is not below a third', 100 * DAY_MS, 300 * DAY_MS, both, 'ok'],
  ['ratio: 30 of 365 days (8 %) is critical by share', 30 * DAY_MS, 365 * DAY_MS, both, 'critical'],
  [
    'either: 40 of 3650 days is ok by days but critical by share (1 %)',
    40 * DAY_MS,
    3650 * DAY_MS,
    both,
    'critical',
  ],
  [
    'either: 5 of 10 days (50 %) is ok by share but critical by days',
    5 * DAY_MS,
    10 * DAY_MS,
    both,
    'critical',
  ],
  ['unknown lifetime: only days judge', 100 * DAY_MS, null, both, 'ok'],
  ['empty window: only days judge', 100 * DAY_MS, 0, both, 'ok'],
  [
    'critical ratio alone: warning still comes from days',
    20 * DAY_MS,
    100 * DAY_MS,
    { ...days, criticalRatio: 0.1 },
    'warning',
  ],
];
for (const [name, residual, lifetime, t, want] of cases)
  test(name, () => assert.equal(thresholdLevel(residual, lifetime, t), want));

test('lifetimeLeft: share ahead, clamped; null for an empty or inverted window', () => {
  const nb = new Date('2026-01-01T00:00:00Z');
  const na = new Date('2026-01-11T00:00:00Z');
  assert.equal(lifetimeLeft(nb, na, new Date('2026-01-09T00:00:00Z')), 0.2);
  assert.equal(lifetimeLeft(nb, na, new Date('2026-02-01T00:00:00Z')), 0);
  assert.equal(lifetimeLeft(nb, na, new Date('2025-12-01T00:00:00Z')), 1);
  assert.equal(lifetimeLeft(na, nb, nb), null);
  assert.equal(formatShare(0.2), '20.0%');
});

test('warningFrom: the earlier of notAfter − warn days and the warn share of the lifetime', () => {
  const nb = new Date('2026-01-01T00:00:00Z');
  const na = new Date(nb.getTime() + 300 * DAY_MS);
  // days only: 30 days before the end
  assert.equal(warningFrom(nb, na, days).getTime(), na.getTime() - 30 * DAY_MS);
  // a third of 300 days = 100 days before the end, earlier than 30
  assert.equal(warningFrom(nb, na, both).getTime(), na.getTime() - 100 * DAY_MS);
  // a 30-day certificate: a third is 10 days, the 30-day threshold is earlier
  const short = new Date(nb.getTime() + 30 * DAY_MS);
  assert.equal(warningFrom(nb, short, both).getTime(), short.getTime() - 30 * DAY_MS);
});
