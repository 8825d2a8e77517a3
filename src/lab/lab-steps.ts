// What each `certdrift lab` subcommand does — up, rotate, restart, status, kubelet, down — and
// the lines it tells the user. cli/commands/lab.ts parses the flags, escapes the text (it shows
// paths, certificate fields and container names) and maps LabUnavailable to exit 3.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { missingTools } from './containerd.js';
import {
  KUBECONFIG_DIR,
  MANIFESTS_DIR,
  kubeProxyManifest,
  kubeProxyPod,
  writeKubeProxyKubeconfig,
  type MountStyle,
} from './kube-proxy.js';
import { LabKubelet } from './lab-kubelet.js';
import { clientCert, LabUnavailable, loadPod, readOrNull, savePod } from './lab-pod.js';
import { Lab } from './lab.js';

/** Where the lab's lines go: `out` for what was done, `err` for notes on what was not. */
export interface LabOutput {
  out(text: string): void;
  err(text: string): void;
}

function scanHint(lab: Lab): string {
  return `certdrift scan --preset none --path '${lab.hostDir}/**' --runtime-endpoint ${lab.socket}`;
}

/** Starts containerd under `dir` and runs kube-proxy the way a kops node of `style` does. */
export async function labUp(
  dir: string,
  style: MountStyle,
  days: number,
  o: LabOutput,
): Promise<void> {
  const missing = missingTools();
  if (missing.length > 0)
    throw new LabUnavailable(
      `the lab needs ${missing.join(', ')}: apt-get install containerd runc busybox-static`,
    );
  if (process.getuid?.() !== 0)
    throw new LabUnavailable('the lab needs root (it runs containerd and mounts)');
  const t0 = Date.now();
  const lab = await Lab.up(dir);
  try {
    const serial = 1;
    writeKubeProxyKubeconfig(lab.hostDir, days, serial);
    const spec = kubeProxyPod(lab.hostDir, style);
    // The static pod manifest a kops node of this vintage has, for audit, fix and `lab kubelet`.
    mkdirSync(join(lab.hostDir, MANIFESTS_DIR), { recursive: true });
    writeFileSync(
      join(lab.hostDir, MANIFESTS_DIR, 'kube-proxy.manifest'),
      kubeProxyManifest(style),
    );
    const container = await lab.runPod(spec);
    savePod(dir, { spec, container, style, serial });
    const mount = spec.mounts[0];
    o.out(
      [
        `lab up in ${Date.now() - t0} ms: containerd pid ${lab.containerdPid}, socket ${lab.socket}`,
        `pod kube-system/${spec.name}, container kube-proxy attempt 0, pid ${container.pid}`,
        `mount (${style === 'file' ? 'single file, kops ≤ 1.35' : 'directory, kops ≥ 1.36'}, propagation None): ${mount?.hostPath ?? ''} -> ${mount?.containerPath ?? ''}`,
        `kubeconfig client certificate valid ${days} days`,
        '',
        `next: certdrift lab rotate --dir ${dir}     # renew the kubeconfig the way nodeup does`,
        `      ${scanHint(lab)}`,
        '',
      ].join('\n'),
    );
  } catch (err) {
    await lab.down();
    throw err;
  }
}

/** Renews kube-proxy's kubeconfig the way kops nodeup does: a new file renamed over the old. */
export function labRotate(dir: string, days: number, o: LabOutput): void {
  const rec = loadPod(dir);
  const lab = Lab.attach(dir);
  const before = clientCert(readOrNull(join(lab.hostDir, KUBECONFIG_DIR, 'kubeconfig')));
  rec.serial++;
  const path = writeKubeProxyKubeconfig(lab.hostDir, days, rec.serial);
  savePod(dir, rec);
  lab.conn.close();
  o.out(
    `rotated ${path} by write-temp + rename (a new inode), as kops nodeup does\n  before: ${before}\n  after:  ${clientCert(readOrNull(path))}\n`,
  );
}

/** Recreates the kube-proxy container: kubelet's part after a stop. */
export async function labRestart(dir: string, o: LabOutput): Promise<void> {
  const rec = loadPod(dir);
  const lab = Lab.attach(dir);
  try {
    rec.container = await lab.recreate(rec.container, rec.spec);
    savePod(dir, rec);
    o.out(
      `kube-proxy recreated (kubelet's part): attempt ${rec.container.attempt}, pid ${rec.container.pid}\n`,
    );
  } finally {
    lab.conn.close();
  }
}

/** The containers, and kube-proxy's client certificate inside the container and on the node. */
export async function labStatus(dir: string, o: LabOutput): Promise<void> {
  const rec = loadPod(dir);
  const lab = Lab.attach(dir);
  try {
    const { containers } = await lab.conn.call<{
      containers: { id: string; metadata?: { name: string; attempt: number }; state: string }[];
    }>('ListContainers', {});
    const lines = containers.map(
      (c) =>
        `  ${c.metadata?.name ?? '?'} attempt ${c.metadata?.attempt ?? 0} ${c.state.replace('CONTAINER_', '')} ${c.id.slice(0, 13)}`,
    );
    const inside = readOrNull(`/proc/${rec.container.pid}/root${KUBECONFIG_DIR}/kubeconfig`);
    const onHost = readOrNull(join(lab.hostDir, KUBECONFIG_DIR, 'kubeconfig'));
    o.out(
      [
        `containerd pid ${lab.containerdPid}, socket ${lab.socket}, mount style ${rec.style}`,
        'containers:',
        ...lines,
        '',
        "the #16400 reporter's check — the kubeconfig's client certificate:",
        `  inside kube-proxy (kubectl exec … cat): ${clientCert(inside)}`,
        `  on the node (ssh … cat):               ${clientCert(onHost)}`,
        inside && onHost && !inside.equals(onHost)
          ? '  → they differ: the container reads an old copy'
          : '  → same bytes',
        '',
        `scan it: ${scanHint(lab)}`,
        '',
      ].join('\n'),
    );
  } finally {
    lab.conn.close();
  }
}

/** Plays kubelet for the lab's static pods until `stop` aborts or the lab is torn down. */
export async function labKubelet(dir: string, o: LabOutput, stop: AbortSignal): Promise<void> {
  const lab = Lab.attach(dir);
  const k = new LabKubelet(lab, join(lab.hostDir, MANIFESTS_DIR));
  o.out(
    `lab kubelet: restarting stopped static pod containers from ${join(lab.hostDir, MANIFESTS_DIR)} (Ctrl-C to stop)\n`,
  );
  let reported = 0;
  k.start(200);
  await new Promise<void>((resolve) => {
    const report = setInterval(() => {
      for (const line of k.log.slice(reported)) o.out(`  ${line}\n`);
      reported = k.log.length;
      // The lab was torn down under us: nothing left to play kubelet for.
      if (!existsSync(lab.socket)) done();
    }, 200);
    const done = (): void => {
      clearInterval(report);
      stop.removeEventListener('abort', done);
      resolve();
    };
    if (stop.aborted) done();
    else stop.addEventListener('abort', done, { once: true });
  });
  await k.stop();
  lab.conn.close();
}

/** Removes the pods, stops containerd and its shims, undoes the mounts, deletes `dir`. */
export async function labDown(dir: string, o: LabOutput): Promise<void> {
  const problems = await Lab.attach(dir).down();
  o.out(`lab in ${dir} torn down: pods removed, containerd and shims stopped, mounts undone\n`);
  for (const p of problems) o.err(`  note: ${p}\n`);
}
