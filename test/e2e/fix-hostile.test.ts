// `certdrift fix` (the real CLI) on manifests real nodes hold: RKE2's kube-proxy next to
// kubelet's key (refused, with a manual remedy), a symlinked kops manifest with a Latin-1 comment
// owned by another user (patched at its target inside the host root, bytes, owner and mode kept,
// backup byte for byte, before/after logged), a JSON manifest (stays JSON).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, readFileSync, readdirSync, readlinkSync, statSync, chownSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../support/scan.js';
import { HostTree } from '../support/tree.js';

const fixture = (p: string): string =>
  readFileSync(new URL(`../fixtures/manifests/${p}`, import.meta.url), 'utf8');
const KOPS = fixture('kops-1.35/kube-proxy.manifest');

function fix(tree: HostTree, ...extra: string[]): ReturnType<typeof runCli> {
  return runCli([
    'fix',
    '--host-root',
    tree.root,
    '--runtime-endpoint',
    'none',
    '--preset',
    'none',
    ...extra,
  ]);
}

test('RKE2 (default pod-manifests directory found by preset): no widening to the agent dir, a manual remedy', () => {
  const tree = new HostTree('certdrift-fix-rke2-');
  const agent = '/var/lib/rancher/rke2/agent';
  tree.write(`${agent}/pod-manifests/kube-proxy.yaml`, fixture('rke2/kube-proxy.yaml'));
  for (const f of [
    'client-kube-proxy.crt',
    'kubeproxy.kubeconfig',
    'server-ca.crt',
    'client-kubelet.crt',
  ])
    tree.write(`${agent}/${f}`, 'x');
  for (const f of ['client-kube-proxy.key', 'client-kubelet.key'])
    tree.write(`${agent}/${f}`, 'x', 0o600);
  const before = readFileSync(join(tree.root, agent, 'pod-manifests/kube-proxy.yaml'));
  const r = fix(tree, '--apply');
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /kube-proxy\.yaml: no safe automatic repair \[FILE_HOSTPATH_MOUNT\]/);
  assert.match(
    r.stdout,
    /By hand: \/var\/lib\/rancher\/rke2\/agent also holds client-kubelet\.crt, client-kubelet\.key/,
  );
  assert.deepEqual(readFileSync(join(tree.root, agent, 'pod-manifests/kube-proxy.yaml')), before);
});

test('a symlinked kops manifest with a Latin-1 comment, owned by another user: patched at its target', (t) => {
  const tree = new HostTree('certdrift-fix-kops-');
  const latin1 = Buffer.concat([Buffer.from('# r\xe9gl\xe9 ici\n', 'latin1'), Buffer.from(KOPS)]);
  const target = tree.write('/opt/kops/manifests/kube-proxy.manifest', latin1, 0o640);
  // An absolute link: on the node it means <host-root>/opt/kops/…, not this machine's /opt.
  tree.link(
    '/etc/kubernetes/manifests/kube-proxy.manifest',
    '/opt/kops/manifests/kube-proxy.manifest',
  );
  tree.write('/var/lib/kube-proxy/kubeconfig', 'x', 0o600);
  const root = process.getuid?.() === 0;
  if (root) chownSync(target, 4242, 4343);
  else if (process.env.CI === 'true') throw new Error('needs root in CI');
  else
    t.diagnostic('not root: owner preservation is checked in src/adapters/host/safe-write.test.ts');
  const log = join(tree.root, 'fix.log');
  const backups = join(tree.root, 'backups');
  const r = fix(tree, '--apply', '--log-file', log, '--backup-dir', backups);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const link = join(tree.root, 'etc/kubernetes/manifests/kube-proxy.manifest');
  assert.ok(lstatSync(link).isSymbolicLink(), 'the link stays a link');
  assert.equal(readlinkSync(link), '/opt/kops/manifests/kube-proxy.manifest');
  const after = readFileSync(target);
  assert.deepEqual(
    after,
    Buffer.from(
      latin1
        .toString('latin1')
        .replace('path: /var/lib/kube-proxy/kubeconfig', 'path: /var/lib/kube-proxy')
        .replace('mountPath: /var/lib/kube-proxy/kubeconfig', 'mountPath: /var/lib/kube-proxy'),
      'latin1',
    ),
  );
  const st = statSync(target);
  assert.equal(st.mode & 0o7777, 0o640);
  if (root) assert.deepEqual([st.uid, st.gid], [4242, 4343]);
  const [backup] = readdirSync(backups);
  assert.ok(backup);
  assert.deepEqual(
    readFileSync(join(backups, backup)),
    latin1,
    'the backup is the original, byte for byte',
  );
  const entries = readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map(
      (l) =>
        JSON.parse(l) as { event: string; before?: { sha256: string }; after?: { sha256: string } },
    );
  const done = entries.find((e) => e.event === 'done');
  assert.ok(done?.before && done.after, 'the log records before and after');
  assert.notEqual(done.before.sha256, done.after.sha256);
  // Again: nothing to do.
  assert.equal(fix(tree, '--apply', '--log-file', log, '--backup-dir', backups).status, 0);
  assert.equal(readdirSync(backups).length, 1);
});

test('a JSON manifest stays JSON', () => {
  const tree = new HostTree('certdrift-fix-json-');
  const json = JSON.stringify(parseAllDocuments(KOPS)[0]?.toJS(), null, 2) + '\n';
  const p = tree.write('/etc/kubernetes/manifests/kube-proxy.json', json);
  tree.write('/var/lib/kube-proxy/kubeconfig', 'x', 0o600);
  const r = fix(tree, '--apply', '--log-file', join(tree.root, 'log'));
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const pod = JSON.parse(readFileSync(p, 'utf8')) as {
    spec: { volumes: { hostPath: { path: string } }[] };
  };
  assert.equal(pod.spec.volumes[1]?.hostPath.path, '/var/lib/kube-proxy');
});

test('a symlink that leaves nothing to patch (dangling inside the host root) is refused, not replaced', () => {
  const tree = new HostTree('certdrift-fix-dangling-');
  // Exists on this machine's / but not in the host root: must not be followed out of the root.
  tree.link('/etc/kubernetes/manifests/kube-proxy.manifest', '/etc/hostname');
  const r = fix(tree, '--apply', '--log-file', join(tree.root, 'log'));
  assert.equal(
    lstatSync(join(tree.root, 'etc/kubernetes/manifests/kube-proxy.manifest')).isSymbolicLink(),
    true,
  );
  assert.doesNotMatch(r.stdout, /\[done\]/);
  assert.match(r.stdout, /not read: .*kube-proxy\.manifest: .*does not exist/);
});
