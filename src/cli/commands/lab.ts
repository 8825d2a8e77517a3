// `certdrift lab`: kops #16400 reproduced for real on this machine's containerd + runc.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCertificateFile } from '../../certs/index.js';
import { missingTools } from '../../lab/containerd.js';
import {
  KUBECONFIG_DIR,
  MANIFESTS_DIR,
  kubeProxyManifest,
  kubeProxyPod,
  writeKubeProxyKubeconfig,
  type MountStyle,
} from '../../lab/kube-proxy.js';
import { LabKubelet } from '../../lab/lab-kubelet.js';
import { Lab, type LabContainer, type LabPodSpec } from '../../lab/lab.js';
import { escapeTerminalLines } from '../../model/escape.js';
import type { CommandDef, Io, Values } from '../command.js';
import { UsageError } from '../command.js';
import { OperationalError } from '../errors.js';

interface PodRecord {
  spec: LabPodSpec;
  container: LabContainer;
  style: MountStyle;
  serial: number;
}

const DEFAULT_DIR = '/tmp/certdrift-lab';

// Lab output shows paths, certificate fields and container logs: no control character passes.
const out = (io: Io, text: string): void => void io.stdout.write(escapeTerminalLines(text));
const err = (io: Io, text: string): void => void io.stderr.write(escapeTerminalLines(text));

function podsFile(dir: string): string {
  return join(dir, 'pods.json');
}

function loadPod(dir: string): PodRecord {
  if (!existsSync(podsFile(dir)))
    throw new OperationalError(`no lab in ${dir} (certdrift lab up --dir ${dir})`);
  return JSON.parse(readFileSync(podsFile(dir), 'utf8')) as PodRecord;
}

function savePod(dir: string, rec: PodRecord): void {
  writeFileSync(podsFile(dir), JSON.stringify(rec, null, 2));
}

/** The client certificate in a kubeconfig's bytes: serial and not-after, for side-by-side display. */
function clientCert(bytes: Buffer | null): string {
  if (!bytes) return 'unreadable';
  const c = parseCertificateFile(bytes, { expectCertificates: true }).certs.find(
    (x) => !x.facts.isCA,
  );
  return c
    ? `serial ${c.facts.serial}, not after ${c.facts.notAfter.toISOString()}`
    : 'no client certificate';
}

function readOrNull(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}

function scanHint(lab: Lab): string {
  return `certdrift scan --preset none --path '${lab.hostDir}/**' --runtime-endpoint ${lab.socket}`;
}

async function up(dir: string, style: MountStyle, days: number, io: Io): Promise<number> {
  const missing = missingTools();
  if (missing.length > 0)
    throw new OperationalError(
      `the lab needs ${missing.join(', ')}: apt-get install containerd runc busybox-static`,
    );
  if (process.getuid?.() !== 0)
    throw new OperationalError('the lab needs root (it runs containerd and mounts)');
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
    out(
      io,
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
    return 0;
  } catch (err) {
    await lab.down();
    throw err;
  }
}

function rotate(dir: string, days: number, io: Io): number {
  const rec = loadPod(dir);
  const lab = Lab.attach(dir);
  const before = clientCert(readOrNull(join(lab.hostDir, KUBECONFIG_DIR, 'kubeconfig')));
  rec.serial++;
  const path = writeKubeProxyKubeconfig(lab.hostDir, days, rec.serial);
  savePod(dir, rec);
  lab.conn.close();
  out(
    io,
    `rotated ${path} by write-temp + rename (a new inode), as kops nodeup does\n  before: ${before}\n  after:  ${clientCert(readOrNull(path))}\n`,
  );
  return 0;
}

async function restart(dir: string, io: Io): Promise<number> {
  const rec = loadPod(dir);
  const lab = Lab.attach(dir);
  try {
    rec.container = await lab.recreate(rec.container, rec.spec);
    savePod(dir, rec);
    out(
      io,
      `kube-proxy recreated (kubelet's part): attempt ${rec.container.attempt}, pid ${rec.container.pid}\n`,
    );
    return 0;
  } finally {
    lab.conn.close();
  }
}

async function status(dir: string, io: Io): Promise<number> {
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
    out(
      io,
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
    return 0;
  } finally {
    lab.conn.close();
  }
}

