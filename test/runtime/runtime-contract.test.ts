// One contract for every ContainerRuntime: run against the CRI client and the /proc fallback,
// on a real lab container. Both must find the running container, its main process and its
// certificate mount with the node path.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ProcFs } from '../../src/adapters/host/procfs.js';
import { kubeProxyPod, writeKubeProxyKubeconfig } from '../../src/lab/kube-proxy.js';
import type { Lab, LabContainer } from '../../src/lab/lab.js';
import { CriRuntime } from '../../src/adapters/runtime/cri-runtime.js';
import { ProcRuntime } from '../../src/adapters/host/proc-runtime.js';
import type { ContainerRuntime } from '../../src/node/ports.js';
import { requireRuntime, runtimeUnavailable, startLab } from '../support/lab.js';
import { runCli } from '../support/scan.js';

let lab: Lab | undefined;
let c: LabContainer | undefined;
let kubeconfig = '';

before(async () => {
  if (runtimeUnavailable() !== null && process.env.CI !== 'true') return;
  lab = await startLab();
  const dir = join(lab.hostDir, 'contract');
  kubeconfig = writeKubeProxyKubeconfig(dir, 30, 1);
  c = await lab.runPod({ ...kubeProxyPod(dir, 'file'), name: 'kp-contract' });
});
after(async () => {
  if (lab) await lab.down();
});

const impls: [string, (lab: Lab) => ContainerRuntime][] = [
  ['CRI v1', (l) => new CriRuntime(l.socket)],
  ['/proc fallback', () => new ProcRuntime(new ProcFs())],
];

for (const [name, make] of impls) {
  test(`${name}: lists the running container with its pid and certificate mount`, async (t) => {
    if (!requireRuntime(t) || !lab || !c) return;
    const rt = make(lab);
    try {
      const all = await rt.listContainers();
      const found = all.find((x) => x.pid === c?.pid);
      assert.ok(found, `pid ${c.pid} among ${all.map((x) => x.pid).join(', ')}`);
      assert.equal(found.state, 'running');
      const m = found.mounts.find((x) => x.containerPath === '/var/lib/kube-proxy/kubeconfig');
      assert.equal(m?.hostPath, kubeconfig);
      assert.equal(m.readonly, true);
      if (rt.source === 'cri') {
        assert.equal(found.id, c.containerId);
        assert.equal(found.name, 'kube-proxy');
        assert.deepEqual(found.pod, {
          namespace: 'kube-system',
          name: 'kp-contract',
          uid: 'lab-kp-contract',
        });
        assert.equal(m.declared, 'private');
        assert.ok(found.startedAt && found.createdAt && found.startedAt >= found.createdAt);
      } else {
        assert.equal(found.id, c.containerId, 'the container id comes from the cgroup path');
      }
    } finally {
      rt.close();
    }
  });
}

test('the CLI end to end: -o json names the stale kube-proxy after a rotation', (t) => {
  if (!requireRuntime(t) || !lab || !c) return;
  writeKubeProxyKubeconfig(join(lab.hostDir, 'contract'), 455, 2);
  const res = runCli([
    'scan',
    '--preset',
    'none',
    '--path',
    `${join(lab.hostDir, 'contract')}/**`,
    '--runtime-endpoint',
    lab.socket,
    '-o',
    'json',
  ]);
  assert.equal(res.status, 2, res.stderr);
  const doc = JSON.parse(res.stdout) as {
    findings: { code: string; cause?: string }[];
    sources: { source: string; up: boolean }[];
    workloads: { id: string; mounts: { deleted: boolean }[] }[];
  };
  assert.ok(doc.sources.some((s) => s.source === 'cri' && s.up));
  const stale = doc.findings.filter((f) => f.code === 'STALE_VIEW');
  assert.equal(stale.length, 1);
  assert.match(stale[0]?.cause ?? '', /NOT the cause/);
  assert.equal(doc.workloads.find((w) => w.id === c?.containerId)?.mounts[0]?.deleted, true);
});
