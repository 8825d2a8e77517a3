import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inventory } from '../../../test/support/inventory.js';
import { compare, container, fileView, mount } from '../../../test/support/workloads.js';
import { DAY_MS } from '../../model/index.js';
import { staleView } from './stale-view.js';

const ctx = {
  now: new Date('2026-11-25T00:00:00Z'),
  thresholds: { warnMs: 30 * DAY_MS, criticalMs: 7 * DAY_MS },
  lifetime: null,
};
const oldView = fileView({
  ino: 100,
  sha256: 'o'.repeat(64),
  serial: '01',
  notAfter: '2026-11-30T00:00:00Z',
});
const newView = fileView({
  ino: 200,
  sha256: 'n'.repeat(64),
  serial: '02',
  notAfter: '2028-02-01T00:00:00Z',
});

const cases: [string, Parameters<typeof container>[0], string[]][] = [
  ['same file on both sides: nothing', {}, []],
  [
    'single file replaced by rename: stale',
    {
      mounts: [
        mount({
          deleted: true,
          mountRoot: '/var/lib/kube-proxy/kubeconfig//deleted',
          files: [compare(newView, oldView)],
        }),
      ],
    },
    ['STALE_VIEW'],
  ],
  [
    'a different inode with the same bytes is still a different file',
    { mounts: [mount({ files: [compare(fileView({ ino: 1 }), fileView({ ino: 2 }))] })] },
    ['STALE_VIEW'],
  ],
  [
    'an exited container sees nothing',
    { state: 'exited', mounts: [mount({ files: [compare(newView, oldView)] })] },
    [],
  ],
  [
    'an unreadable side is not called stale',
    { mounts: [mount({ files: [compare(newView, null)] })] },
    [],
  ],
];
for (const [name, over, want] of cases) {
  test(name, () =>
    assert.deepEqual(
      staleView.run({ ...inventory([]), workloads: [container(over)] }, ctx).map((f) => f.code),
      want,
    ),
  );
}

test('a single-file stale view names the true cause and shows both certificates', () => {
  const [f] = staleView.run(
    {
      ...inventory([]),
      workloads: [
        container({ mounts: [mount({ deleted: true, files: [compare(newView, oldView)] })] }),
      ],
    },
    ctx,
  );
  assert.ok(f);
  assert.equal(f.severity, 'critical');
  assert.match(f.title, /its copy expires 2026-11-30/);
  assert.match(f.evidence.inContainer ?? '', /^serial 01, not after 2026-11-30/);
  assert.match(f.evidence.onNode ?? '', /^serial 02, not after 2028-02-01/);
  assert.match(f.cause ?? '', /inode/);
  assert.match(f.cause ?? '', /NOT the cause/);
  assert.match(f.remedy, /mount the parent directory \(\/var\/lib\/kube-proxy\)/);
});

test('a directory with a hidden host mount blames private propagation', () => {
  const m = mount({
    kind: 'dir',
    hostPath: '/etc/webhook',
    containerPath: '/etc/webhook',
    hiddenHostMounts: ['/etc/webhook/tls'],
    files: [compare(newView, oldView)],
  });
  const [f] = staleView.run(
    { ...inventory([]), workloads: [container({ name: 'webhook', mounts: [m] })] },
    ctx,
  );
  assert.match(f?.cause ?? '', /private propagation/);
  assert.match(f?.remedy ?? '', /HostToContainer/);
});
