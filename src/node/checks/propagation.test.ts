import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inventory } from '../../../test/support/inventory.js';
import { compare, container, fileView, mount } from '../../../test/support/workloads.js';
import { DAY_MS } from '../../model/index.js';
import { mountRisks } from './propagation.js';

const ctx = {
  now: new Date('2026-11-25T00:00:00Z'),
  thresholds: { warnMs: 30 * DAY_MS, criticalMs: 7 * DAY_MS },
  lifetime: null,
};

const cases: [string, Parameters<typeof mount>[0], string[]][] = [
  ['a fresh single-file mount is a risk', {}, ['RISKY_FILE_MOUNT']],
  ['a stale one is STALE_VIEW instead', { deleted: true }, []],
  ['a directory mount is fine', { kind: 'dir' }, []],
  [
    'a private directory mount with hidden host mounts',
    { kind: 'dir', hiddenHostMounts: ['/var/lib/kubelet/pods/x/volumes'] },
    ['HIDDEN_HOST_MOUNTS'],
  ],
  [
    'a slave (HostToContainer) directory mount sees them',
    { kind: 'dir', effective: 'slave', hiddenHostMounts: ['/x'] },
    [],
  ],
  ['stale by content', { files: [compare(fileView(), fileView({ sha256: 'b'.repeat(64) }))] }, []],
];
for (const [name, over, want] of cases) {
  test(name, () =>
    assert.deepEqual(
      mountRisks
        .run({ ...inventory([]), workloads: [container({ mounts: [mount(over)] })] }, ctx)
        .map((f) => f.code),
      want,
    ),
  );
}

test('the risk says propagation does not help', () => {
  const [f] = mountRisks.run({ ...inventory([]), workloads: [container()] }, ctx);
  assert.match(f?.cause ?? '', /propagation does not change this/i);
});
