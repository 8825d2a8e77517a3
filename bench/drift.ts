// Issue #3 benchmark: a node with 50 running containers × 5 mounts each (a kubeconfig file
// mount, a certificate directory, three other directories), on the lab's real containerd.
// Times whole `certdrift scan` processes, CRI calls included.

import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issueKubeProxyCert, kubeProxyKubeconfig } from '../src/lab/kube-proxy.js';
import { Lab } from '../src/lab/lab.js';
import { BIN, REPO } from '../test/support/scan.js';
import { runMany } from './measure.js';

export const PODS = 50;
export const MOUNTS_PER_POD = 5;

export async function benchDrift(
  runs: number,
  log: (s: string) => void,
): Promise<{ medianMs: number; minMs: number; peakRssMb: number; setupMs: number }> {
  const dir = join(REPO, '.bench', `drift-lab-${process.pid}`);
  const t0 = Date.now();
  const lab = await Lab.up(dir);
  try {
    const certs = issueKubeProxyCert(lab.dir, 300, 7);
    for (let i = 0; i < PODS; i++) {
      const node = join(lab.hostDir, `n${i}`);
      for (const d of ['kube-proxy', 'pki', 'log', 'modules', 'run'])
        mkdirSync(join(node, d), { recursive: true });
      writeFileSync(join(node, 'kube-proxy/kubeconfig'), kubeProxyKubeconfig(certs));
      writeFileSync(join(node, 'pki/ca.crt'), certs.ca);
      writeFileSync(join(node, 'pki/client.crt'), certs.cert);
      await lab.runPod({
        name: `bench-${i}`,
        container: 'kube-proxy',
        mounts: [
          {
            hostPath: join(node, 'kube-proxy/kubeconfig'),
            containerPath: '/var/lib/kube-proxy/kubeconfig',
          },
          { hostPath: join(node, 'pki'), containerPath: '/etc/ssl/certs' },
          { hostPath: join(node, 'log'), containerPath: '/var/log' },
          { hostPath: join(node, 'modules'), containerPath: '/lib/modules' },
          { hostPath: join(node, 'run'), containerPath: '/run/xtables' },
        ],
      });
      if ((i + 1) % 10 === 0) log(`  ${i + 1}/${PODS} pods running`);
    }
    const setupMs = Date.now() - t0;
    const cmd = [
      process.execPath,
      BIN,
      'scan',
      '--preset',
      'none',
      '--path',
      `${lab.hostDir}/**`,
      '--runtime-endpoint',
      lab.socket,
      '-o',
      'json',
    ];
    // The scan must really examine every container: 50 running, each with 2 certificate mounts.
    const once = spawnSync(process.execPath, cmd.slice(1), {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    const doc = JSON.parse(once.stdout) as { workloads: { state: string; mounts: unknown[] }[] };
    const examined = doc.workloads.filter(
      (w) => w.state === 'running' && w.mounts.length === 2,
    ).length;
    if (examined !== PODS) throw new Error(`the scan examined ${examined} of ${PODS} containers`);
    log(`the scan examines all ${examined} containers; timing it (${runs} runs)…`);
    const r = runMany(cmd, runs);
    return { medianMs: r.medianMs, minMs: r.minMs, peakRssMb: r.peakRssMb, setupMs };
  } finally {
    await lab.down();
  }
}
