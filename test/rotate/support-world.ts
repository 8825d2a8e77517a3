// A world for multi-step rotation tests: the API emulation with the Cluster API and Karpenter
// CRDs, the controllers certdrift hands nodes to (simulated on the emulation, with delays), the
// project's client authenticated as the rotator's ServiceAccount with the RBAC deploy/rotator
// ships (every actuator component: an operator's full install; never an admin token — the
// controllers act on the emulation's store, as kops, Cluster API and Karpenter would), and a clock whose pause advances the emulation's time and lets the
// controllers act. Old nodes are created 400 days in the past (due under the default policy);
// replacements are new (not due).

import type { RotateClient } from '../../src/adapters/kube/rotate-client.js';
import type { Clock, LiveMachine, LiveNodeClaim, LivePod } from '../../src/rotate/index.js';
import type { RotateEdge } from '../../src/rotate/index.js';
import type { KObj, KubeEmulator } from '../support/kube-emulator/index.js';
import { NodeControllers, readyCondition } from '../support/kube-emulator/controllers.js';
import { startRotatorCluster, type Component } from './rotator-cluster.js';

/** every actuator component of deploy/rotator */
export const ALL_COMPONENTS: readonly Component[] = [
  'drain',
  'delete-node',
  'force',
  'capi',
  'karpenter',
];

export const DAY_S = 86_400;

export interface World {
  emu: KubeEmulator;
  client: RotateClient;
  ctl: NodeControllers;
  clock: Clock;
  /** hooks run after every pause (after the controllers) */
  onTick: (() => void)[];
  seedOld(group: string, resource: string, obj: KObj): void;
  stop(): Promise<void>;
}

export async function world(
  timings = { terminateMs: 60_000, joinMs: 90_000 },
  components: readonly Component[] = ALL_COMPONENTS,
): Promise<World> {
  const lab = await startRotatorCluster(components);
  const emu = lab.emu;
  // A token valid for the virtual days these runs span (a pod's projected token is refreshed by
  // the kubelet; these clients read the file they were given).
  const client = lab.client('certdrift/test', 30 * DAY_S);
  const ctl = new NodeControllers(emu, timings);
  const onTick: (() => void)[] = [];
  return {
    emu,
    client,
    ctl,
    onTick,
    clock: {
      now: () => new Date(emu.now()),
      sleep: (ms: number) => {
        emu.advance(ms / 1000);
        ctl.tick();
        for (const h of onTick) h();
        return Promise.resolve();
      },
    },
    seedOld(group, resource, obj) {
      emu.advance(-400 * DAY_S);
      try {
        emu.seed(group, resource, obj);
      } finally {
        emu.advance(400 * DAY_S);
      }
    },
    stop: () => emu.stop(),
  };
}

export const readyNode = (
  name: string,
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
): KObj => ({
  metadata: { name, labels, annotations },
  spec: { providerID: `aws:///eu-west-1a/i-${name}` },
  status: readyCondition(),
});

export const runningPod = (
  name: string,
  node: string,
  labels: Record<string, string> = { app: 'web' },
  extra: object = {},
): KObj => ({
  metadata: { name, namespace: 'shop', labels, ...extra },
  spec: { nodeName: node },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
});

export class Interrupted extends Error {}

/**
 * The client, dying right after its `after`-th call reached the server: that call and nothing
 * later happened (every later read or write throws), as when the process is killed.
 */
export function interruptedAfter(
  client: RotateClient,
  after: number,
): RotateEdge & { calls: number } {
  let dead = false;
  const guard = <T>(f: () => Promise<T>): Promise<T> =>
    dead ? Promise.reject(new Interrupted('killed')) : f();
  const edge = {
    calls: 0,
    readFleet: () => guard(() => client.readFleet()),
    listPods: (n: ReadonlySet<string>): Promise<LivePod[]> => guard(() => client.listPods(n)),
    listNodeClaims: (): Promise<LiveNodeClaim[]> => guard(() => client.listNodeClaims()),
    listMachines: (): Promise<LiveMachine[]> => guard(() => client.listMachines()),
    execute: (call: Parameters<RotateClient['execute']>[0]) =>
      guard(async () => {
        const r = await client.execute(call);
        edge.calls++;
        if (edge.calls === after) dead = true;
        return r;
      }),
  };
  return edge;
}

/** the cluster's state, names and what matters, for comparing runs */
export function snapshot(emu: KubeEmulator): object {
  const list = (g: string, r: string) => emu.store.list(emu.type(g, r), '');
  return {
    nodes: list('', 'nodes')
      .map((n) => {
        const rec = n.metadata.annotations?.['certdrift.io/rotation'];
        const state = rec ? (JSON.parse(rec) as { state: string }).state : '-';
        const cordoned = (n.spec as { unschedulable?: boolean }).unschedulable === true;
        return `${n.metadata.name} ${state}${cordoned ? ' cordoned' : ''}`;
      })
      .sort(),
    pods: list('', 'pods')
      .map((p) => p.metadata.name)
      .sort(),
    machines: list('cluster.x-k8s.io', 'machines')
      .map((m) => m.metadata.name)
      .sort(),
    claims: list('karpenter.sh', 'nodeclaims')
      .map((c) => c.metadata.name)
      .sort(),
  };
}

/** successful writes per method and path: a call that changed state */
export function writesOf(emu: KubeEmulator): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of emu.requests)
    if (r.method !== 'GET' && r.code < 300) {
      const k = `${r.method} ${r.path}`;
      out[k] = (out[k] ?? 0) + 1;
    }
  return out;
}
