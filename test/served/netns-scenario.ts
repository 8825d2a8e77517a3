// Run by served-hostile.test.ts inside `unshare -n` (a network namespace with only loopback, so a
// regression cannot send a packet anywhere): rogue processes named like control-plane components
// that name foreign addresses and host names, a manifest that does the same, a fake etcd naming
// 5,000 URLs; then the probe in this process and a real agent's /metrics. Prints one JSON report.

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeServedCertificates } from '../../src/adapters/host/served-certs.js';
import { daysFrom, issue } from '../support/certs.js';
import { BIN } from '../support/scan.js';
import { startListener } from '../support/listener-process.js';

export interface ScenarioReport {
  served: { component: string; endpoint: string; source: string; reason?: string }[];
  schedulerConnections: number;
  etcd: { maxConcurrent: number; total: number };
  metrics: string;
  probeMs: number;
}

const ETCD_LISTENERS = 100;
const ETCD_URLS = 5000;

const children: { stop: () => void }[] = [];

async function main(): Promise<void> {
  spawnSync('ip', ['link', 'set', 'lo', 'up']);
  const root = mkdtempSync(join(tmpdir(), 'certdrift-hostile-'));
  try {
    const manifests = join(root, 'etc/kubernetes/manifests');
    mkdirSync(manifests, { recursive: true });
    const pod = (name: string, args: string[]): string =>
      `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n  - name: ${name}\n    command:\n${[name, ...args].map((a) => `    - ${a}`).join('\n')}\n`;
    writeFileSync(
      join(manifests, 'kube-apiserver.yaml'),
      pod('kube-apiserver', ['--bind-address=192.0.2.10', '--secure-port=6443']),
    );
    writeFileSync(
      join(manifests, 'etcd.yaml'),
      pod('etcd', ['--listen-client-urls=https://192.0.2.11:2379,https://evil.example.com:2379']),
    );
    symlinkSync('.', join(manifests, 'a'));
    symlinkSync('.', join(manifests, 'b'));

    // a rogue without any socket, naming a foreign address (`; :` keeps sh from exec'ing sleep)
    const sleeper = spawn(
      'sh',
      ['-c', 'sleep 40; :', '--bind-address=192.0.2.12', '--secure-port=8443'],
      {
        argv0: 'kube-apiserver',
        stdio: 'ignore',
      },
    );
    children.push({ stop: () => sleeper.kill('SIGKILL') });
    // a real listener on loopback whose flags name a foreign address: dialled on loopback
    const now = new Date();
    const cert = await issue({
      cn: 'kube-scheduler',
      key: 'p256',
      sans: ['IP:127.0.0.1'],
      notBefore: daysFrom(now, -1),
      notAfter: daysFrom(now, 300),
    });
    const scheduler = await startListener({
      argv0: 'kube-scheduler',
      kind: 'tls',
      host: '127.0.0.1',
      first: 10259,
      flags: ['--bind-address=192.0.2.13', '--secure-port=10259'],
      cert,
    });
    children.push(scheduler);
    // a listener on the wildcard address, named by a host name: dialled on loopback, no DNS
    const kcm = await startListener({
      argv0: 'kube-controller-manager',
      kind: 'tcp',
      host: '0.0.0.0',
      first: 9443,
      flags: ['--bind-address=evil.example.com', '--secure-port=9443'],
    });
    children.push(kcm);
    const urls = Array.from({ length: ETCD_URLS }, (_, i) => `https://127.0.0.1:${20000 + i}`).join(
      ',',
    );
    const etcd = await startListener({
      argv0: 'etcd',
      kind: 'tcp',
      host: '127.0.0.1',
      first: 20000,
      count: ETCD_LISTENERS,
      flags: [`--listen-client-urls=${urls}`],
    });
    children.push(etcd);

    const t0 = performance.now();
    const served = await probeServedCertificates({
      hostRoot: root,
      procRoot: '/proc',
      maxFileSize: 1 << 20,
      timeoutMs: 2000,
    });
    const probeMs = performance.now() - t0;
    const etcdStats = await etcd.stats();
    const schedulerConnections = (await scheduler.stats()).total;

    // a real agent in this namespace: what /metrics says after one scan
    const agent = spawn(
      process.execPath,
      [
        BIN,
        'agent',
        '--host-root',
        root,
        '--runtime-endpoint',
        'none',
        '--kubernetes',
        'none',
        '--state-dir',
        'none',
        '--listen',
        '127.0.0.1:9911',
        '--interval',
        '60',
        '--node-name',
        'n1',
      ],
      { stdio: 'ignore' },
    );
    children.push({ stop: () => agent.kill('SIGKILL') });
    let metrics = '';
    for (let i = 0; i < 200 && !metrics.includes('certdrift_served_certificate'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      metrics = await fetch('http://127.0.0.1:9911/metrics')
        .then((r) => r.text())
        .catch(() => '');
    }
    const report: ScenarioReport = {
      served: served.map((s) => ({
        component: s.component,
        endpoint: s.endpoint,
        source: s.source,
        ...(s.problem ? { reason: s.problem.reason } : {}),
      })),
      schedulerConnections,
      etcd: etcdStats,
      metrics,
      probeMs,
    };
    process.stdout.write(JSON.stringify(report));
  } finally {
    for (const c of children) c.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
