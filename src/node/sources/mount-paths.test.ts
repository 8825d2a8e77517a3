// Which mounted node paths drift follows, and the bounded walk below them (real temp dirs).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HostFiles } from '../../adapters/host/host-files.js';
import { walkForCertificates } from '../../adapters/host/cert-walk.js';
import { HostTree } from '../../../test/support/tree.js';
import { isTrustStore, shouldFollow } from './mount-paths.js';

test('followed: component directories and files; not: trust stores, system and pod volumes', () => {
  for (const p of [
    '/var/lib/kube-proxy',
    '/var/lib/kube-proxy/kubeconfig',
    '/opt/odd/place/kubeconfig',
    '/var/lib/kubelet',
    '/var/lib/kubelet/pods/0b1c/volume-subpaths/certs/webhook/0',
    '/tmp/certdrift-lab-x/host/var/lib/kube-proxy/kubeconfig',
  ])
    assert.ok(shouldFollow(p), p);
  for (const p of [
    '/',
    '/etc/ssl/certs',
    '/usr/share/ca-certificates',
    '/lib/modules',
    '/var/log/kube-proxy.log',
    '/var/lib/containerd',
    '/proc',
    '/var/lib/kubelet/pods/0b1c/volumes/kubernetes.io~projected/kube-api-access',
  ])
    assert.ok(!shouldFollow(p), p);
  assert.ok(isTrustStore('/etc/pki/ca-trust/extracted'));
  assert.ok(!isTrustStore('/etc/kubernetes/pki'));
});

test('the walk below a mount is bounded, follows the same policy, and keeps hostile names inert', async () => {
  const tree = new HostTree('certdrift-walk-');
  try {
    tree.write('/var/lib/kubelet/pki/kubelet-client-current.pem', 'x');
    tree.write('/var/lib/kubelet/pods/uid1/volumes/ca.crt', 'x');
    tree.write('/var/lib/kubelet/[*]{a,b}/odd.crt', 'x');
    tree.write('/var/lib/kubelet/a/b/c/d/too-deep.crt', 'x');
    tree.write('/var/lib/kubelet/config.yaml', 'x');
    const host = new HostFiles(tree.root);
    const w = await walkForCertificates(host, '/var/lib/kubelet', {
      maxDepth: 3,
      maxEntries: 1000,
      enter: shouldFollow,
    });
    assert.deepEqual(w.files.map((f) => f.path).sort(), [
      '/var/lib/kubelet/[*]{a,b}/odd.crt',
      '/var/lib/kubelet/pki/kubelet-client-current.pem',
    ]);
    assert.equal(w.truncated, false);
    const small = await walkForCertificates(host, '/var/lib/kubelet', {
      maxDepth: 3,
      maxEntries: 2,
    });
    assert.equal(small.truncated, true);
  } finally {
    tree.remove();
  }
});
