// The agent on a real containerd: a rotation between two scans shows up as certdrift_stale_view,
// and disappears once the container is recreated.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { systemClock } from '../../src/model/clock.js';
import { AgentLoop } from '../../src/agent/loop.js';
import { AgentMetrics } from '../../src/agent/metrics.js';
import { agentScan } from '../../src/cli/agent-scan.js';
import { resolveScanConfig } from '../../src/cli/config/scan-config.js';
import { kubeProxyPod, writeKubeProxyKubeconfig } from '../../src/lab/kube-proxy.js';
import type { Lab } from '../../src/lab/lab.js';
import { requireRuntime, runtimeUnavailable, startLab } from '../support/lab.js';

let lab: Lab | undefined;
before(async () => {
  if (runtimeUnavailable() === null || process.env.CI === 'true') lab = await startLab();
});
after(async () => {
  if (lab) await lab.down();
});

test('a rotation between two scans is picked up, and cleared by recreating the container', async (t) => {
  if (!requireRuntime(t) || !lab) return;
  const node = join(lab.hostDir, 'agent');
  writeKubeProxyKubeconfig(node, 30, 1);
  const spec = { ...kubeProxyPod(node, 'file'), name: 'kp-agent' };
  const c0 = await lab.runPod(spec);
  const config = resolveScanConfig([
    {
      name: 'test',
      values: { presets: ['none'], paths: [`${node}/**`], runtimeEndpoint: lab.socket },
    },
  ]);
  const metrics = new AgentMetrics('lab-node');
  const loop = new AgentLoop(
    {
      scan: agentScan(config, systemClock),
      metrics,
      clock: systemClock,
      random: () => 0.5,
      log: () => undefined,
    },
    { intervalMs: 1000, jitter: 0 },
  );
  const stale =
    /certdrift_stale_view\{node="lab-node",namespace="kube-system",pod="kp-agent",container="kube-proxy",path="[^"]*\/agent\/var\/lib\/kube-proxy\/kubeconfig"\} 1/;

  await loop.once();
  assert.ok(loop.ready);
  assert.doesNotMatch(metrics.current(), stale);
  assert.match(
    metrics.current(),
    /certdrift_risky_mount\{[^}]*pod="kp-agent"[^}]*kind="single-file"\} 1/,
  );
  assert.match(metrics.current(), /certdrift_source_up\{node="lab-node",source="cri"\} 1/);

  writeKubeProxyKubeconfig(node, 455, 2);
  await loop.once();
  assert.match(metrics.current(), stale);

  await lab.recreate(c0, spec);
  await loop.once();
  assert.doesNotMatch(metrics.current(), stale);
});
