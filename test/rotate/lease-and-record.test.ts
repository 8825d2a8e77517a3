// The pure lock decision and the progress record: table tests, and the record parser never
// throws on any input (fast-check).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decideLease,
  formatRecord,
  leaseSpecFor,
  parseRecord,
  type LeaseView,
} from '../../src/rotate/index.js';

const NOW = new Date('2026-11-25T10:00:00Z');
const lease = (holder: string, renewedAgoS: number | null, durationSeconds = 60): LeaseView => ({
  holder,
  durationSeconds,
  renewTime: renewedAgoS === null ? null : new Date(NOW.getTime() - renewedAgoS * 1000),
  acquireTime: null,
  transitions: 2,
  resourceVersion: '7',
});

// `seenAgoS`: how long (monotonic) this candidate has seen the record as it is (client-go's
// observedTime); null: first sight now. The record's renewTime never decides (another machine's clock).
for (const [name, current, seenAgoS, want] of [
  ['no lease: create it', null, null, 'create'],
  ['ours: renew', lease('me', 50), null, 'renew'],
  ['ours even if expired: renew', lease('me', 500), null, 'renew'],
  ['released (no holder): take over', lease('', 10), null, 'take-over'],
  ['held, seen just now: wait', lease('other', 59), null, 'wait'],
  ['unchanged for a whole duration since seen: take over', lease('other', 60), 60, 'take-over'],
  [
    'renewTime long past but first seen now (a skewed clock): wait',
    lease('other', 3600),
    null,
    'wait',
  ],
  ['never renewed, first seen now: wait', lease('other', null), null, 'wait'],
  ['never renewed, unchanged for a duration: take over', lease('other', null), 61, 'take-over'],
  ['seen 59 s ago: wait', lease('other', 3600), 59, 'wait'],
] as const)
  test(`lease: ${name}`, () => {
    assert.equal(decideLease(current, 'me', (seenAgoS ?? 0) * 1000).kind, want);
  });

test('lease: wait says until when; take-over counts a transition; renew keeps acquireTime', () => {
  const d = decideLease(lease('other', 20), 'me', 20_000);
  assert.deepEqual(d, { kind: 'wait', holder: 'other', remainingMs: 40_000 });
  const take = decideLease(lease('other', 90), 'me', 90_000);
  const spec = leaseSpecFor(take, lease('other', 90), 'me', 60, NOW);
  assert.equal(spec.leaseTransitions, 3);
  assert.equal(spec.renewTime, '2026-11-25T10:00:00.000000Z');
  const acquired = { ...lease('me', 10), acquireTime: new Date('2026-11-25T09:00:00Z') };
  const renew = leaseSpecFor({ kind: 'renew' }, acquired, 'me', 60, NOW);
  assert.equal(renew.acquireTime, '2026-11-25T09:00:00.000000Z');
  assert.equal(renew.leaseTransitions, 2);
});

test('record: round trip; malformed values are problems, not exceptions', () => {
  const r = { plan: 'p-1', state: 'cordoned' as const, since: NOW.toISOString() };
  assert.deepEqual(parseRecord(formatRecord(r)), r);
  assert.equal(parseRecord(undefined), null);
  for (const bad of [
    '',
    '{',
    '[]',
    '{"plan":"p"}',
    '{"plan":"p","state":"x","since":"2026-01-01T00:00:00Z"}',
  ])
    assert.ok('problem' in (parseRecord(bad) ?? {}), bad);
  fc.assert(
    fc.property(fc.string(), (s) => {
      parseRecord(s);
    }),
  );
});
