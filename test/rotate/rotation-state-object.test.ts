// The rotation state object's pure rules (src/rotate/rotation-state.ts): parsing never throws and
// reports what it cannot trust; a change names the entry it expects and is refused when the
// object moved on; baselines are set once and dropped explicitly; formatting keeps invalid
// entries for a person and stays within the bound.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  applyChange,
  EMPTY_STATE,
  formatState,
  MAX_STATE_BYTES,
  parseState,
  type StoredRecord,
} from '../../src/rotate/index.js';

const rec = (state: StoredRecord['state'], extra: Partial<StoredRecord> = {}): StoredRecord => ({
  plan: 'p-1',
  state,
  since: '2026-11-25T10:00:00.000Z',
  uid: 'u-a',
  group: 'none',
  ...extra,
});

test('parse: absent is empty; garbage is a problem, never a throw; bad entries are named, good ones kept', () => {
  assert.deepEqual(parseState(undefined), EMPTY_STATE);
  assert.match(parseState('{').problems[0] ?? '', /not JSON/);
  assert.match(parseState('[]').problems[0] ?? '', /not an object/);
  assert.match(parseState('x'.repeat(MAX_STATE_BYTES * 2 + 1)).problems[0] ?? '', /bound/);
  const s = parseState(
    JSON.stringify({
      records: {
        a: rec('cordoned'),
        b: { plan: 'p-1', state: 'cordoned', since: '2026-11-25T10:00:00Z', group: 'none' },
        c: { ...rec('drained'), state: 'exploded' },
        d: 'cordoned',
      },
      baselines: { none: ['a', 7, 'b'] },
    }),
  );
  assert.deepEqual(Object.keys(s.records), ['a']);
  assert.deepEqual(s.invalid, {
    b: 'the record has no node UID',
    c: 'the record has an unknown state',
    d: 'not an object',
  });
  assert.deepEqual(s.baselines, { none: ['a', 'b'] });
  fc.assert(
    fc.property(fc.string(), (text) => {
      parseState(text);
    }),
  );
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      parseState(JSON.stringify({ records: { n: v }, baselines: { g: v } }));
    }),
  );
});

test('change: applied only when each entry is what the step read; invalid entries are never overwritten', () => {
  const one = applyChange(EMPTY_STATE, {
    records: [{ node: 'a', expect: null, next: rec('cordoned') }],
    baselines: [{ group: 'none', next: ['a', 'b'] }],
  });
  assert.ok('state' in one);
  assert.deepEqual(one.state.records.a, rec('cordoned'));
  // the same decision again (a replayed write after a crash, or a second writer): refused
  const again = applyChange(one.state, {
    records: [{ node: 'a', expect: null, next: rec('cordoned') }],
    baselines: [],
  });
  assert.deepEqual(again, { conflict: 'a: its record changed since this step read it' });
  // a step that read the record moves it on; the baseline is set once, never replaced
  const two = applyChange(one.state, {
    records: [{ node: 'a', expect: rec('cordoned'), next: rec('drained') }],
    baselines: [{ group: 'none', next: ['x'] }],
  });
  assert.ok('state' in two);
  assert.equal(two.state.records.a?.state, 'drained');
  assert.deepEqual(two.state.baselines.none, ['a', 'b']);
  // an expectation of another UID (a recreated node) does not match
  assert.ok(
    'conflict' in
      applyChange(two.state, {
        records: [{ node: 'a', expect: rec('drained', { uid: 'u-b' }), next: null }],
        baselines: [],
      }),
  );
  // a prune decided on an older read (a 409, read again): the group has a record now, so its
  // baseline stays — decided again on the fresh state, not re-applied
  const stale = applyChange(two.state, { records: [], baselines: [{ group: 'none', next: null }] });
  assert.ok('state' in stale);
  assert.deepEqual(stale.state.baselines.none, ['a', 'b']);
  const pruned = applyChange(two.state, {
    records: [{ node: 'a', expect: rec('drained'), next: null }],
    baselines: [{ group: 'none', next: null }],
  });
  assert.ok('state' in pruned);
  assert.deepEqual(pruned.state.records, {});
  assert.deepEqual(pruned.state.baselines, {});
  const broken = parseState(JSON.stringify({ records: { z: { plan: 'p' } } }));
  assert.deepEqual(
    applyChange(broken, {
      records: [{ node: 'z', expect: null, next: rec('cordoned') }],
      baselines: [],
    }),
    { conflict: 'z: its entry fails validation' },
  );
});

test('format: round-trips, keeps an invalid entry as it was for a person, sorted and versioned', () => {
  const raw = { z: { plan: 'p' }, a: rec('stuck', { was: 'cordoned', groupSize: 3 }) };
  const s = parseState(JSON.stringify({ records: raw, baselines: { none: ['a'] } }));
  const text = formatState(s, raw);
  assert.deepEqual(JSON.parse(text), {
    version: 1,
    records: { z: { plan: 'p' }, a: raw.a },
    baselines: { none: ['a'] },
  });
  assert.deepEqual(parseState(text).records, s.records);
  // 5,000 nodes recorded at once (more than any budget lets be in flight): about 200 bytes each
  const many = Object.fromEntries(
    Array.from({ length: 5000 }, (_, i) => [
      `ip-10-0-${i >> 8}-${i & 255}.eu-west-1.compute.internal`,
      rec('handed-over', {
        uid: '6f1b6c1e-8d2a-4a55-9a8e-2b3c4d5e6f70',
        group: 'eks/ng-a',
        groupSize: 5000,
      }),
    ]),
  );
  const big = formatState(parseState(JSON.stringify({ records: many })));
  assert.ok(
    big.length > MAX_STATE_BYTES,
    `${big.length} bytes: past the bound, refused by the edge`,
  );
  assert.ok(big.length / 5000 < 260, `${Math.round(big.length / 5000)} bytes per record`);
});
