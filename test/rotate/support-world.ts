// A world for multi-step rotation tests on the REAL control plane: the rotator's shipped RBAC
// (every actuator component: an operator's full install) in the test's own namespace, the
// project's client as the rotator's ServiceAccount limited to this test's nodes (--selector),
// the controllers certdrift hands nodes to — simulated (test/support/simulated-controllers: they
// cannot run here) and acting on the real server as admin — and a clock for the product.
//
// The clock: `now` is real time plus a virtual offset; each of the product's sleeps waits a short
// real pause (the real controllers — scheduler, ReplicaSets, disruption, KWOK's pod lifecycle —
// get to act), then moves the offset by the rest of the sleep and lets the simulated controllers
// act on their virtual delays. A 30 s poll is a quarter second; drain and replace timeouts of
// minutes pass in seconds, while pods still take their real (1 s) grace period to go.
// Due nodes are old by their NodeCertificateReport (lab.oldNode); replacements have none: new.

import type { RotateClient } from '../../src/adapters/kube/rotate-client.js';
import type {
  Clock,
  LiveMachine,
  LiveNodeClaim,
  LivePod,
  RotateEdge,
} from '../../src/rotate/index.js';
import type { ControlPlane } from '../support/control-plane/index.js';
import type { SimLog, SimEnv, Timings } from '../support/simulated-controllers/common.js';
import { ClusterApiControllers } from '../support/simulated-controllers/cluster-api.js';
import { KarpenterControllers } from '../support/simulated-controllers/karpenter.js';
import { KopsRollingUpdate } from '../support/simulated-controllers/kops.js';
import type { TestContext } from 'node:test';
import { rotatorLab, type Component, type RotatorLab } from './rotator-cluster.js';

/** every actuator component of deploy/rotator */
export const ALL_COMPONENTS: readonly Component[] = [
  'drain',
  'delete-node',
  'force',
  'capi',
  'karpenter',
];

/** real time each product sleep takes: enough for a scheduler / KWOK round */
export const REAL_PAUSE_MS = 250;

export interface World {
  lab: RotatorLab;
  cp: ControlPlane;
  client: RotateClient;
  /** the namespace of the workloads (pods, Deployments, budgets) */
  apps: string;
  /** the namespace of the Cluster API objects */
  clusters: string;
  kops: KopsRollingUpdate;
  capi: ClusterApiControllers;
  karpenter: KarpenterControllers;
  log: SimLog;
  clock: Clock;
  /** hooks run after every sleep (after the controllers) */
  onTick: (() => Promise<void>)[];
  /** the audit log position when the world was made */
  mark: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function world(
  t: TestContext,
  timings: Timings = { terminateMs: 60_000, joinMs: 90_000 },
  components: readonly Component[] = ALL_COMPONENTS,
): Promise<World | undefined> {
  const lab = await rotatorLab(t, components);
  if (!lab) return undefined;
  const { cp } = lab;
  // The simulated controllers read Machines and NodeClaims whatever the rotator is granted.
  await cp.installCrds(['cluster.x-k8s.io', 'controlplane', 'karpenter']);
  const apps = await cp.namespace(t, 'apps');
  const clusters = await cp.namespace(t, 'clusters');
  // Established is not serving: a fresh CRD's storage answers 429 for a moment.
  await cp.waitFor('the Cluster API and Karpenter resources serve', 30_000, async () => {
    for (const r of ['machines', 'machinesets', 'machinehealthchecks'])
      await cp.admin.list(`/apis/cluster.x-k8s.io/v1beta2/namespaces/${clusters}/${r}`);
    await cp.admin.list('/apis/cluster.x-k8s.io/v1beta1/machines?limit=1');
    await cp.admin.list('/apis/karpenter.sh/v1/nodeclaims?limit=1');
    return true;
  });
  let offset = 0;
  const env: SimEnv = {
    admin: cp.admin,
    now: () => Date.now() + offset,
    label: lab.label,
    timings,
  };
  const log: SimLog = { joined: [], deleted: [] };
  const kops = new KopsRollingUpdate(env, log);
  const capi = new ClusterApiControllers(env, log, [clusters]);
  const karpenter = new KarpenterControllers(env, log, [apps]);
  const onTick: (() => Promise<void>)[] = [];
  const mark = cp.auditMark();
  return {
    lab,
    cp,
    client: lab.client(),
    apps,
    clusters,
    kops,
    capi,
    karpenter,
    log,
    onTick,
    mark,
    clock: {
      now: () => new Date(env.now()),
      sleep: async (ms: number) => {
        await sleep(Math.min(ms, REAL_PAUSE_MS));
        offset += Math.max(0, ms - REAL_PAUSE_MS);
        await kops.tick();
        await capi.tick();
        await karpenter.tick();
        for (const h of onTick) await h();
      },
    },
  };
}

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
    listMachineHealthChecks: () => guard(() => client.listMachineHealthChecks()),
    execute: (
      call: Parameters<RotateClient['execute']>[0],
      check?: Parameters<RotateClient['execute']>[1],
    ) =>
      guard(async () => {
        const r = await client.execute(call, check);
        edge.calls++;
        if (edge.calls === after) dead = true;
        return r;
      }),
    readState: () => guard(() => client.readState()),
    writeState: (change: Parameters<RotateClient['writeState']>[0]) =>
      guard(async () => {
        const r = await client.writeState(change);
        edge.calls++;
        if (edge.calls === after) dead = true;
        return r;
      }),
  };
  return edge;
}

/**
 * The rotator's successful writes per `VERB path` from the real server's audit log (the calls
 * that changed state), since the world was made.
 */
export async function writesOf(w: World): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const e of await w.cp.audit(w.lab.user, w.mark)) {
    if (['get', 'list', 'watch'].includes(e.verb)) continue;
    if ((e.responseStatus?.code ?? 0) >= 300) continue;
    const k = `${e.verb} ${e.requestURI.split('?')[0] ?? ''}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/** every request of the rotator since the world was made: `verb path code` */
export async function requestsOf(w: World): Promise<string[]> {
  return (await w.cp.audit(w.lab.user, w.mark)).map(
    (e) => `${e.verb} ${e.requestURI.split('?')[0] ?? ''} ${e.responseStatus?.code ?? 0}`,
  );
}
