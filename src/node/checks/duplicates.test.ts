import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inventory } from '../../../test/support/inventory.js';
import { container } from '../../../test/support/workloads.js';
import { DAY_MS } from '../../model/index.js';
import { duplicates } from './duplicates.js';

const ctx = {
  now: new Date('2026-11-25T00:00:00Z'),
  thresholds: { warnMs: 30 * DAY_MS, criticalMs: 7 * DAY_MS },
  lifetime: null,
};
const run = (...ws: Parameters<typeof container>[0][]) =>
  duplicates
    .run(
      {
        ...inventory([]),
        workloads: ws.map((w, i) => container({ id: String(i).repeat(64), attempt: i, ...w })),
      },
      ctx,
    )
    .map((f) => [f.code, f.severity]);

test('one running instance: nothing', () => assert.deepEqual(run({}), []));
test('two running instances: critical', () =>
  assert.deepEqual(run({}, {}), [['DUPLICATE_RUNNING', 'critical']]));
test('an exited attempt next to a running one: informational', () =>
  assert.deepEqual(run({ state: 'exited', finishedAt: new Date('2026-11-20T00:00:00Z') }, {}), [
    ['EXITED_LEFTOVER', 'info'],
  ]));
test('different pods are not duplicates', () =>
  assert.deepEqual(run({}, { pod: { namespace: 'kube-system', name: 'other', uid: 'u2' } }), []));
test('host processes are never grouped', () =>
  assert.deepEqual(
    run({ kind: 'process', pod: undefined }, { kind: 'process', pod: undefined }),
    [],
  ));
test('the leftover explains it cannot be the cause and gives its age', () => {
  const f = duplicates.run(
    {
      ...inventory([]),
      workloads: [container({ state: 'exited', finishedAt: new Date('2026-11-20T00:00:00Z') })],
    },
    ctx,
  )[0];
  assert.match(f?.title ?? '', /exited 5 days ago/);
  assert.match(f?.cause ?? '', /never talks to the API server/);
});
