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
