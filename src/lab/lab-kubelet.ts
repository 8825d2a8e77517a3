// Kubelet's part in the lab, for static pods only: every manifest in the node's manifests
// directory is a pod `<name>-<node>`; whenever its container is not RUNNING, start the next
// attempt from the manifest as it is *now* (node paths mapped into the lab's host directory).
// That is what makes `certdrift fix --apply` testable end to end here.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readManifests } from '../manifests/read-manifests.js';
import type { Lab, LabMount, LabPodSpec } from './lab.js';

export const LAB_NODE = 'lab-node';

interface CriContainer {
  id: string;
  podSandboxId: string;
  state: string;
  metadata?: { name: string; attempt: number };
  labels: Record<string, string>;
}

const PROPAGATION: Readonly<Record<string, LabMount['propagation']>> = {
  HostToContainer: 'host-to-container',
  Bidirectional: 'bidirectional',
  None: 'private',
};

/** The lab pod specs the manifests describe (first container of each Pod). */
export function podSpecsFrom(lab: Lab, manifestDir: string): LabPodSpec[] {
  const specs: LabPodSpec[] = [];
  let names: string[];
  try {
    names = readdirSync(manifestDir)
      .filter((n) => !n.startsWith('.'))
      .sort();
  } catch {
    return specs;
  }
  for (const n of names) {
    const m = readManifests(readFileSync(join(manifestDir, n), 'utf8'));
    for (const w of m.workloads.filter((x) => x.kind === 'Pod')) {
      const c = w.containers.find((x) => !x.init);
      if (!c) continue;
      const mounts: LabMount[] = [];
      for (const vm of c.mounts) {
        const hp = w.volumes.find((v) => v.name === vm.name)?.hostPath;
        if (hp)
          mounts.push({
            hostPath: join(lab.hostDir, hp.path),
            containerPath: vm.mountPath,
            readonly: vm.readOnly,
            propagation: PROPAGATION[vm.mountPropagation ?? 'None'] ?? 'private',
          });
      }
      specs.push({
        name: `${w.name}-${LAB_NODE}`,
        namespace: w.namespace,
        container: c.name,
        mounts,
      });
    }
  }
  return specs;
}

export class LabKubelet {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  readonly log: string[] = [];

  constructor(
    private readonly lab: Lab,
    private readonly manifestDir: string,
  ) {}

  /** One pass: start the next attempt of every static pod container that is not running. */
  async syncOnce(): Promise<void> {
    const { containers } = await this.lab.conn.call<{ containers: CriContainer[] }>(
      'ListContainers',
      {},
    );
    for (const spec of podSpecsFrom(this.lab, this.manifestDir)) {
      const mine = containers.filter(
        (c) =>
          c.labels['io.kubernetes.pod.name'] === spec.name &&
          c.labels['io.kubernetes.container.name'] === spec.container,
      );
      if (mine.some((c) => c.state === 'CONTAINER_RUNNING' || c.state === 'CONTAINER_CREATED'))
        continue;
      const last = mine.sort((a, b) => (b.metadata?.attempt ?? 0) - (a.metadata?.attempt ?? 0))[0];
      if (last) {
        const c = await this.lab.startContainer(
          last.podSandboxId,
          spec,
          (last.metadata?.attempt ?? 0) + 1,
        );
        this.log.push(`started ${spec.name}/${spec.container} attempt ${c.attempt}`);
      } else {
        const c = await this.lab.runPod(spec);
        this.log.push(`started pod ${spec.name}, ${spec.container} attempt ${c.attempt}`);
      }
    }
  }

  start(intervalMs = 200): void {
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      this.syncOnce()
        .catch((err: unknown) => this.log.push(`sync failed: ${String(err)}`))
        .finally(() => {
          this.busy = false;
        });
    }, intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    while (this.busy) await new Promise((r) => setTimeout(r, 20));
  }
}
