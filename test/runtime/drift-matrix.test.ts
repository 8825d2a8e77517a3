// The drift matrix on a real containerd + runc (../shared/docs/real-runtime.md): what a running
// container sees after the node changes a file or a mount, and what certdrift concludes.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openNodeFiles } from '../../src/adapters/host/index.js';
import { ProcFs } from '../../src/adapters/host/procfs.js';
import {
  kubeProxyPod,
  writeKubeProxyKubeconfig,
  issueKubeProxyCert,
  kubeProxyKubeconfig,
} from '../../src/lab/kube-proxy.js';
import type { Lab, LabPodSpec } from '../../src/lab/lab.js';
import { WorkloadScanner } from '../../src/node/sources/workloads.js';
import { CriRuntime } from '../../src/adapters/runtime/cri-runtime.js';
import { ProcRuntime } from '../../src/adapters/host/proc-runtime.js';
import { requireRuntime, runtimeUnavailable, scanLab, startLab } from '../support/lab.js';

let lab: Lab | undefined;
const skip = runtimeUnavailable() !== null && process.env.CI !== 'true';

before(async () => {
  if (!skip) lab = await startLab();
});
after(async () => {
  if (lab) await lab.down();
});

/** A fresh node directory per case, so cases never see each other's files. */
function node(name: string): string {
  const dir = join(lab?.hostDir ?? '/nonexistent', name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function findings(
  all: { code: string; evidence: Record<string, string> }[],
  dir: string,
): string[] {
  return all
    .filter((f) => JSON.stringify(f.evidence).includes(dir))
    .map((f) => f.code)
    .sort();
}

describe('kube-proxy kubeconfig mounted as a single file (kops ≤ 1.35)', () => {
  test('rewritten in place (same inode): the view follows; kube-proxy still holds its start-up cert', async (t) => {
    if (!requireRuntime(t) || !lab) return;
    const dir = node('file-inplace');
    const path = writeKubeProxyKubeconfig(dir, 5, 101);
    const c = await lab.runPod({ ...kubeProxyPod(dir, 'file'), name: 'kp-file-inplace' });
    await new Promise((r) => setTimeout(r, 1100)); // ctime resolution: the write must be later than the start
    // In-place rewrite keeps the inode: the bind mount follows.
    writeFileSync(path, kubeProxyKubeconfig(issueKubeProxyCert(lab.dir, 400, 102)));
    const { findings: f, inv } = await scanLab(lab, [`${dir}/**`]);
    // No STALE_VIEW: inside and outside are the same bytes. NOT_RELOADED: the process read the
    // old certificate at start. RISKY_FILE_MOUNT: the next rename-style rotation will bite.
    assert.deepEqual(findings(f, dir), ['NOT_RELOADED', 'RISKY_FILE_MOUNT']);
    const file = inv.workloads.find((w) => w.id === c.containerId)?.mounts[0]?.files[0];
    assert.ok(file?.host && file.container);
    assert.equal(file.container.sha256, file.host.sha256);
    assert.equal(file.container.ino, file.host.ino);
  });

  test('replaced by write-temp + rename: STALE_VIEW with both certificates and the true cause', async (t) => {
    if (!requireRuntime(t) || !lab) return;
    const dir = node('file-rename');
    writeKubeProxyKubeconfig(dir, 5, 201);
    const c = await lab.runPod({ ...kubeProxyPod(dir, 'file'), name: 'kp-file-rename' });
    writeKubeProxyKubeconfig(dir, 400, 202);
    const { findings: f, inv } = await scanLab(lab, [`${dir}/**`]);
    assert.deepEqual(findings(f, dir), ['STALE_VIEW']);
    const stale = f.find(
      (x) => x.code === 'STALE_VIEW' && JSON.stringify(x.evidence).includes(dir),
    );
    assert.ok(stale);
    assert.match(stale.evidence.inContainer ?? '', /^serial C9, not after /);
    assert.match(stale.evidence.onNode ?? '', /^serial CA, not after /);
    assert.match(stale.evidence.mountinfoRoot ?? '', /\/\/deleted$/);
    assert.match(stale.cause ?? '', /Single-file bind mount/);
    assert.match(
      stale.cause ?? '',
      /propagation \(declared private, effective private\) is NOT the cause/,
    );
    assert.match(stale.remedy, /mount the parent directory/);
    const w = inv.workloads.find((x) => x.id === c.containerId);
    assert.equal(w?.pod?.name, 'kp-file-rename');
  });
});

describe('kube-proxy kubeconfig mounted as its directory (kops ≥ 1.36)', () => {
  test('replaced by rename: the view is fresh, the process is NOT_RELOADED', async (t) => {
    if (!requireRuntime(t) || !lab) return;
    const dir = node('dir-rename');
    writeKubeProxyKubeconfig(dir, 5, 301);
    await lab.runPod({ ...kubeProxyPod(dir, 'dir'), name: 'kp-dir-rename' });
    await new Promise((r) => setTimeout(r, 1100)); // ctime resolution: the rename must be later than the start
    writeKubeProxyKubeconfig(dir, 400, 302);
    const { findings: f } = await scanLab(lab, [`${dir}/**`]);
    assert.deepEqual(findings(f, dir), ['NOT_RELOADED']);
    const nr = f.find((x) => x.code === 'NOT_RELOADED' && JSON.stringify(x.evidence).includes(dir));
    assert.match(nr?.evidence.view ?? '', /inside the container is current/);
    assert.match(nr?.evidence.onDisk ?? '', /^serial 012E/);
  });
});

describe('a new mount over a mounted directory', () => {
  async function tmpfsCase(
    lab: Lab,
    name: string,
    propagation: 'private' | 'host-to-container',
  ): Promise<string[]> {
    const dir = node(name);
    const tls = join(dir, 'tls');
    mkdirSync(tls);
    writeFileSync(join(tls, 'tls.crt'), issueKubeProxyCert(lab.dir, 5, 401).cert);
    if (propagation === 'host-to-container') lab.makeShared(dir);
    const spec: LabPodSpec = {
      name,
      container: 'webhook',
      mounts: [{ hostPath: dir, containerPath: '/etc/webhook', propagation }],
    };
    await lab.runPod(spec);
    execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', tls]);
    writeFileSync(join(tls, 'tls.crt'), issueKubeProxyCert(lab.dir, 400, 402).cert);
    const { findings: f } = await scanLab(lab, [`${dir}/**`]);
    return findings(f, dir);
  }

  test('PRIVATE: the container keeps the old file under the new mount (stale, hidden mount)', async (t) => {
    if (!requireRuntime(t) || !lab) return;
    assert.deepEqual(await tmpfsCase(lab, 'tmpfs-private', 'private'), [
      'HIDDEN_HOST_MOUNTS',
      'STALE_VIEW',
    ]);
  });

  test('HOST_TO_CONTAINER: the new mount reaches the container, nothing to report', async (t) => {
    if (!requireRuntime(t) || !lab) return;
    assert.deepEqual(await tmpfsCase(lab, 'tmpfs-h2c', 'host-to-container'), []);
  });
});

describe('attempts and duplicates', () => {
  test('recreating the stale container clears the drift; the EXITED attempt is informational', async (t) => {
    if (!requireRuntime(t) || !lab) return;
    const dir = node('recreate');
    writeKubeProxyKubeconfig(dir, 5, 501);
    const spec = { ...kubeProxyPod(dir, 'file'), name: 'kp-recreate' };
    const c0 = await lab.runPod(spec);
    writeKubeProxyKubeconfig(dir, 400, 502);
    assert.ok(findings((await scanLab(lab, [`${dir}/**`])).findings, dir).includes('STALE_VIEW'));
    await lab.recreate(c0, spec);
    const { findings: f } = await scanLab(lab, [`${dir}/**`]);
    assert.deepEqual(findings(f, dir), ['RISKY_FILE_MOUNT']);
    const leftover = f.find(
      (x) => x.code === 'EXITED_LEFTOVER' && x.subject === 'kube-system/kp-recreate/kube-proxy',
    );
    assert.equal(leftover?.severity, 'info');
    assert.match(leftover.cause ?? '', /never talks to the API server/);
  });

  test('a second RUNNING instance of the same container is critical', async (t) => {
    if (!requireRuntime(t) || !lab) return;
    const dir = node('dup');
    writeKubeProxyKubeconfig(dir, 400, 601);
    const spec = { ...kubeProxyPod(dir, 'dir'), name: 'kp-dup' };
    const c0 = await lab.runPod(spec);
    await lab.startContainer(c0.podId, spec, 1);
    const { findings: f } = await scanLab(lab, [`${dir}/**`]);
    const dup = f.filter((x) => x.subject === 'kube-system/kp-dup/kube-proxy');
    assert.deepEqual(
      dup.map((x) => [x.code, x.severity]),
      [['DUPLICATE_RUNNING', 'critical']],
    );
  });
});

test('a container whose process exits mid-scan is skipped with a reason', async (t) => {
  if (!requireRuntime(t) || !lab) return;
  const dir = node('gone');
  writeKubeProxyKubeconfig(dir, 400, 701);
  const c = await lab.runPod({ ...kubeProxyPod(dir, 'file'), name: 'kp-gone' });
  const { inv } = await scanLab(lab, [`${dir}/**`]);
  const runtime = new CriRuntime(lab.socket);
  const listed = (await runtime.listContainers()).find((x) => x.id === c.containerId);
  runtime.close();
  assert.ok(listed);
  process.kill(c.pid, 'SIGKILL'); // exits between the list and the examination
  await new Promise((r) => setTimeout(r, 200));
  const scanner = new WorkloadScanner(
    {
      runtime: null,
      fallback: new ProcRuntime(new ProcFs()),
      proc: new ProcFs(),
      files: openNodeFiles('/'),
    },
    inv,
    {
      maxFileSize: 1 << 20,
      loadsOnce: ['kube-proxy'],
    },
  );
  const w = scanner.containerWorkload(listed);
  assert.deepEqual(w.mounts, []);
  assert.equal(scanner.errors[0]?.reason, 'process_gone');
});

describe('drift follows the mounts (issue: node truth)', () => {
  test('#16400 with the kubeconfig in a directory no preset knows, and no --path: found through the mount', async (t) => {
    if (!requireRuntime(t) || !lab) return;
    const dir = node('opt-odd-place');
    writeKubeProxyKubeconfig(dir, 5, 901);
    const c = await lab.runPod({ ...kubeProxyPod(dir, 'file'), name: 'kp-anywhere' });
    writeKubeProxyKubeconfig(dir, 400, 902);
    // No --path and no preset: only the container's mount leads certdrift to the file.
    const { findings: f, inv } = await scanLab(lab, []);
    assert.ok(findings(f, dir).includes('STALE_VIEW'), JSON.stringify(findings(f, dir)));
    const kubeconfigPath = `${dir}/var/lib/kube-proxy/kubeconfig`;
    const row = inv.certificates.find(
      (x) => x.location.path === kubeconfigPath && x.component === 'kube-proxy',
    );
    assert.ok(row, 'the mounted kubeconfig joins the inventory');
    assert.equal(row.foundVia, 'mount');
    assert.ok(
      row.notAfter.getTime() > Date.now() + 300 * 864e5,
      'the node file holds the renewed (400-day) certificate',
    );
    assert.ok(
      row.usedBy.some((u) => u.via === 'mount' && u.by.endsWith(`/kp-anywhere/kube-proxy`)),
      JSON.stringify(row.usedBy),
    );
    const w = inv.workloads.find((x) => x.id === c.containerId);
    assert.equal(w?.mounts.find((m) => m.kind === 'file')?.deleted, true);
  });
});
