// What the simulated controllers share (see kops.ts, cluster-api.ts, karpenter.ts: each is a
// SIMULATION of a controller that cannot run here — their Go modules need a newer toolchain or
// webhooks — acting on the REAL API server through the admin client, as that controller's own
// ServiceAccount would). They run when the test's clock ticks (`tick()` after each of the
// product's sleeps) and measure their delays on that clock, so a replacement that takes minutes
// takes a few ticks.
//
// Draining follows kubectl drain (k8s.io/kubectl/pkg/drain), which kops' rolling update, Cluster
// API's Machine deletion and Karpenter's terminator all do the same way: skip DaemonSet and
// mirror pods, evict the rest through policy/v1 Eviction (a PodDisruptionBudget's 429 means
// "later"), and wait until the evicted pods are gone — they are Terminating for their grace
// period, then KWOK (as kubelet) deletes them. Deleting the Node does not delete its pods (pod
// garbage collection does, later): so the Node goes only once nothing but DaemonSet pods is left.

import { RUN_LABEL, type ApiClient, type Obj } from '../control-plane/index.js';

export interface Timings {
  /** from the trigger to the old Node's deletion (at the earliest: draining may take longer) */
  terminateMs: number;
  /** from launching a machine to its Node joining Ready */
  joinMs: number;
}

export interface SimEnv {
  admin: ApiClient;
  /** the test's clock (ms) */
  now(): number;
  /** this test's RUN_LABEL value: every Node the simulation makes carries it */
  label: string;
  timings: Timings;
}

/** the Nodes the simulations created and removed, in order */
export interface SimLog {
  joined: string[];
  deleted: string[];
}

export type Json = Record<string, unknown>;
export const obj = (v: unknown): Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
export const metaOf = (o: Obj): Json => obj(o.metadata);
/** a string field, '' when absent or not a string */
export const text = (v: unknown): string => (typeof v === 'string' ? v : '');
export const nameOf = (o: Obj): string => String(metaOf(o).name);
export const annotationsOf = (o: Obj): Record<string, string> =>
  obj(metaOf(o).annotations) as Record<string, string>;
export const deleting = (o: Obj): boolean => typeof metaOf(o).deletionTimestamp === 'string';

/** this test's Nodes */
export function nodesOf(env: SimEnv): Promise<Obj[]> {
  return env.admin.list(
    `/api/v1/nodes?labelSelector=${encodeURIComponent(`${RUN_LABEL}=${env.label}`)}`,
  );
}

/** a timer per key on the test's clock: true once `ms` passed since the key was first seen */
export class Delays {
  private readonly seen = new Map<string, number>();
  constructor(private readonly env: SimEnv) {}
  after(key: string, ms: number): boolean {
    const now = this.env.now();
    const first = this.seen.get(key) ?? now;
    this.seen.set(key, first);
    return now - first >= ms;
  }
}

/**
 * One pass of a drain (kubectl drain's rules, above): evicts what is left; true once only
 * DaemonSet and mirror pods remain on the node (evicted pods gone, not merely Terminating).
 */
export async function drainPass(admin: ApiClient, node: string): Promise<boolean> {
  const pods = await admin.list(
    `/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${node}`)}`,
  );
  let left = 0;
  for (const p of pods) {
    const meta = metaOf(p);
    const owners = Array.isArray(meta.ownerReferences) ? meta.ownerReferences : [];
    if (owners.some((o) => obj(o).kind === 'DaemonSet' && obj(o).controller === true)) continue;
    if ('kubernetes.io/config.mirror' in obj(meta.annotations)) continue;
    const phase = text(obj(p.status).phase);
    if (phase === 'Succeeded' || phase === 'Failed') continue;
    left++;
    if (deleting(p)) continue;
    const ns = String(meta.namespace);
    const name = String(meta.name);
    // 201 evicted, 429 the budget forbids it now (retried next pass), 404 already gone
    await admin.request('POST', `/api/v1/namespaces/${ns}/pods/${name}/eviction`, {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name, namespace: ns },
    });
  }
  return left === 0;
}

export async function cordon(admin: ApiClient, node: string): Promise<void> {
  await admin.request(
    'PATCH',
    `/api/v1/nodes/${node}`,
    { spec: { unschedulable: true } },
    'application/strategic-merge-patch+json',
  );
}

/** deletes the Node object (404: already gone) */
export async function deleteNode(admin: ApiClient, node: string, log: SimLog): Promise<void> {
  const r = await admin.request('DELETE', `/api/v1/nodes/${node}`);
  if (r.status !== 200 && r.status !== 404) throw new Error(`delete node ${node}: ${r.status}`);
  if (r.status === 200) log.deleted.push(node);
}

/** a new machine's Node joining: KWOK (its kubelet) heartbeats it Ready */
export async function joinNode(
  env: SimEnv,
  log: SimLog,
  name: string,
  labels: Record<string, string>,
  annotations: Record<string, string>,
  providerID: string,
): Promise<void> {
  await env.admin.create('/api/v1/nodes', {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/os': 'linux',
        'kubernetes.io/hostname': name,
        ...labels,
        [RUN_LABEL]: env.label,
      },
      annotations: { 'kwok.x-k8s.io/node': 'fake', ...annotations },
    },
    spec: { providerID },
  });
  log.joined.push(name);
}

/** a short random suffix, as controllers name what they create */
export function suffix(): string {
  return Math.random().toString(16).slice(2, 7);
}
