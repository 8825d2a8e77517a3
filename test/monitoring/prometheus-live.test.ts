// Debian's Prometheus, loaded with the shipped alert rules, scrapes a live `certdrift agent`
// watching the lab (real containerd + runc): after a #16400 rotation the stale kube-proxy shows
// up as a firing ContainerSeesStaleCertificate in Prometheus's own /api/v1/alerts, and the
// 5-day certificate as a pending NodeCertificateExpiringCritical (its `for: 10m` is proven in
// the promtool tests). This proves the agent's metric names and labels are the ones the rules
// query, end to end.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeProxyPod, writeKubeProxyKubeconfig } from '../../src/lab/kube-proxy.js';
import type { Lab } from '../../src/lab/lab.js';
import { requireRuntime, runtimeUnavailable, startLab } from '../support/lab.js';
import { BIN } from '../support/scan.js';
import { requireTool, writeRulesFile } from './prometheus-tools.js';
import { freePort } from '../support/free-port.js';

let lab: Lab | undefined;
before(async () => {
  if (runtimeUnavailable() === null || process.env.CI === 'true') lab = await startLab();
});
after(async () => {
  if (lab) await lab.down();
});

function start(cmd: string, args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer): void => {
    out = (out + d.toString()).slice(-8000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  return { child, output: () => out };
}

interface ApiAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
}

async function alertsOf(port: number): Promise<ApiAlert[]> {
  const r = await fetch(`http://127.0.0.1:${String(port)}/api/v1/alerts`);
  const body = (await r.json()) as { status: string; data: { alerts: ApiAlert[] } };
  assert.equal(body.status, 'success');
  return body.data.alerts;
}

test('Prometheus fires ContainerSeesStaleCertificate from a live agent on the lab', async (t) => {
  if (!requireRuntime(t) || !lab) return;
  const prometheus = requireTool(t, 'prometheus');
  if (!prometheus) return;
  const node = join(lab.hostDir, 'prom');
  writeKubeProxyKubeconfig(node, 5, 1);
  await lab.runPod(kubeProxyPod(node, 'file', 'prom-node'));
  writeKubeProxyKubeconfig(node, 5, 2); // rotated by rename: the container keeps serial 1

  const work = mkdtempSync(join(tmpdir(), 'certdrift-prom-'));
  const [agentPort, promPort] = [await freePort(), await freePort()];
  writeRulesFile(work);
  writeFileSync(
    join(work, 'prometheus.yml'),
    `global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: [rules.yaml]
scrape_configs:
  - job_name: certdrift
    static_configs: [{ targets: ['127.0.0.1:${String(agentPort)}'] }]
`,
  );
  const agent = start(process.execPath, [
    BIN,
    'agent',
    '--preset=none',
    `--path=${node}/**`,
    `--runtime-endpoint=${lab.socket}`,
    `--listen=127.0.0.1:${String(agentPort)}`,
    '--node-name=prom-node',
    '--interval=2',
  ]);
  const prom = start(prometheus, [
    `--config.file=${join(work, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(work, 'data')}`,
    `--web.listen-address=127.0.0.1:${String(promPort)}`,
  ]);
  try {
    let alerts: ApiAlert[] = [];
    const stale = (): ApiAlert | undefined =>
      alerts.find(
        (a) => a.labels.alertname === 'ContainerSeesStaleCertificate' && a.state === 'firing',
      );
    for (let i = 0; i < 120 && !stale(); i++) {
      await new Promise((r) => setTimeout(r, 500));
      alerts = await alertsOf(promPort).catch(() => []);
    }
    const diag = `alerts: ${JSON.stringify(alerts)}\nagent: ${agent.output()}\nprometheus: ${prom.output()}`;
    assert.deepEqual(
      stale()?.labels,
      {
        alertname: 'ContainerSeesStaleCertificate',
        severity: 'critical',
        instance: `127.0.0.1:${String(agentPort)}`,
        job: 'certdrift',
        node: 'prom-node',
        namespace: 'kube-system',
        pod: 'kube-proxy-prom-node',
        container: 'kube-proxy',
        path: `${node}/var/lib/kube-proxy/kubeconfig`,
      },
      diag,
    );
    assert.match(
      stale()?.annotations.summary ?? '',
      /kube-proxy-prom-node kube-proxy reads an older/,
    );
    const critical = alerts.filter((a) => a.labels.alertname === 'NodeCertificateExpiringCritical');
    assert.ok(
      critical.some((a) => a.state === 'pending' && a.labels.common_name === 'system:kube-proxy'),
      diag,
    );
    assert.ok(
      !alerts.some((a) => a.labels.alertname === 'CertdriftAgentDown'),
      'the agent is up: no AgentDown',
    );
  } finally {
    for (const p of [agent.child, prom.child]) {
      p.kill('SIGTERM');
      if (p.exitCode === null) await once(p, 'exit');
    }
    rmSync(work, { recursive: true, force: true });
  }
});
