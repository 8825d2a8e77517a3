// `certdrift renew` on a real containerd + runc: a kubeadm PKI (made by the real kubeadm) under the
// lab's host directory, and two static pods that use its files the way kubeadm's do — kube-scheduler
// through a single-file mount of scheduler.conf (a rename leaves it the old inode: STALE_VIEW),
// kube-apiserver through a directory mount of pki/ (it sees the new files but holds what it read at
// start: NOT_RELOADED). The lab kubelet plays kubelet's part (starts the next attempt of a stopped
// container). Renew restarts exactly those two, one at a time, and the proof passes; with restarts
// disabled the proof fails and names both. The lab has no kubelet config naming the manifests, so
// which containers load their certificates once is said with --loads-once, as an operator would.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabKubelet } from '../../src/lab/lab-kubelet.js';
import type { Lab } from '../../src/lab/lab.js';
import { requireRuntime, runtimeUnavailable, startLab } from '../support/lab.js';
import { kubeadmUnavailable, makeKubeadmNode, requireKubeadm } from '../support/kubeadm.js';
import { runCliAsync } from '../support/scan.js';

let lab: Lab | undefined;
let pki: string | undefined;
const skip =
  (runtimeUnavailable() !== null || kubeadmUnavailable() !== null) && process.env.CI !== 'true';

before(async () => {
  if (skip) return;
  pki = makeKubeadmNode({ validity: '240h' });
  lab = await startLab();
});
after(async () => {
  if (lab) await lab.down();
  if (pki) rmSync(pki, { recursive: true, force: true });
});

function manifest(name: string, node: string, mount: { host: string; container: string }): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}-${node}
  namespace: kube-system
spec:
  containers:
  - name: ${name}
    image: registry.k8s.io/${name}:v1.36.3
    volumeMounts:
    - mountPath: ${mount.container}
      name: certs
      readOnly: true
  hostNetwork: true
  volumes:
  - hostPath:
      path: /${node}${mount.host}
    name: certs
`;
}

/** A control-plane node inside the lab: kubeadm's PKI, two static pods running from it. */
async function controlPlane(
  lab: Lab,
  node: string,
): Promise<{ dir: string; kubelet: LabKubelet; flags: string[] }> {
  const dir = join(lab.hostDir, node);
  cpSync(join(pki ?? '', 'etc'), join(dir, 'etc'), { recursive: true });
  const manifests = join(dir, 'etc/kubernetes/manifests');
  mkdirSync(manifests, { recursive: true });
  writeFileSync(
    join(manifests, 'kube-scheduler.yaml'),
    manifest('kube-scheduler', node, {
      host: '/etc/kubernetes/scheduler.conf',
      container: '/etc/kubernetes/scheduler.conf',
    }),
  );
  writeFileSync(
    join(manifests, 'kube-apiserver.yaml'),
    manifest('kube-apiserver', node, {
      host: '/etc/kubernetes/pki',
      container: '/etc/kubernetes/pki',
    }),
  );
  const kubelet = new LabKubelet(lab, manifests);
  await kubelet.syncOnce();
  const flags = [
    '--preset',
    'none',
    '--runtime-endpoint',
    lab.socket,
    '--cert-dir',
    join(dir, 'etc/kubernetes/pki'),
    '--kubeconfig-dir',
    join(dir, 'etc/kubernetes'),
    '--backup-dir',
    join(dir, 'backups'),
    '--lock-file',
    join(dir, 'renew.lock'),
    '--log-file',
    join(dir, 'renew.log'),
    '--loads-once',
    'kube-scheduler',
    '--loads-once',
    'kube-apiserver',
    '--grace',
    '1',
    '--wait',
    '20',
  ];
  // Container start times are whole seconds in places: let the files change visibly later.
  await new Promise((r) => setTimeout(r, 1100));
  return { dir, kubelet, flags };
}

test('renew --apply restarts the single-file and the directory consumer, one at a time, and proves it', async (t) => {
  if (!requireRuntime(t) || !requireKubeadm(t) || !lab) return;
  const { kubelet, flags } = await controlPlane(lab, 'cpa');
  kubelet.start(150);
  try {
    const t0 = Date.now();
    const r = await runCliAsync(['renew', '--apply', ...flags]);
    t.diagnostic(`renew + 2 restarts + proof on containerd: ${Date.now() - t0} ms`);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /scheduler\.conf\s+renewed/);
    assert.match(
      r.stdout,
      /restart container kube-system\/kube-apiserver-cpa-lab-node\/kube-apiserver \(attempt 0, \w+\): restarted — attempt 1/,
    );
    assert.match(
      r.stdout,
      /restart container kube-system\/kube-scheduler-cpa-lab-node\/kube-scheduler \(attempt 0, \w+\): restarted — attempt 1/,
    );
    assert.match(r.stdout, /PROOF: every consumer holds the current certificates/);
    // Nothing left to do: a second run renews nothing and restarts nothing.
    const again = await runCliAsync(['renew', '--apply', ...flags]);
    assert.equal(again.status, 0, again.stdout);
    assert.doesNotMatch(again.stdout, /restart container/);
    assert.match(again.stdout, /PROOF: every consumer/);
  } finally {
    await kubelet.stop();
  }
});

test('with restarts disabled the proof fails and names what still holds the old certificates; a rerun finishes', async (t) => {
  if (!requireRuntime(t) || !requireKubeadm(t) || !lab) return;
  const { kubelet, flags } = await controlPlane(lab, 'cpb');
  const r = await runCliAsync(['renew', '--apply', '--no-restart', ...flags]);
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.match(r.stdout, /PROOF FAILED/);
  assert.match(
    r.stdout,
    /container kube-system\/kube-scheduler-cpb-lab-node\/kube-scheduler .*: STALE_VIEW: sees the old .*cpb\/etc\/kubernetes\/scheduler\.conf/,
  );
  assert.match(
    r.stdout,
    /container kube-system\/kube-apiserver-cpb-lab-node\/kube-apiserver .*: NOT_RELOADED: started .*, before .*cpb\/etc\/kubernetes\/pki\/apiserver\.crt/,
  );
  kubelet.start(150);
  try {
    const rerun = await runCliAsync(['renew', '--apply', ...flags]);
    assert.equal(rerun.status, 0, rerun.stdout + rerun.stderr);
    assert.match(rerun.stdout, /skip \(fresh\)/);
    assert.match(rerun.stdout, /restarted — attempt 1/);
    assert.match(rerun.stdout, /PROOF: every consumer/);
  } finally {
    await kubelet.stop();
  }
});
