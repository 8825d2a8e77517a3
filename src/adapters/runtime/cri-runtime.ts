// ContainerRuntime over CRI v1: ListContainers + ListPodSandbox, then verbose ContainerStatus per
// container for its pid and mounts. Pod identity comes from the kubelet's io.kubernetes.* labels,
// else from the sandbox metadata.

import type { DeclaredPropagation, WorkloadState } from '../../model/index.js';
import { CriConnection } from './cri-connection.js';
import type { ContainerRuntime, DeclaredMount, RuntimeContainer } from '../../node/ports.js';

interface CriMount {
  containerPath: string;
  hostPath: string;
  readonly: boolean;
  propagation: string;
}
interface CriContainer {
  id: string;
  podSandboxId: string;
  metadata?: { name: string; attempt: number };
  state: string;
  createdAt: string;
  labels: Record<string, string>;
}
interface CriStatus {
  status?: {
    state: string;
    createdAt: string;
    startedAt: string;
    finishedAt: string;
    mounts: CriMount[];
    labels: Record<string, string>;
  };
  info: Record<string, string>;
}
interface CriSandbox {
  id: string;
  metadata?: { name: string; namespace: string; uid: string };
}

const STATE: Record<string, WorkloadState> = {
  CONTAINER_RUNNING: 'running',
  CONTAINER_EXITED: 'exited',
  CONTAINER_CREATED: 'created',
};
const PROPAGATION: Record<string, DeclaredPropagation> = {
  PROPAGATION_PRIVATE: 'private',
  PROPAGATION_HOST_TO_CONTAINER: 'host-to-container',
  PROPAGATION_BIDIRECTIONAL: 'bidirectional',
};

/** CRI int64 nanoseconds (as a decimal string) → Date; 0 → undefined. */
export function nanosToDate(ns: string | undefined): Date | undefined {
  if (!ns || ns === '0') return undefined;
  try {
    return new Date(Number(BigInt(ns) / 1_000_000n));
  } catch {
    return undefined;
  }
}

function pidFromInfo(info: Record<string, string>): number | undefined {
  const raw = info.info;
  if (!raw) return undefined;
  try {
    const pid = (JSON.parse(raw) as { pid?: unknown }).pid;
    return typeof pid === 'number' && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export class CriRuntime implements ContainerRuntime {
  readonly source = 'cri';
  private readonly conn: CriConnection;

  constructor(
    readonly endpoint: string,
    deadlineMs = 5000,
  ) {
    this.conn = new CriConnection(endpoint, deadlineMs);
  }

  async listContainers(): Promise<RuntimeContainer[]> {
    const [list, sandboxes] = await Promise.all([
      this.conn.call<{ containers: CriContainer[] }>('ListContainers', {}),
      this.conn.call<{ items: CriSandbox[] }>('ListPodSandbox', {}),
    ]);
    const pods = new Map(sandboxes.items.map((s) => [s.id, s.metadata]));
    const out: RuntimeContainer[] = [];
    // A handful of statuses in flight at once: fast, without flooding the runtime.
    const queue = [...list.containers];
    const worker = async (): Promise<void> => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        let status: CriStatus | undefined;
        try {
          status = await this.conn.call<CriStatus>('ContainerStatus', {
            containerId: c.id,
            verbose: true,
          });
        } catch {
          status = undefined; // removed between the list and the status call: keep what the list said
        }
        out.push(this.map(c, status, pods.get(c.podSandboxId)));
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    return out.sort(
      (a, b) =>
        (a.createdAt?.getTime() ?? 0) - (b.createdAt?.getTime() ?? 0) || (a.id < b.id ? -1 : 1),
    );
  }

  private map(
    c: CriContainer,
    s: CriStatus | undefined,
    pod: CriSandbox['metadata'],
  ): RuntimeContainer {
    const labels = { ...c.labels, ...s?.status?.labels };
    const mounts: DeclaredMount[] = (s?.status?.mounts ?? []).map((m) => ({
      containerPath: m.containerPath,
      hostPath: m.hostPath,
      readonly: m.readonly,
      ...(PROPAGATION[m.propagation] ? { declared: PROPAGATION[m.propagation] } : {}),
    }));
    const state = STATE[s?.status?.state ?? c.state] ?? 'unknown';
    const pid = state === 'running' && s ? pidFromInfo(s.info) : undefined;
    return {
      id: c.id,
      podSandboxId: c.podSandboxId,
      pod: {
        namespace: labels['io.kubernetes.pod.namespace'] ?? pod?.namespace ?? '',
        name: labels['io.kubernetes.pod.name'] ?? pod?.name ?? '',
        uid: labels['io.kubernetes.pod.uid'] ?? pod?.uid ?? '',
      },
      name: labels['io.kubernetes.container.name'] ?? c.metadata?.name ?? '',
      attempt: c.metadata?.attempt ?? 0,
      state,
      createdAt: nanosToDate(s?.status?.createdAt ?? c.createdAt),
      startedAt: nanosToDate(s?.status?.startedAt),
      finishedAt: nanosToDate(s?.status?.finishedAt),
      ...(pid !== undefined ? { pid } : {}),
      mounts,
    };
  }

  close(): void {
    this.conn.close();
  }
}
