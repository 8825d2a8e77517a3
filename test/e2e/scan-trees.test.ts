// Scanning kops-, kubeadm-, k3s-, RKE2-, EKS-, GKE-, AKS- and Talos-like host trees lists every
// certificate with the right component and dates, and nothing else; each tree is detected as its
// own distribution and as no other.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildAksNode,
  buildEksNode,
  buildGkeNode,
  buildK3sNode,
  buildKopsNode,
  buildKubeadmNode,
  buildRke2Node,
  buildTalosNode,
  NOW,
  type BuiltNode,
} from '../support/nodes.js';
import { openNodeFiles } from '../../src/adapters/host/index.js';
import { runCli, scanTree } from '../support/scan.js';

/**
 * A temp-dir tree is not this machine's node: its containers (other test files' labs, running
 * at the same time) are none of these tests' business.
 */
const NO_RUNTIME = ['--runtime-endpoint', 'none'];
import type { Inventory } from '../../src/model/index.js';

function assertInventory(inv: Inventory, node: BuiltNode): void {
  const left = [...inv.certificates];
  for (const e of node.expected) {
    const i = left.findIndex(
      (c) =>
        c.location.path === e.path &&
        c.commonName === e.cn &&
        (e.kubeconfigName === undefined || c.location.kubeconfig?.name === e.kubeconfigName),
    );
    assert.ok(
      i >= 0,
      `missing ${e.cn} in ${e.path}; found ${inv.certificates.map((c) => `${c.location.path}:${c.commonName}`).join(', ')}`,
    );
    const c = left.splice(i, 1)[0];
    assert.ok(c);
    assert.equal(c.component, e.component, `component of ${e.cn} in ${e.path}`);
    assert.equal(
      c.notAfter.toISOString(),
      new Date(Math.floor(e.notAfter.getTime() / 1000) * 1000).toISOString(),
      `notAfter of ${e.cn}`,
    );
  }
  assert.deepEqual(
    left.map((c) => `${c.location.path}:${c.commonName}`),
    [],
    'unexpected extra certificates',
  );
}

describe('kops node', () => {
  let node: BuiltNode;
  before(async () => (node = await buildKopsNode()));
  after(() => node.tree.remove());

  test('every certificate is found with component and dates', async () => {
    const inv = await scanTree(node.tree.root);
    assert.deepEqual(inv.presets, ['kops', 'generic']);
    assertInventory(inv, node);
    assert.deepEqual(inv.errors, []);
    const keys = inv.files.reduce((n, f) => n + f.privateKeys, 0);
    assert.equal(keys, 2, 'the two kubeconfig client keys (.key files are not in the kops globs)');
  });

  test('the CLI says when the node must be replaced', () => {
    const res = runCli([
      'scan',
      '--host-root',
      node.tree.root,
      '--at',
      NOW.toISOString(),
      ...NO_RUNTIME,
    ]);
    assert.equal(res.status, 0, res.stderr);
    assert.match(
      res.stdout,
      /kops issued them about 2025-10-21 \(node age ~400 days\) for 455–485 days and never renews them in place: replace this node by 2027-01-04\./,
    );
    assert.match(res.stdout, /kube-proxy\s+system:kube-proxy\s+2027-02-03/);
  });

  test('past the replace-by date the node is flagged, and expiry is critical', () => {
    const warn = runCli([
      'scan',
      '--host-root',
      node.tree.root,
      '--at',
      '2027-01-20T00:00:00Z',
      ...NO_RUNTIME,
    ]);
    assert.equal(warn.status, 1, warn.stdout);
    assert.match(warn.stdout, /warning NODE_REPLACEMENT_DUE/);
    const crit = runCli([
      'scan',
      '--host-root',
      node.tree.root,
      '--at',
      '2027-02-08T00:00:00Z',
      '-o',
      'json',
      ...NO_RUNTIME,
    ]);
    assert.equal(crit.status, 2);
    const doc = JSON.parse(crit.stdout) as {
      findings: { code: string; severity: string; subject: string }[];
    };
    assert.ok(
      doc.findings.some(
        (f) => f.code === 'CERT_EXPIRED' && f.subject.startsWith('/var/lib/kube-proxy/kubeconfig'),
      ),
    );
  });
});

