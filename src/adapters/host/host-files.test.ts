// Symbolic links resolve inside the host root, the way the node itself sees them.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { HostTree } from '../../../test/support/tree.js';
import { HostFiles } from './host-files.js';

let t: HostTree;
let host: HostFiles;

before(() => {
  t = new HostTree();
  t.write('/var/lib/kubelet/pki/kubelet-client-2026.pem', 'x');
  t.link(
    '/var/lib/kubelet/pki/kubelet-client-current.pem',
    '/var/lib/kubelet/pki/kubelet-client-2026.pem',
  );
  t.link('/etc/k8s', '../var/lib/kubelet');
  t.link('/up', '../../../../var/lib/kubelet/pki/kubelet-client-2026.pem');
  t.link('/loop', 'loop');
  t.link('/dangling', '/nowhere');
  host = new HostFiles(t.root);
});
after(() => t.remove());

test('absolute links resolve inside the root', async () => {
  assert.deepEqual(await host.resolve('/var/lib/kubelet/pki/kubelet-client-current.pem'), {
    ok: true,
    path: '/var/lib/kubelet/pki/kubelet-client-2026.pem',
    kind: 'file',
    via: ['/var/lib/kubelet/pki/kubelet-client-current.pem'],
  });
});

test('relative links through directories, and `..` stopping at the root', async () => {
  assert.deepEqual(await host.resolve('/etc/k8s/pki/kubelet-client-current.pem'), {
    ok: true,
    path: '/var/lib/kubelet/pki/kubelet-client-2026.pem',
    kind: 'file',
    // every link followed, for the agent's change watch
    via: ['/etc/k8s', '/var/lib/kubelet/pki/kubelet-client-current.pem'],
  });
  const up = await host.resolve('/up');
  assert.ok(up.ok && up.path === '/var/lib/kubelet/pki/kubelet-client-2026.pem');
});

test('loops and dangling links are reasons, not exceptions', async () => {
  const loop = await host.resolve('/loop');
  assert.ok(!loop.ok && loop.reason === 'symlink_loop');
  const dangling = await host.resolve('/dangling');
  assert.ok(!dangling.ok && dangling.reason === 'dangling_symlink');
  const missing = await host.resolve('/not/here');
  assert.ok(!missing.ok && missing.reason === 'not_found');
});

test('read caps the size and refuses directories', async () => {
  t.write('/big', 'y'.repeat(100));
  const big = await host.read('/big', 99);
  assert.ok(!big.ok && big.error.reason === 'too_large');
  const ok = await host.read('/big', 100);
  assert.ok(ok.ok && ok.bytes.length === 100);
  const dir = await host.read('/var', 100);
  assert.ok(!dir.ok && dir.error.reason === 'not_regular_file');
});
