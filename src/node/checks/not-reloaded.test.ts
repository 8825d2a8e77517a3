import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inventory } from '../../../test/support/inventory.js';
import { compare, container, fileView, mount } from '../../../test/support/workloads.js';
import { DAY_MS } from '../../model/index.js';
import { notReloaded } from './not-reloaded.js';

const ctx = {
  now: new Date('2026-11-25T00:00:00Z'),
  thresholds: { warnMs: 30 * DAY_MS, criticalMs: 7 * DAY_MS },
  lifetime: null,
};
const replacedLater = fileView({ ctime: new Date('2026-11-20T00:00:00Z') });
const replacedBefore = fileView({ ctime: new Date('2026-11-01T00:00:00Z') });

const cases: [string, Parameters<typeof container>[0], string[]][] = [
  [
    'started after the file changed: fine',
    { mounts: [mount({ kind: 'dir', files: [compare(replacedBefore, replacedBefore)] })] },
    [],
  ],
  [
    'loads once, started before the change, view fresh: not reloaded',
    { mounts: [mount({ kind: 'dir', files: [compare(replacedLater, replacedLater)] })] },
    ['NOT_RELOADED'],
  ],
  [
    'reloads on its own: fine',
    {
      loadsCertsOnce: false,
      mounts: [mount({ kind: 'dir', files: [compare(replacedLater, replacedLater)] })],
    },
    [],
  ],
  [
    'stale view: reported by STALE_VIEW, not here',
    { mounts: [mount({ files: [compare(replacedLater, fileView({ sha256: 'o'.repeat(64) }))] })] },
    [],
  ],
  [
    'host process with the file on its command line',
    {
      kind: 'process',
      id: 'pid:1',
      name: 'kube-proxy',
      mounts: [],
      certFiles: [compare(replacedLater, null)],
    },
    ['NOT_RELOADED'],
  ],
  [
    'exited: fine',
    {
      state: 'exited',
      mounts: [mount({ kind: 'dir', files: [compare(replacedLater, replacedLater)] })],
    },
    [],
  ],
];
for (const [name, over, want] of cases) {
  test(name, () =>
    assert.deepEqual(
      notReloaded.run({ ...inventory([]), workloads: [container(over)] }, ctx).map((f) => f.code),
      want,
    ),
  );
}

test('evidence says when it started, when the file changed, and what it holds', () => {
  const [f] = notReloaded.run(
    {
      ...inventory([]),
      workloads: [
        container({
          mounts: [mount({ kind: 'dir', files: [compare(replacedLater, replacedLater)] })],
        }),
      ],
    },
    ctx,
  );
  assert.ok(f);
  assert.equal(f.evidence.startedAt, '2026-11-10T00:00:00.000Z');
  assert.equal(f.evidence.fileReplacedAt, '2026-11-20T00:00:00.000Z');
  assert.match(f.evidence.holds ?? '', /loaded once at start/);
});
