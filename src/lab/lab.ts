// `certdrift lab`: a real containerd + runc on this machine, private to one directory, running
// pods shaped the way kubelet creates them (host network, io.kubernetes.* labels). Used by the
// lab command, the demo and the real-runtime tests. Everything it starts is stopped by PID and
// every mount it makes is undone by down().

import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CriConnection } from '../adapters/runtime/cri-connection.js';
import { LAB_IMAGE, startContainerd } from './containerd.js';
import { buildImageTar, importImage } from './image.js';
import { claimLabDir, releaseLabDir } from './lab-dir.js';

export type LabPropagation = 'private' | 'host-to-container' | 'bidirectional';

export interface LabMount {
  hostPath: string;
  containerPath: string;
  propagation?: LabPropagation;
  readonly?: boolean;
}

export interface LabPodSpec {
  name: string;
  namespace?: string;
  container: string;
  mounts: LabMount[];
}

export interface LabContainer {
  podId: string;
  containerId: string;
  attempt: number;
  pid: number;
}

interface LabState {
  dir: string;
  socket: string;
  pid: number;
  /** directories made shared bind mounts (for HostToContainer), to unmount on down() */
  sharedMounts: string[];
  /** the lab made --dir itself (it is removed on down); otherwise it was an empty directory */
  createdDir?: boolean;
}

const CRI_PROPAGATION: Record<LabPropagation, string> = {
  private: 'PROPAGATION_PRIVATE',
  'host-to-container': 'PROPAGATION_HOST_TO_CONTAINER',
  bidirectional: 'PROPAGATION_BIDIRECTIONAL',
};

/** A shell as PID 1 ignores SIGTERM unless trapped; sleep in the background so the trap runs. */
const WORKLOAD = ['sh', '-c', "trap 'exit 0' TERM; while :; do sleep 3600 & wait; done"];

function sandboxConfig(spec: LabPodSpec, dir: string): Record<string, unknown> {
  const namespace = spec.namespace ?? 'kube-system';
  return {
    metadata: { name: spec.name, namespace, uid: `lab-${spec.name}`, attempt: 0 },
    hostname: '',
    logDirectory: join(dir, 'logs', `${namespace}_${spec.name}`),
    labels: {
      'io.kubernetes.pod.name': spec.name,
      'io.kubernetes.pod.namespace': namespace,
      'io.kubernetes.pod.uid': `lab-${spec.name}`,
    },
    annotations: {},
    linux: {
      securityContext: { namespaceOptions: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } },
    },
  };
}

export class Lab {
  readonly conn: CriConnection;

  private constructor(private readonly state: LabState) {
    this.conn = new CriConnection(state.socket, 10_000);
  }

  get dir(): string {
    return this.state.dir;
  }
  get socket(): string {
    return this.state.socket;
  }
  get containerdPid(): number {
    return this.state.pid;
  }
  /** where the lab keeps the node's files (the "host" side of every mount) */
  get hostDir(): string {
    return join(this.state.dir, 'host');
  }

  /** `nodeLike`: containerd sees `/` rshared and serves the node's socket path (containerd.ts). */
  static async up(dir: string, opts: { nodeLike?: boolean } = {}): Promise<Lab> {
    if (existsSync(join(dir, 'lab.json')))
      throw new Error(`a lab already runs in ${dir} (certdrift lab down --dir ${dir})`);
    const createdDir = claimLabDir(dir);
    mkdirSync(join(dir, 'host'), { recursive: true });
    const { pid, socket } = await startContainerd(dir, 15000, opts);
    const state: LabState = { dir, socket, pid, sharedMounts: [], createdDir };
    writeFileSync(join(dir, 'lab.json'), JSON.stringify(state));
    importImage(socket, buildImageTar(join(dir, 'image'), LAB_IMAGE));
    return new Lab(state);
  }

  static attach(dir: string): Lab {
    const file = join(dir, 'lab.json');
    if (!existsSync(file)) throw new Error(`no lab in ${dir} (certdrift lab up --dir ${dir})`);
    return new Lab(JSON.parse(readFileSync(file, 'utf8')) as LabState);
  }

  private save(): void {
    writeFileSync(join(this.state.dir, 'lab.json'), JSON.stringify(this.state));
  }

  /** Makes `dir` a shared mount point, as HostToContainer/Bidirectional require. */
  makeShared(dir: string): void {
    for (const args of [
      ['--bind', dir, dir],
      ['--make-shared', dir],
    ]) {
      const r = spawnSync('mount', args, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`mount ${args.join(' ')}: ${r.stderr.trim()}`);
    }
    this.state.sharedMounts.push(dir);
    this.save();
  }

  async runPod(spec: LabPodSpec): Promise<LabContainer> {
    const config = sandboxConfig(spec, this.state.dir);
    const { podSandboxId } = await this.conn.call<{ podSandboxId: string }>('RunPodSandbox', {
      config,
    });
    return this.startContainer(podSandboxId, spec, 0);
  }

