// /metrics for a fixture node is pinned by a golden file: a kops worker built at test time plus a
// kube-proxy container with a stale view, one unreadable file, and the CRI source down.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentMetrics } from '../../src/agent/metrics.js';
import { assess } from '../../src/node/assess.js';
import { assertGolden } from '../support/golden.js';
import { buildKopsNode, NOW, type BuiltNode } from '../support/nodes.js';
import { scanTree } from '../support/scan.js';
import { compare, container, fileView, mount } from '../support/workloads.js';

let node: BuiltNode;
before(async () => {
  node = await buildKopsNode();
  node.tree.write('/srv/kubernetes/broken.crt', '-----BEGIN CERTIFICATE-----\nAAAA\n');
});
after(() => node.tree.remove());

test('golden /metrics', async () => {
  const files = await scanTree(node.tree.root);
  const stale = container({
    id: 'f'.repeat(64),
    mounts: [
      mount({
        deleted: true,
        files: [
          compare(
            fileView({ ino: 2, sha256: 'n'.repeat(64), serial: '02' }),
            fileView({ ino: 1, sha256: 'o'.repeat(64), serial: '01' }),
          ),
        ],
      }),
    ],
  });
  const inventory = {
    ...files,
    hostRoot: '<host-root>',
    workloads: [stale, container({ id: 'e'.repeat(64), state: 'exited' })],
    sources: [
      ...files.sources,
      { source: 'cri', endpoint: '/run/containerd/containerd.sock', up: false, message: 'refused' },
      { source: 'proc', up: true },
    ],
  };
  const thresholds = { warnMs: 30 * 864e5, criticalMs: 7 * 864e5 };
  const { findings, lifetime } = assess(inventory, { now: NOW, thresholds });
  const m = new AgentMetrics('node-a', true);
  await m.update({
    inventory,
    findings,
    lifetime,
    now: NOW,
    durationSeconds: 0.25,
  });
  const text = m.current().split(node.tree.root).join('<host-root>');
  assert.match(
    text,
    /certdrift_stale_view\{node="node-a",namespace="kube-system",pod="kube-proxy-node1",container="kube-proxy",path="\/var\/lib\/kube-proxy\/kubeconfig"\} 1/,
  );
  assert.match(text, /certdrift_item_errors_total\{node="node-a",reason="pem_truncated"\} 1/);
  assert.match(text, /certdrift_item_errors_total\{node="node-a",reason="permission_denied"\} 0/);
  assert.match(text, /certdrift_source_up\{node="node-a",source="cri"\} 0/);
  assertGolden('metrics-kops.prom', text);

  // The next scan without the problem: the stale series disappears (gauges are refilled).
  await m.update({
    inventory: { ...inventory, workloads: [] },
    findings: [],
    lifetime: null,
    now: NOW,
    durationSeconds: 0.2,
  });
  assert.doesNotMatch(m.current(), /certdrift_stale_view\{/);
});

test('every metric the agent exports is documented in docs/metrics.md', async () => {
  const { readFileSync } = await import('node:fs');
  const { REPO } = await import('../support/scan.js');
  const doc = readFileSync(`${REPO}docs/metrics.md`, 'utf8');
  const files = await scanTree(node.tree.root);
  const m = new AgentMetrics('n', true);
  await m.update({
    inventory: files,
    findings: [],
    lifetime: null,
    now: NOW,
    durationSeconds: 0.1,
  });
  // Every family in the exposition, including those written outside the registry.
  const names = [...m.current().matchAll(/^# TYPE (\S+) /gm)].map((x) => x[1] ?? '');
  assert.ok(names.length >= 15);
  for (const n of names)
    assert.ok(doc.includes(`\`${n}\``), `docs/metrics.md should document ${n}`);
});
