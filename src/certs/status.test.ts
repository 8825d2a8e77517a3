import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DAY_MS } from '../model/index.js';
import { certStatus } from './status.js';

const now = new Date('2026-11-25T00:00:00Z');
const t = { warnMs: 30 * DAY_MS, criticalMs: 7 * DAY_MS };
const at = (days: number): Date => new Date(now.getTime() + days * DAY_MS);

const cases: [string, Date, Date, string][] = [
  ['plenty of time', at(-10), at(100), 'ok'],
  ['exactly 30 days is ok', at(-10), at(30), 'ok'],
  ['29.9 days is warning', at(-10), at(29.9), 'warning'],
  ['6 days is critical', at(-10), at(6), 'critical'],
  ['the very second of expiry is expired', at(-10), at(0), 'expired'],
  ['long expired', at(-400), at(-35), 'expired'],
  ['not yet valid wins', at(1), at(300), 'not-yet-valid'],
];
for (const [name, nb, na, want] of cases)
  test(name, () => assert.equal(certStatus(nb, na, now, t), want));

// With --warn-ratio 0.33 --critical-ratio 0.1: whichever threshold is reached first decides.
const r = { ...t, warnRatio: 0.33, criticalRatio: 0.1 };
const ratioCases: [string, Date, Date, string][] = [
  [
    'a year-long certificate with 100 days (27 %) left is warning by share',
    at(-265),
    at(100),
    'warning',
  ],
  ['a year-long certificate with 200 days left is ok', at(-165), at(200), 'ok'],
  ['a 10-year CA with 300 days (8 %) left is critical by share', at(-3350), at(300), 'critical'],
  [
    'a 90-day certificate with 20 days (22 %) left is warning by days and share',
    at(-70),
    at(20),
    'warning',
  ],
  [
    'a 24-hour certificate with 10 hours left is critical by days',
    at(-14 / 24),
    at(10 / 24),
    'critical',
  ],
  ['expired stays expired', at(-400), at(-1), 'expired'],
  ['not yet valid stays not yet valid', at(1), at(300), 'not-yet-valid'],
];
for (const [name, nb, na, want] of ratioCases)
  test(name, () => assert.equal(certStatus(nb, na, now, r), want));