  /** Creates and starts attempt `attempt` of the pod's container, the way kubelet does. */
  async startContainer(podId: string, spec: LabPodSpec, attempt: number): Promise<LabContainer> {
    const namespace = spec.namespace ?? 'kube-system';
    const { containerId } = await this.conn.call<{ containerId: string }>('CreateContainer', {
      podSandboxId: podId,
      sandboxConfig: sandboxConfig(spec, this.state.dir),
      config: {
        metadata: { name: spec.container, attempt },
        image: { image: LAB_IMAGE },
        command: WORKLOAD,
        logPath: `${spec.container}/${attempt}.log`,
        labels: {
          'io.kubernetes.pod.name': spec.name,
          'io.kubernetes.pod.namespace': namespace,
          'io.kubernetes.pod.uid': `lab-${spec.name}`,
          'io.kubernetes.container.name': spec.container,
        },
        annotations: {},
        mounts: spec.mounts.map((m) => ({
          containerPath: m.containerPath,
          hostPath: m.hostPath,
          readonly: m.readonly ?? true,
          propagation: CRI_PROPAGATION[m.propagation ?? 'private'],
        })),
      },
    });
    await this.conn.call('StartContainer', { containerId });
    return { podId, containerId, attempt, pid: await this.pidOf(containerId) };
  }

  async pidOf(containerId: string): Promise<number> {
    const st = await this.conn.call<{ info: Record<string, string> }>('ContainerStatus', {
      containerId,
      verbose: true,
    });
    const pid = (JSON.parse(st.info.info ?? '{}') as { pid?: number }).pid;
    if (!pid) throw new Error(`container ${containerId} has no pid`);
    return pid;
  }

  async stopContainer(containerId: string, timeoutSeconds = 5): Promise<void> {
    await this.conn.call('StopContainer', { containerId, timeout: timeoutSeconds });
  }

  async removeContainer(containerId: string): Promise<void> {
    await this.conn.call('RemoveContainer', { containerId });
  }

  /** Kubelet's part after a container is stopped: start the next attempt in the same pod. */
  async recreate(c: LabContainer, spec: LabPodSpec): Promise<LabContainer> {
    await this.stopContainer(c.containerId);
    return this.startContainer(c.podId, spec, c.attempt + 1);
  }

  /** Stops and removes every pod, stops containerd and its shims by PID, undoes mounts. */
  async down(): Promise<string[]> {
    const problems: string[] = [];
    const ids: string[] = [];
    try {
      const { containers } = await this.conn.call<{ containers: { id: string }[] }>(
        'ListContainers',
        {},
      );
      ids.push(...containers.map((c) => c.id));
      const { items } = await this.conn.call<{ items: { id: string }[] }>('ListPodSandbox', {});
      ids.push(...items.map((p) => p.id));
      for (const p of items) {
        await this.conn
          .call('StopPodSandbox', { podSandboxId: p.id })
          .catch((e: unknown) => problems.push(String(e)));
        await this.conn
          .call('RemovePodSandbox', { podSandboxId: p.id })
          .catch((e: unknown) => problems.push(String(e)));
      }
    } catch (err) {
      problems.push(`listing pods: ${String(err)}`);
    }
    this.conn.close();
    const shims = shimPids(this.state.socket);
    await stopPid(this.state.pid);
    for (const pid of shims) await stopPid(pid);
    for (const mp of mountsUnder(this.state.dir).concat(this.state.sharedMounts).reverse()) {
      spawnSync('umount', ['-l', mp]);
    }
    removeCgroups(ids);
    releaseLabDir(this.state.dir, this.state.createdDir === true);
    return problems;
  }
}

/** Writes `content` the way kops nodeup does: a temp file in the same directory, then rename. */
export function writeByRename(path: string, content: string, mode = 0o400): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode });
  renameSync(tmp, path);
}

/** Shims serving our containerd: their command line names our socket. */
function shimPids(socket: string): number[] {
  const out: number[] = [];
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    try {
      const cmd = readFileSync(`/proc/${n}/cmdline`, 'utf8');
      if (cmd.includes('containerd-shim') && cmd.includes(socket)) out.push(Number(n));
    } catch {
      // the process went away while we looked: nothing to stop
    }
  }
  return out;
}

async function stopPid(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return; // already gone
  }
  for (let i = 0; i < 100; i++) {
    await sleep(50);
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // exited between the check and the kill
  }
}

/** runc leaves empty per-container cgroup directories under <controller>/k8s.io/<id>. */
function removeCgroups(ids: readonly string[]): void {
  let controllers: string[];
  try {
    controllers = readdirSync('/sys/fs/cgroup');
  } catch {
    return;
  }
  for (const c of ['', ...controllers]) {
    for (const id of ids) {
      try {
        rmdirSync(join('/sys/fs/cgroup', c, 'k8s.io', id));
      } catch {
        // not there for this controller, or still busy: nothing more to do
      }
    }
  }
}

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((mp) => mp === dir || mp.startsWith(`${dir}/`));
}
