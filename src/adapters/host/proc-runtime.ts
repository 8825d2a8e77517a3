// The /proc-only fallback: when no CRI socket answers, every mount namespace other than the
// node's is treated as a container. Its bind mounts are mapped back to node paths through the
// node's own mountinfo (same device, root prefix), so drift checks work on any runtime.

import type { MountEntry } from './mountinfo.js';
import type { ProcFs } from './procfs.js';
import type { ContainerRuntime, DeclaredMount, RuntimeContainer } from '../../node/ports.js';

const PSEUDO = /^\/(proc|sys|dev)(\/|$)/;
const CONTAINER_ID = /([0-9a-f]{64})/;

/** The node path of a container mount: a node mount on the same device whose root contains it. */
export function nodePathOf(m: MountEntry, nodeMounts: readonly MountEntry[]): string | undefined {
  let best: MountEntry | undefined;
  for (const n of nodeMounts) {
    if (n.major !== m.major || n.minor !== m.minor) continue;
    const under = m.root === n.root || n.root === '/' || m.root.startsWith(`${n.root}/`);
    if (under && (!best || n.root.length > best.root.length)) best = n;
  }
  if (!best) return undefined;
  const rel = best.root === '/' ? m.root : m.root.slice(best.root.length);
  const base = best.mountPoint === '/' ? '' : best.mountPoint;
  return `${base}${rel}` || '/';
}

export class ProcRuntime implements ContainerRuntime {
  readonly source = 'proc';

  constructor(private readonly proc: ProcFs) {}

  get endpoint(): string {
    return this.proc.procRoot;
  }

  listContainers(): Promise<RuntimeContainer[]> {
    const nodePid = this.proc.nodePid();
    const host = this.proc.process(nodePid);
    const nodeMounts = this.proc.mountinfo(nodePid);
    if (!host.ok || !nodeMounts.ok) return Promise.resolve([]);
    const byNs = new Map<string, number>();
    for (const pid of this.proc.pids()) {
      const p = this.proc.process(pid);
      if (!p.ok || p.value.mountNs === host.value.mountNs || p.value.cmdline.length === 0) continue;
      if (!byNs.has(p.value.mountNs)) byNs.set(p.value.mountNs, pid);
    }
    const out: RuntimeContainer[] = [];
    for (const pid of byNs.values()) {
      const p = this.proc.process(pid);
      const mi = this.proc.mountinfo(pid);
      if (!p.ok || !mi.ok) continue; // exited meanwhile
      const mounts: DeclaredMount[] = [];
      for (const m of mi.value) {
        if (m.mountPoint === '/' || PSEUDO.test(m.mountPoint) || m.root === '/') continue;
        const hostPath = nodePathOf(m, nodeMounts.value);
        if (hostPath)
          mounts.push({
            containerPath: m.mountPoint,
            hostPath,
            readonly: m.options.includes('ro'),
          });
      }
      const id = CONTAINER_ID.exec(this.cgroupOf(pid))?.[1] ?? `pid:${pid}`;
      out.push({
        id,
        podSandboxId: '',
        pod: { namespace: '', name: '', uid: '' },
        name: p.value.comm,
        attempt: 0,
        state: 'running',
        startedAt: p.value.startedAt,
        pid,
        mounts,
      });
    }
    return Promise.resolve(out);
  }

  private cgroupOf(pid: number): string {
    const r = this.proc.cgroup(pid);
    return r.ok ? r.value : '';
  }

  close(): void {
    // nothing to release
  }
}
