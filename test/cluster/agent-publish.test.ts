// The agent's publisher end to end on the real control plane: built by the agent command from a
// kubeconfig (tokenFile and CA relative to it, the agent's own service account, so the shipped
// RBAC applies), conditions following scans, the token rotated underneath and the old one
// revoked by the server, and an API outage (503s from the proxy in front) only marking the
// source down.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentLoop } from '../../src/agent/loop.js';
import { AgentMetrics } from '../../src/agent/metrics.js';
import { kubernetesPublisher } from '../../src/cli/commands/agent.js';
import { VERSION } from '../../src/cli/version.js';
import { CONDITION_STALE } from '../../src/agent/node-status.js';
import { tokenId } from '../support/control-plane/fault-proxy.js';
import { inventory } from '../support/inventory.js';
import { finding } from './spec.js';
import { startCluster } from './setup.js';

test('the agent publishes through a kubeconfig: conditions follow scans, outages only mark the source down', async (t) => {
  const lab = await startCluster(t);
  if (!lab) return;
  const { cp, node, proxy } = lab;
  const dir = lab.saDir;
  writeFileSync(join(dir, 'cluster-ca.pem'), proxy.ca);
  writeFileSync(
    join(dir, 'config'),
    `apiVersion: v1\nkind: Config\ncurrent-context: c\ncontexts:\n- {name: c, context: {cluster: k, user: u}}\nclusters:\n- {name: k, cluster: {server: '${proxy.url}', certificate-authority: cluster-ca.pem}}\nusers:\n- {name: u, user: {tokenFile: token}}\n`,
  );
  const publish = await kubernetesPublisher(join(dir, 'config'), node, {
    stdout: process.stdout,
    stderr: process.stderr,
    env: {},
  });
  assert.ok(publish);
  const outcomes = [[finding('STALE_VIEW', 'critical', 'container/kube-proxy')], [], []];
  let i = 0;
  const metrics = new AgentMetrics(node);
  const logs: string[] = [];
  const loop = new AgentLoop(
    {
      scan: () =>
        Promise.resolve({
          inventory: inventory([]),
          findings: outcomes[i++] ?? [],
          lifetime: null,
          now: new Date(`2026-11-25T10:0${i}:00Z`),
          durationSeconds: 0.1,
        }),
      metrics,
      clock: { now: () => new Date(), sleep: () => Promise.resolve() },
      random: () => 0.5,
      log: (m) => logs.push(m),
      publish,
    },
    { intervalMs: 1000, jitter: 0 },
  );
  const condition = async () =>
    (
      (await cp.admin.get(`/api/v1/nodes/${node}`)).status as {
        conditions: { type: string; status: string }[];
      }
    ).conditions.find((c) => c.type === CONDITION_STALE);
  const up = (v: 0 | 1) =>
    new RegExp(`certdrift_source_up\\{node="${node}",source="kubernetes"\\} ${v}`);
  const mark = cp.auditMark();
  await loop.once();
  assert.equal((await condition())?.status, 'True');
  assert.match(metrics.current(), up(1));
  // kubelet rotates the token and the old one is revoked: the next cycle carries on.
  const old = readFileSync(join(dir, 'token'), 'utf8');
  await lab.rotate();
  await lab.revoke(old);
  await loop.once();
  assert.equal((await condition())?.status, 'False');
  assert.deepEqual(
    proxy.requests.filter((r) => r.status === 401).map((r) => r.tokenId),
    [tokenId(old)],
    'one 401 with the revoked token, then the file is re-read',
  );
  const calls = await lab.calls(mark);
  assert.ok(calls.length >= 8, `${calls.length} calls`);
  assert.ok(calls.every((e) => e.userAgent === `certdrift/${VERSION}`));
  assert.deepEqual(
    calls.filter((e) => e.responseStatus?.code === 403),
    [],
    'the shipped roles allow every call',
  );
  proxy.inject({ kind: 'status', code: 503 }, 100);
  await loop.once();
  assert.ok(loop.ready);
  assert.match(metrics.current(), up(0));
  assert.match(
    logs.join('\n'),
    new RegExp(
      `publish failed \\(will retry next scan\\): Kubernetes GET /api/v1/nodes/${node}: 503`,
    ),
  );
  proxy.clear();
});
