// `certdrift fix` on a real containerd: the #16400 node is repaired end to end, a second run
// changes nothing, the repaired manifest survives another rotation, and a fix that cannot finish
// stops with its progress reported and the manifest backed up.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  kubeProxyManifest,
  MANIFESTS_DIR,
  writeKubeProxyKubeconfig,
} from '../../src/lab/kube-proxy.js';
import { LabKubelet } from '../../src/lab/lab-kubelet.js';
import type { Lab } from '../../src/lab/lab.js';
import { requireRuntime, runtimeUnavailable, startLab } from '../support/lab.js';
import { runCliAsync } from '../support/scan.js';

let lab: Lab | undefined;
const skip = runtimeUnavailable() !== null && process.env.CI !== 'true';

before(async () => {
  if (!skip) lab = await startLab();
});
after(async () => {
  if (lab) await lab.down();
});

/** A kops ≤ 1.35 node inside the lab: kubeconfig, static pod manifest, kubelet running it. */
async function brokenNode(
  lab: Lab,
  name: string,
): Promise<{ node: string; manifest: string; kubelet: LabKubelet; flags: string[] }> {
  const node = join(lab.hostDir, name);
  writeKubeProxyKubeconfig(node, 5, 1);
  mkdirSync(join(node, MANIFESTS_DIR), { recursive: true });
  const manifest = join(node, MANIFESTS_DIR, 'kube-proxy.manifest');
  writeFileSync(manifest, kubeProxyManifest('file'));
  // The lab kubelet maps node paths under lab.hostDir; this node lives one level deeper.
  // One containerd serves several lab "nodes": give each its own static pod name.
  const text = readFileSync(manifest, 'utf8').replaceAll(
    'path: /var/lib',
    `path: /${name}/var/lib`,
  );
  writeFileSync(manifest, text.replace('  name: kube-proxy\n', `  name: kube-proxy-${name}\n`));
  const kubelet = new LabKubelet(lab, join(node, MANIFESTS_DIR));
  await kubelet.syncOnce();
  const flags = [
    '--preset',
    'none',
    '--path',
    `${node}/**`,
    '--runtime-endpoint',
    lab.socket,
    '--manifests',
    join(node, MANIFESTS_DIR),
    '--backup-dir',
    join(node, 'backups'),
    '--lock-file',
    join(node, 'fix.lock'),
    '--log-file',
    join(node, 'fix.log'),
  ];
  return { node, manifest, kubelet, flags };
}

const problems = async (lab: Lab, node: string): Promise<string[]> => {
  const r = await runCliAsync([
    'scan',
    '--preset',
    'none',
    '--path',
    `${node}/**`,
    '--runtime-endpoint',
    lab.socket,
    '-o',
    'json',
  ]);
  return (JSON.parse(r.stdout) as { findings: { code: string; severity: string }[] }).findings
    .filter((f) => f.severity !== 'info')
    .map((f) => f.code);
};

test('break the node the #16400 way, fix --apply, scan is clean; again: nothing to do; another rotation is survived', async (t) => {
  if (!requireRuntime(t) || !lab) return;
  const { node, manifest, kubelet, flags } = await brokenNode(lab, 'fixnode');
  kubelet.start(150);
  try {
    await new Promise((r) => setTimeout(r, 1100));
    writeKubeProxyKubeconfig(node, 455, 2);
    assert.deepEqual(await problems(lab, node), ['STALE_VIEW']);

    const before = readFileSync(manifest, 'utf8');
    const plan = await runCliAsync(['fix', ...flags]);
    assert.equal(plan.status, 1, plan.stderr);
    assert.match(plan.stdout, /PLAN \(dry run/);
    assert.match(
      plan.stdout,
      /-      path: \/fixnode\/var\/lib\/kube-proxy\/kubeconfig\n\s+\+      path: \/fixnode\/var\/lib\/kube-proxy\n/,
    );
    assert.equal(readFileSync(manifest, 'utf8'), before, 'a dry run changes nothing');
    assert.deepEqual(await problems(lab, node), ['STALE_VIEW'], 'a dry run restarts nothing');

    const applied = await runCliAsync(['fix', ...flags, '--apply']);
    assert.equal(applied.status, 0, applied.stdout + applied.stderr);
    assert.match(applied.stdout, /\[done\] patch .*kube-proxy\.manifest/);
    assert.match(
      applied.stdout,
      /\[done\] recreate container kube-system\/kube-proxy-fixnode-lab-node\/kube-proxy .*\n\s+stopped; attempt 1 \(\w+\) is running and sees the node's current certificate/,
    );
    assert.match(readFileSync(manifest, 'utf8'), /path: \/fixnode\/var\/lib\/kube-proxy\n/);
    assert.equal(
      readFileSync(join(node, 'backups', readdirSync(join(node, 'backups'))[0] ?? ''), 'utf8'),
      before,
    );
    const log = readFileSync(join(node, 'fix.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string });
    assert.deepEqual(
      log.map((l) => l.event),
      ['start', 'done', 'start', 'done'],
    );
    assert.equal(existsSync(join(node, 'fix.lock')), false, 'the lock is released');
    assert.deepEqual(await problems(lab, node), []);

    const again = await runCliAsync(['fix', ...flags, '--apply']);
    assert.equal(again.status, 0);
    assert.equal(again.stdout, 'Nothing to fix.\n');

    // Another nodeup rotation: the directory mount follows it; the process still needs a restart.
    await new Promise((r) => setTimeout(r, 1100));
    writeKubeProxyKubeconfig(node, 455, 3);
    assert.deepEqual(await problems(lab, node), ['NOT_RELOADED']);
    assert.equal((await runCliAsync(['fix', ...flags, '--apply'])).status, 0);
    assert.deepEqual(await problems(lab, node), []);
  } finally {
    await kubelet.stop();
  }
});

test('no kubelet to recreate the container: the fix stops, reports its progress, keeps the backup', async (t) => {
  if (!requireRuntime(t) || !lab) return;
  const { node, manifest, flags } = await brokenNode(lab, 'nokubelet');
  writeKubeProxyKubeconfig(node, 455, 2);
  const before = readFileSync(manifest, 'utf8');
  const r = await runCliAsync([
    'fix',
    ...flags,
    '--apply',
    '--wait',
    '2',
    '--grace',
    '1',
    '--keep-exited',
  ]);
  assert.equal(r.status, 2);
  assert.match(r.stdout, /1\. \[done\] patch/);
  assert.match(
    r.stdout,
    /2\. \[failed\] recreate container .*\n\s+no new kube-system\/kube-proxy-nokubelet-lab-node\/kube-proxy container within 2 s \(is kubelet running\?\)/,
  );
  assert.match(r.stderr, /stopped after 1 of 2 actions/);
  assert.equal(
    readFileSync(join(node, 'backups', readdirSync(join(node, 'backups'))[0] ?? ''), 'utf8'),
    before,
  );
});

test('a second fix on the same node is refused while one holds the lock', async (t) => {
  if (!requireRuntime(t) || !lab) return;
  const { node, flags } = await brokenNode(lab, 'locked');
  writeFileSync(join(node, 'fix.lock'), `${process.pid} ${new Date().toISOString()}\n`);
  const r = await runCliAsync(['fix', ...flags, '--apply']);
  assert.equal(r.status, 3);
  assert.match(r.stderr, new RegExp(`another certdrift fix \\(pid ${process.pid}\\) holds`));
});