describe('kubeadm node', () => {
  let node: BuiltNode;
  before(async () => (node = await buildKubeadmNode()));
  after(() => node.tree.remove());

  test('every certificate is found, the kubelet symlink and kubelet.conf reference included', async () => {
    const inv = await scanTree(node.tree.root);
    assert.ok(inv.presets.includes('kubeadm'));
    assertInventory(inv, node);
    assert.deepEqual(inv.errors, []);
    const kubelet = inv.certificates.find((c) => c.component === 'kubelet-client');
    assert.ok(kubelet);
    assert.deepEqual(kubelet.location.links, ['/var/lib/kubelet/pki/kubelet-client-current.pem']);
    assert.deepEqual(kubelet.location.referencedBy, [
      {
        entry: 'user',
        name: 'system:node:cp-1',
        field: 'client-certificate',
        path: '/etc/kubernetes/kubelet.conf',
      },
    ]);
  });
});

describe('k3s node', () => {
  let node: BuiltNode;
  before(async () => (node = await buildK3sNode()));
  after(() => node.tree.remove());

  test('every certificate is found; relative kubeconfig references resolve', async () => {
    const inv = await scanTree(node.tree.root);
    assert.ok(inv.presets.includes('k3s'));
    assertInventory(inv, node);
    assert.deepEqual(inv.errors, []);
    const proxy = inv.certificates.find((c) => c.component === 'kube-proxy');
    assert.equal(
      proxy?.location.referencedBy?.[0]?.path,
      '/var/lib/rancher/k3s/agent/kubeproxy.kubeconfig',
    );
  });
});

const MANAGED: [string, () => Promise<BuiltNode>][] = [
  ['eks', buildEksNode],
  ['gke', buildGkeNode],
  ['aks', buildAksNode],
  ['talos', buildTalosNode],
  ['rke2', buildRke2Node],
];

for (const [dist, build] of MANAGED) {
  describe(`${dist} node`, () => {
    let node: BuiltNode;
    before(async () => (node = await build()));
    after(() => node.tree.remove());

    test('detected as itself only; every certificate found with component and dates', async () => {
      const inv = await scanTree(node.tree.root);
      assert.deepEqual(inv.presets, [dist, 'generic']);
      assertInventory(inv, node);
      assert.deepEqual(inv.errors, []);
    });
  });
}

test('every detector against every distribution: each tree is its own distribution only', async () => {
  const all: [string, () => Promise<BuiltNode>][] = [
    ['kops', () => buildKopsNode()],
    ['kubeadm', buildKubeadmNode],
    ['k3s', buildK3sNode],
    ...MANAGED,
  ];
  const seen: Record<string, string[]> = {};
  for (const [dist, build] of all) {
    const node = await build();
    try {
      const found = await openNodeFiles(node.tree.root).detectPresets();
      seen[dist] = found.map((p) => p.name);
    } finally {
      node.tree.remove();
    }
  }
  assert.deepEqual(seen, Object.fromEntries(all.map(([d]) => [d, [d, 'generic']])));
});

test('EKS: the exec-auth kubeconfig names the CA file; the serving link leads to its file', async () => {
  const node = await buildEksNode();
  try {
    const inv = await scanTree(node.tree.root);
    const ca = inv.certificates.find((c) => c.location.path === '/etc/kubernetes/pki/ca.crt');
    assert.deepEqual(
      ca?.location.referencedBy?.map((r) => r.path),
      ['/var/lib/kubelet/kubeconfig'],
    );
    const serving = inv.certificates.find((c) => c.component === 'kubelet-serving');
    assert.deepEqual(serving?.location.links, ['/var/lib/kubelet/pki/kubelet-server-current.pem']);
  } finally {
    node.tree.remove();
  }
});
