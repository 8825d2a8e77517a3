import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mountFor } from '../../node/sources/mount-paths.js';
import { parseMountinfo, propagationOf, unescapeMountPath } from './mountinfo.js';

// Lines as a kube-proxy container shows them after the kops #16400 rotation, plus host lines.
const SAMPLE = [
  '1130 1109 0:123 / / rw,relatime master:1 - overlay overlay rw,lowerdir=/l',
  '1141 1130 259:1 /var/lib/kube-proxy/kubeconfig//deleted /var/lib/kube-proxy/kubeconfig ro,relatime - ext4 /dev/nvme0n1p1 rw',
  '1142 1130 259:1 /var/lib/kubelet /var/lib/kubelet rw,relatime shared:7 - ext4 /dev/nvme0n1p1 rw',
  '1143 1130 259:1 /lib/modules /lib/modules ro,relatime master:9 propagate_from:2 - ext4 /dev/nvme0n1p1 rw',
  '1144 1130 0:50 / /mnt/with\\040space rw - tmpfs tmpfs rw',
  'garbage line',
].join('\n');

test('fields, optional fields, propagation and //deleted', () => {
  const { mounts, skipped } = parseMountinfo(SAMPLE);
  assert.equal(skipped, 1);
  assert.deepEqual(
    mounts.map((m) => [m.mountPoint, m.root, m.propagation, m.deleted, m.fsType]),
    [
      ['/', '/', 'slave', false, 'overlay'],
      ['/var/lib/kube-proxy/kubeconfig', '/var/lib/kube-proxy/kubeconfig', 'private', true, 'ext4'],
      ['/var/lib/kubelet', '/var/lib/kubelet', 'shared', false, 'ext4'],
      ['/lib/modules', '/lib/modules', 'slave', false, 'ext4'],
      ['/mnt/with space', '/', 'private', false, 'tmpfs'],
    ],
  );
  const kubeconfig = mounts[1];
  assert.ok(kubeconfig);
  assert.deepEqual(kubeconfig.options, ['ro', 'relatime']);
  assert.equal(kubeconfig.major, 259);
});

test('propagation from optional fields', () => {
  assert.equal(propagationOf([]), 'private');
  assert.equal(propagationOf(['shared:3', 'master:1']), 'shared');
  assert.equal(propagationOf(['master:1']), 'slave');
  assert.equal(propagationOf(['unbindable']), 'unbindable');
});

test('the mount a path lives on is the longest matching mount point', () => {
  const { mounts } = parseMountinfo(SAMPLE);
  assert.equal(mountFor(mounts, '/var/lib/kubelet/pods/x')?.id, 1142);
  assert.equal(mountFor(mounts, '/var/lib/kubeletx')?.id, 1130);
  assert.equal(unescapeMountPath('a\\011b\\134c'), 'a\tb\\c');
});

test('never throws on random text', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 400 }), (s) => {
      parseMountinfo(s);
      parseMountinfo(`1 2 3:4 ${s} / rw - ext4 x rw\n${s}`);
    }),
    { numRuns: 2000 },
  );
});
