// The agent's publisher end to end: built by the agent command from a kubeconfig (tokenFile and
// CA relative to it, the agent's own service account, so the shipped RBAC applies), conditions
// following scans, the token rotated underneath, and an API outage only marking the source down.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentLoop } from '../../src/agent/loop.js';
import { AgentMetrics } from '../../src/agent/metrics.js';
import { kubernetesPublisher } from '../../src/cli/commands/agent.js';
import { VERSION } from '../../src/cli/version.js';
import { CONDITION_STALE } from '../../src/agent/node-status.js';
import { inventory } from '../support/inventory.js';
import { haveKubectl } from '../support/kube-emulator/index.js';
import { finding } from './spec.js';
import { needKubectl, startCluster, type ClusterLab } from './setup.js';

let lab: ClusterLab;
before(async () => {
  if (haveKubectl()) lab = await startCluster();
});
after(async () => {
  if (haveKubectl()) await lab.emu.stop();
});

test('the agent publishes through a kubeconfig: conditions follow scans, outages only mark the source down', async (t) => {
  if (!needKubectl(t)) return;
  const dir = lab.saDir;
  copyFileSync(join(dir, 'ca.crt'), join(dir, 'cluster-ca.pem'));
  writeFileSync(
    join(dir, 'config'),
    `apiVersion: v1\nkind: Config\ncurrent-context: c\ncontexts:\n- {name: c, context: {cluster: k, user: u}}\nclusters:\n- {name: k, cluster: {server: '${lab.emu.url}', certificate-authority: cluster-ca.pem}}\nusers:\n- {name: u, user: {tokenFile: token}}\n`,
  );
  const publish = await kubernetesPublisher(join(dir, 'config'), 'n1', {
    stdout: process.stdout,
    stderr: process.stderr,
    env: {},
  });
  assert.ok(publish);
  const outcomes = [[finding('STALE_VIEW', 'critical', 'container/kube-proxy')], [], []];
  let i = 0;
  const metrics = new AgentMetrics('n1');
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
  const condition = () =>
    (
      lab.emu.find('', 'nodes', 'n1')?.status as { conditions: { type: string; status: string }[] }
    ).conditions.find((c) => c.type === CONDITION_STALE);
  await loop.once();
  assert.equal(condition()?.status, 'True');
  assert.match(metrics.current(), /certdrift_source_up\{node="n1",source="kubernetes"\} 1/);
  // kubelet rotates the token and the old one is revoked: the next cycle carries on.
  const old = readFileSync(join(dir, 'token'), 'utf8');
  lab.rotate();
  lab.emu.tokens.revoke(old);
  await loop.once();
  assert.equal(condition()?.status, 'False');
  assert.ok(lab.emu.requests.every((r) => r.userAgent === `certdrift/${VERSION}`));
  assert.ok(
    lab.emu.requests.every(
      (r) => r.user === 'system:serviceaccount:certdrift:certdrift' || r.code === 401,
    ),
  );
  lab.emu.faults.inject({ kind: 'status', code: 503 }, 100);
  await loop.once();
  assert.ok(loop.ready);
  assert.match(metrics.current(), /certdrift_source_up\{node="n1",source="kubernetes"\} 0/);
  assert.match(
    logs.join('\n'),
    /publish failed \(will retry next scan\): Kubernetes GET \/api\/v1\/nodes\/n1: 503/,
  );
  lab.emu.faults.clear();
});
