// Workloads on the real control plane for the rotation tests, made by the admin (the test plays
// their owners): Deployments pinned to this test's nodes with `nodeSelector` (kube-scheduler
// places them; KWOK runs them), PodDisruptionBudgets the real disruption controller accounts,
// DaemonSets, and bare pods bound to a node. Grace periods are short (1 s) so an evicted pod
// leaves within a test's patience, as kubelet would after `terminationGracePeriodSeconds`.

import type { ControlPlane, Obj } from '../support/control-plane/index.js';

export interface PodView {
  name: string;
  /** its `app` label */
  app: string;
  node: string;
  ready: boolean;
  terminating: boolean;
  phase: string;
}

export function podView(p: Obj): PodView {
  const meta = p.metadata as {
    name: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
  };
  const spec = p.spec as { nodeName?: string };
  const status = (p.status ?? {}) as {
    phase?: string;
    conditions?: { type: string; status: string }[];
  };
  return {
    name: meta.name,
    app: meta.labels?.app ?? '',
    node: spec.nodeName ?? '',
    ready: (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    terminating: meta.deletionTimestamp !== undefined,
    phase: status.phase ?? '',
  };
}

export async function pods(cp: ControlPlane, ns: string, labels = ''): Promise<PodView[]> {
  const q = labels ? `?labelSelector=${encodeURIComponent(labels)}` : '';
  return (await cp.admin.list(`/api/v1/namespaces/${ns}/pods${q}`)).map(podView);
}

/** the pods bound to `node`, in any namespace (as the drain sees them) */
export async function podsOn(cp: ControlPlane, node: string): Promise<PodView[]> {
  return (
    await cp.admin.list(`/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${node}`)}`)
  ).map(podView);
}

function podSpec(nodeSelector: Record<string, string>, extra: object = {}, grace = 1): object {
  return {
    nodeSelector,
    terminationGracePeriodSeconds: grace,
    containers: [{ name: 'app', image: 'registry.invalid/app:1' }],
    ...extra,
  };
}

export async function deployment(
  cp: ControlPlane,
  ns: string,
  name: string,
  opts: {
    replicas: number;
    nodeSelector: Record<string, string>;
    /** one replica per node (required anti-affinity on the hostname) */
    spread?: boolean;
    /** terminationGracePeriodSeconds (default 1) */
    grace?: number;
  },
): Promise<void> {
  const labels = { app: name };
  await cp.admin.create(`/apis/apps/v1/namespaces/${ns}/deployments`, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: opts.replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: podSpec(
          opts.nodeSelector,
          opts.spread
            ? {
                affinity: {
                  podAntiAffinity: {
                    requiredDuringSchedulingIgnoredDuringExecution: [
                      {
                        labelSelector: { matchLabels: labels },
                        topologyKey: 'kubernetes.io/hostname',
                      },
                    ],
                  },
                },
              }
            : {},
          opts.grace,
        ),
      },
    },
  });
}

export async function scale(cp: ControlPlane, ns: string, name: string, replicas: number) {
  await cp.admin.patch(`/apis/apps/v1/namespaces/${ns}/deployments/${name}/scale`, {
    spec: { replicas },
  });
}

export async function pdb(
  cp: ControlPlane,
  ns: string,
  name: string,
  budget: { minAvailable: number } | { maxUnavailable: number },
): Promise<void> {
  await cp.admin.create(`/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets`, {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name },
    spec: { ...budget, selector: { matchLabels: { app: name } } },
  });
}

/** waits until the disruption controller has counted the budget's pods */
export async function budgetSettled(
  cp: ControlPlane,
  ns: string,
  name: string,
  allowed: number,
): Promise<void> {
  await cp.waitFor(`PDB ${ns}/${name} disruptionsAllowed=${allowed}`, 60_000, async () => {
    const p = await cp.admin.get(`/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets/${name}`);
    const s = p.status as { disruptionsAllowed?: number; observedGeneration?: number } | undefined;
    return s?.observedGeneration !== undefined && s.disruptionsAllowed === allowed
      ? true
      : undefined;
  });
}

export async function daemonSet(
  cp: ControlPlane,
  ns: string,
  name: string,
  nodeSelector: Record<string, string>,
): Promise<void> {
  const labels = { app: name };
  await cp.admin.create(`/apis/apps/v1/namespaces/${ns}/daemonsets`, {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name },
    spec: {
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: podSpec(nodeSelector) },
    },
  });
}

/** a pod bound to `node` by name, no controller (nothing recreates it) */
export async function barePod(
  cp: ControlPlane,
  ns: string,
  name: string,
  node: string,
  labels: Record<string, string> = { app: name },
): Promise<void> {
  await cp.admin.create(`/api/v1/namespaces/${ns}/pods`, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { ...podSpec({}), nodeName: node },
  });
}

/** waits until `want` pods matching `labels` are Ready (not terminating) */
export async function readyPods(
  cp: ControlPlane,
  ns: string,
  labels: string,
  want: number,
): Promise<PodView[]> {
  return cp.waitFor(`${want} Ready pods ${labels} in ${ns}`, 60_000, async () => {
    const ps = (await pods(cp, ns, labels)).filter((p) => p.ready && !p.terminating);
    return ps.length === want ? ps : undefined;
  });
}