/** Plays kubelet for the lab's static pods until SIGINT/SIGTERM. */
async function kubelet(dir: string, io: Io): Promise<number> {
  const lab = Lab.attach(dir);
  const k = new LabKubelet(lab, join(lab.hostDir, MANIFESTS_DIR));
  out(
    io,
    `lab kubelet: restarting stopped static pod containers from ${join(lab.hostDir, MANIFESTS_DIR)} (Ctrl-C to stop)\n`,
  );
  let reported = 0;
  k.start(200);
  await new Promise<void>((resolve) => {
    const report = setInterval(() => {
      for (const line of k.log.slice(reported)) out(io, `  ${line}\n`);
      reported = k.log.length;
      // The lab was torn down under us: nothing left to play kubelet for.
      if (!existsSync(lab.socket)) stop();
    }, 200);
    const stop = (): void => {
      clearInterval(report);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await k.stop();
  lab.conn.close();
  return 0;
}

async function down(dir: string, io: Io): Promise<number> {
  const problems = await Lab.attach(dir).down();
  out(io, `lab in ${dir} torn down: pods removed, containerd and shims stopped, mounts undone\n`);
  for (const p of problems) err(io, `  note: ${p}\n`);
  return 0;
}

export const labCommand: CommandDef = {
  name: 'lab',
  summary: 'reproduce kops #16400 for real on this machine (containerd + runc)',
  usage:
    'certdrift lab up|rotate|restart|status|kubelet|down [--dir DIR] [--mount file|dir] [--days N]',
  description: [
    "Runs Debian's containerd privately under --dir with a kube-proxy static pod shaped like kops",
    'renders it: its kubeconfig (embedded client certificate) mounted as a single file (kops ≤ 1.35)',
    'or as its directory (--mount dir, kops ≥ 1.36), propagation None.',
    '',
    '  up       start containerd, import a busybox image built offline, run the pod',
    '  rotate   renew the kubeconfig the way nodeup does: write a temp file, rename it over',
    "  restart  recreate the kube-proxy container (kubelet's part after a stop)",
    '  status   containers, and the kubeconfig certificate inside the container vs on the node',
    '  kubelet  play kubelet until stopped: restart stopped static pod containers from the manifest',
    '           in <dir>/host/etc/kubernetes/manifests (what `certdrift fix --apply` relies on)',
    '  down     remove pods, stop containerd and its shims by PID, undo mounts, delete --dir',
    '',
    'Needs root and the packages containerd, runc, busybox-static. `npm run demo` tells the whole story.',
  ].join('\n'),
  options: {
    dir: {
      type: 'string',
      value: 'DIR',
      description: 'where the lab keeps everything',
      shownDefault: DEFAULT_DIR,
    },
    mount: {
      type: 'string',
      value: 'STYLE',
      description: 'up: file (kops ≤ 1.35) or dir (kops ≥ 1.36)',
      shownDefault: 'file',
    },
    days: {
      type: 'string',
      value: 'N',
      description: 'validity of the issued kube-proxy certificate',
      shownDefault: 'up 5, rotate 455',
    },
  },
  examples: [
    'certdrift lab up && certdrift lab rotate && certdrift lab status',
    "certdrift scan --preset none --path '/tmp/certdrift-lab/host/**' --runtime-endpoint /tmp/certdrift-lab/containerd.sock",
    'certdrift lab down',
  ],
  run: async (values: Values, positionals: string[], io: Io): Promise<number> => {
    const dir = typeof values.dir === 'string' ? values.dir : DEFAULT_DIR;
    const sub = positionals[0];
    const days = (fallback: number): number => {
      const d = typeof values.days === 'string' ? Number(values.days) : fallback;
      if (!Number.isInteger(d) || d < 1)
        throw new UsageError(`--days: expected a whole number of days, got ${String(values.days)}`);
      return d;
    };
    switch (sub) {
      case 'up': {
        const style = values.mount ?? 'file';
        if (style !== 'file' && style !== 'dir')
          throw new UsageError(`--mount: expected file or dir, got ${String(style)}`);
        return up(dir, style, days(5), io);
      }
      case 'rotate':
        return rotate(dir, days(455), io);
      case 'restart':
        return restart(dir, io);
      case 'status':
        return status(dir, io);
      case 'kubelet':
        return kubelet(dir, io);
      case 'down':
        return down(dir, io);
      default:
        throw new UsageError(
          `expected a subcommand (up, rotate, restart, status, kubelet, down), got ${sub === undefined ? 'none' : JSON.stringify(sub)}`,
        );
    }
  },
};
