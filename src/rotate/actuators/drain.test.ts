// A drain in flight, step by step: the drain timeout ends it also with --force-after, and the
// refused pods stay named in every branch (review finding 11).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drainInFlight } from './drain.js';

const drain = { node: 'n1', group: 'g', actuator: 'drain' as const };
const MIN = 60_000;
const REFUSED = ['shop/db-1 annotated cluster-autoscaler.kubernetes.io/safe-to-evict: "false"'];

for (const [name, elapsedMin, refused, forceAfterMin, want] of [
  ['young, nothing refused', 5, [], undefined, { state: 'continue', force: false }],
  ['past --force-after: delete the rest', 20, [], 10, { state: 'continue', force: true }],
  ['refused, young: blocked, others evicted', 5, REFUSED, 10, { state: 'blocked', force: false }],
  [
    'refused, past --force-after: others deleted',
    20,
    REFUSED,
    10,
    { state: 'blocked', force: true },
  ],
  ['past the timeout, no --force-after', 61, [], undefined, { state: 'stuck', force: false }],
  [
    'past the timeout WITH --force-after: still stuck',
    61,
    [],
    10,
    { state: 'stuck', force: false },
  ],
  [
    'refused past the timeout with --force-after: stuck',
    61,
    REFUSED,
    10,
    { state: 'stuck', force: false },
  ],
] as const)
  test(`drain in flight: ${name}`, () => {
    const w = drainInFlight(drain, '2026-12-07T00:00:00Z', elapsedMin * MIN, refused, {
      drainTimeoutMs: 60 * MIN,
      ...(forceAfterMin !== undefined ? { forceAfterMs: forceAfterMin * MIN } : {}),
    });
    assert.equal(w.state, want.state);
    assert.equal(w.force === true, want.force);
    assert.equal(w.recordStuck, want.state === 'stuck' ? 'cordoned' : undefined);
    assert.equal(w.evictOthers === true, want.state === 'blocked');
    // the refused pods are named whatever happens to the drain
    if (refused.length > 0) assert.ok(w.note.includes(`refused: ${REFUSED[0] ?? ''}`), w.note);
    if (want.state === 'stuck') assert.match(w.note, /past the drain timeout: left cordoned/);
  });
