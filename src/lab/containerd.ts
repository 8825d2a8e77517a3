// Starts Debian's containerd with everything private to one state directory (root, state,
// sockets, runc root) so runs never collide, and stops it by the PID it started. Settings and
// why: ../shared/docs/real-runtime.md (restrict_oom_score_adj: no CAP_SYS_RESOURCE here;
// SystemdCgroup=false: no systemd; overlayfs snapshotter).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CriConnection } from '../adapters/runtime/cri-connection.js';

export interface LabRuntime {
  dir: string;
  socket: string;
  pid: number;
  image: string;
}

export const LAB_IMAGE = 'certdrift.local/lab:1';

export function containerdConfig(dir: string): string {
  return `version = 2
root = "${dir}/root"
state = "${dir}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]

[grpc]
  address = "${dir}/containerd.sock"

[ttrpc]
  address = "${dir}/containerd.sock.ttrpc"

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "${dir}/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${LAB_IMAGE}"
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "${dir}/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${dir}/cni/bin"
    conf_dir = "${dir}/cni/conf"
`;
}

export function missingTools(): string[] {
  return ['containerd', 'ctr', 'runc', 'busybox', 'tar', 'gzip'].filter(
    (t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0,
  );
}

/** The CRI socket's standard path on a node, where `--runtime-endpoint auto` looks first. */
export const NODE_CRI_SOCKET = '/run/containerd/containerd.sock';

/**
 * For `nodeLike` labs: containerd gets a mount namespace of its own shaped like a systemd node's
 * (here `/` is a private mount, so containerd refuses HostToContainer for a hostPath of `/`):
 * `/` rshared, and a tmpfs at /run/containerd where the lab's socket is bound at the standard
 * path once containerd listens. Nothing of this is visible outside that namespace.
 */
const NODE_LIKE = `set -e
mount --make-rshared /
mount -t tmpfs -o mode=0755 certdrift-lab /run/containerd
mkdir /run/containerd/s
: > ${NODE_CRI_SOCKET}
exec containerd --config "$1"`;

/** Starts containerd and waits until its CRI plugin answers. */
export async function startContainerd(
  dir: string,
  timeoutMs = 15000,
  opts: { nodeLike?: boolean } = {},
): Promise<{ pid: number; socket: string }> {
  // containerd 1.6 puts shim sockets under this fixed directory whatever the config says.
  mkdirSync('/run/containerd/s', { recursive: true });
  mkdirSync(join(dir, 'cni/bin'), { recursive: true });
  mkdirSync(join(dir, 'cni/conf'), { recursive: true });
  const config = join(dir, 'config.toml');
  writeFileSync(config, containerdConfig(dir));
  const log = openSync(join(dir, 'containerd.log'), 'a');
  const [cmd, args] = opts.nodeLike
    ? ['unshare', ['--mount', 'sh', '-c', NODE_LIKE, 'sh', config]]
    : ['containerd', ['--config', config]];
  const child = spawn(cmd, args, {
    detached: true,
    stdio: ['ignore', log, log],
  });
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error('containerd did not start');
  writeFileSync(join(dir, 'containerd.pid'), String(pid));
  const socket = join(dir, 'containerd.sock');
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    if (child.exitCode !== null) break;
    if (existsSync(socket)) {
      const conn = new CriConnection(socket, 1000);
      try {
        await conn.call('Version', { version: 'v1' });
        if (opts.nodeLike) bindNodeSocket(pid, socket);
        return { pid, socket };
      } catch (err) {
        last = err;
      } finally {
        conn.close();
      }
    }
    await sleep(25);
  }
  const tail = readFileSync(join(dir, 'containerd.log'), 'utf8').split('\n').slice(-15).join('\n');
  throw new Error(
    `containerd did not answer within ${timeoutMs} ms (${String(last)}); log tail:\n${tail}`,
  );
}

/** Binds the lab's socket at the node's standard path, inside containerd's mount namespace. */
function bindNodeSocket(pid: number, socket: string): void {
  const r = spawnSync(
    'nsenter',
    ['-t', String(pid), '-m', 'mount', '--bind', socket, NODE_CRI_SOCKET],
    {
      encoding: 'utf8',
    },
  );
  if (r.status !== 0)
    throw new Error(`binding ${socket} at ${NODE_CRI_SOCKET}: ${r.stderr.trim()}`);
}
