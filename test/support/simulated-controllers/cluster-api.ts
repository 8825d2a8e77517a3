// A SIMULATION of Cluster API's core controllers (MachineHealthCheck, MachineSet, Machine) on the
// REAL API server with the REAL Cluster API v1.13 CRDs (the kit's crds/). The controllers
// themselves cannot run here: their module needs a newer Go toolchain and their webhooks a
// serving certificate setup the test control plane does not have. What they do, as documented
// (domain.md §10), and nothing more:
// - MachineHealthCheck (internal/controllers/machinehealthcheck, machinehealthcheck_targets.go
//   getTargetsFromMHC): the `cluster.x-k8s.io/remediate-machine` annotation marks a Machine
//   unhealthy ONLY if a MachineHealthCheck of its cluster (same namespace, spec.clusterName)
//   selects it (spec.selector; matchLabels only here); paused Machines (`cluster.x-k8s.io/paused`),
//   `cluster.x-k8s.io/skip-remediation` ones and an MHC over
//   spec.remediation.triggerIf.unhealthyLessThanOrEqualTo (v1beta1 maxUnhealthy) are not remediated.
// - MachineSet remediation (machineset_controller.go): an unhealthy Machine it owns is deleted;
//   then, as for any deleted Machine, it creates a replacement to get back to spec.replicas —
//   after the deletion started, never before (no surge).
// - Machine deletion (machine_controller.go reconcileDelete): the finalizer
//   `machine.cluster.x-k8s.io` holds the Machine while its Node (found by providerID) is drained
//   (kubectl drain's rules) and deleted; then the finalizer goes and the Machine with it.
// - A new Machine's Node joins after the boot time with the annotations Cluster API's Machine
//   controller writes on it (cluster-name, cluster-namespace, machine, owner-kind, owner-name).
// KubeadmControlPlane's own remediation is not simulated: certdrift never marks its Machines.

import {
  annotationsOf,
  cordon,
  Delays,
  deleteNode,
  deleting,
  drainPass,
  joinNode,
  metaOf,
  nameOf,
  nodesOf,
  obj,
  suffix,
  text,
  type SimEnv,
  type SimLog,
} from './common.js';
import type { ApiClient, Obj } from '../control-plane/index.js';

const V = '/apis/cluster.x-k8s.io/v1beta2';
const FINALIZER = 'machine.cluster.x-k8s.io';
const SET_LABEL = 'cluster.x-k8s.io/set-name';
const CLUSTER_LABEL = 'cluster.x-k8s.io/cluster-name';
export const REMEDIATE = 'cluster.x-k8s.io/remediate-machine';

const providerIdOf = (name: string): string => `aws:///eu-west-1a/i-${name}`;

/** the annotations Cluster API's Machine controller puts on a Machine's Node */
export function capiNodeAnnotations(
  machine: string,
  ns: string,
  owner: { kind: string; name: string },
  cluster = 'c1',
): Record<string, string> {
  return {
    'cluster.x-k8s.io/cluster-name': cluster,
    'cluster.x-k8s.io/cluster-namespace': ns,
    'cluster.x-k8s.io/machine': machine,
    'cluster.x-k8s.io/owner-kind': owner.kind,
    'cluster.x-k8s.io/owner-name': owner.name,
  };
}

export async function createMachineSet(
  admin: ApiClient,
  ns: string,
  name: string,
  replicas: number,
  cluster = 'c1',
): Promise<Obj> {
  return admin.create(`${V}/namespaces/${ns}/machinesets`, {
    apiVersion: 'cluster.x-k8s.io/v1beta2',
    kind: 'MachineSet',
    metadata: { name },
    spec: {
      clusterName: cluster,
      replicas,
      selector: { matchLabels: { [SET_LABEL]: name } },
      template: {
        metadata: { labels: { [SET_LABEL]: name, [CLUSTER_LABEL]: cluster } },
        spec: machineSpec(cluster, name),
      },
    },
  });
}

function machineSpec(cluster: string, name: string): object {
  return {
    clusterName: cluster,
    bootstrap: { dataSecretName: `${name}-bootstrap` },
    infrastructureRef: {
      apiGroup: 'infrastructure.cluster.x-k8s.io',
      kind: 'DockerMachine',
      name,
    },
  };
}

/** a Machine owned by `set` (its controller), with the finalizer the Machine controller adds */
export async function createMachine(
  admin: ApiClient,
  ns: string,
  name: string,
  set: Obj,
  cluster = 'c1',
): Promise<Obj> {
  const setName = nameOf(set);
  return admin.create(`${V}/namespaces/${ns}/machines`, {
    apiVersion: 'cluster.x-k8s.io/v1beta2',
    kind: 'Machine',
    metadata: {
      name,
      labels: { [SET_LABEL]: setName, [CLUSTER_LABEL]: cluster },
      finalizers: [FINALIZER],
      ownerReferences: [
        {
          apiVersion: 'cluster.x-k8s.io/v1beta2',
          kind: 'MachineSet',
          name: setName,
          uid: String(metaOf(set).uid),
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: { ...machineSpec(cluster, name), providerID: providerIdOf(name) },
  });
}

export async function createMachineHealthCheck(
  admin: ApiClient,
  ns: string,
  name: string,
  matchLabels: Record<string, string>,
  opts: { unhealthyLessThanOrEqualTo?: number | string; paused?: boolean; cluster?: string } = {},
): Promise<Obj> {
  return admin.create(`${V}/namespaces/${ns}/machinehealthchecks`, {
    apiVersion: 'cluster.x-k8s.io/v1beta2',
    kind: 'MachineHealthCheck',
    metadata: { name, ...(opts.paused ? { annotations: { 'cluster.x-k8s.io/paused': '' } } : {}) },
    spec: {
      clusterName: opts.cluster ?? 'c1',
      selector: { matchLabels },
      ...(opts.unhealthyLessThanOrEqualTo !== undefined
        ? {
            remediation: {
              triggerIf: { unhealthyLessThanOrEqualTo: opts.unhealthyLessThanOrEqualTo },
            },
          }
        : {}),
    },
  });
}

const labelsOf = (o: Obj): Record<string, string> =>
  obj(metaOf(o).labels) as Record<string, string>;

function selects(mhc: Obj, machine: Obj): boolean {
  const spec = obj(mhc.spec);
  if (spec.clusterName !== obj(machine.spec).clusterName) return false;
  const want = obj(obj(spec.selector).matchLabels) as Record<string, string>;
  const have = labelsOf(machine);
  return Object.entries(want).every(([k, v]) => have[k] === v);
}

function maxUnhealthy(mhc: Obj, targets: number): number {
  const v = obj(obj(obj(mhc.spec).remediation).triggerIf).unhealthyLessThanOrEqualTo;
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.endsWith('%'))
    return Math.floor((Number(v.slice(0, -1)) * targets) / 100);
  return Number.POSITIVE_INFINITY; // unset: 100%
}

interface Join {
  at: number;
  machine: string;
  ns: string;
  set: string;
}

export class ClusterApiControllers {
  private readonly delays: Delays;
  private joins: Join[] = [];
  /** why each annotated Machine was not remediated (the MHC's reason), for the tests */
  readonly refused = new Map<string, string>();

  constructor(
    private readonly env: SimEnv,
    private readonly log: SimLog,
    /** the namespaces of the clusters' objects */
    private readonly namespaces: string[],
  ) {
    this.delays = new Delays(env);
  }

  async tick(): Promise<void> {
    for (const ns of this.namespaces) await this.reconcile(ns);
    const due = this.joins.filter((j) => j.at <= this.env.now());
    this.joins = this.joins.filter((j) => j.at > this.env.now());
    for (const j of due)
      await joinNode(
        this.env,
        this.log,
        j.machine,
        {},
        capiNodeAnnotations(j.machine, j.ns, { kind: 'MachineSet', name: j.set }),
        providerIdOf(j.machine),
      );
  }

  private async reconcile(ns: string): Promise<void> {
    const { admin } = this.env;
    const machines = await admin.list(`${V}/namespaces/${ns}/machines`);
    const mhcs = await admin.list(`${V}/namespaces/${ns}/machinehealthchecks`);
    // MachineHealthCheck + MachineSet remediation
    for (const m of machines) {
      if (deleting(m) || annotationsOf(m)[REMEDIATE] === undefined) continue;
      const why = this.remediationRefused(m, machines, mhcs);
      if (why !== null) {
        this.refused.set(`${ns}/${nameOf(m)}`, why);
        continue;
      }
      const owner = (metaOf(m).ownerReferences as { kind: string }[] | undefined)?.[0];
      if (owner?.kind !== 'MachineSet') continue;
      await admin.request('DELETE', `${V}/namespaces/${ns}/machines/${nameOf(m)}`);
    }
    // Machine deletion: drain, delete the Node, remove the finalizer
    const nodes = await nodesOf(this.env);
    for (const m of await admin.list(`${V}/namespaces/${ns}/machines`)) {
      if (!deleting(m)) continue;
      const pid = text(obj(m.spec).providerID);
      const node = nodes.find((n) => obj(n.spec).providerID === pid);
      if (node) {
        await cordon(admin, nameOf(node));
        const drained = await drainPass(admin, nameOf(node));
        const key = `delete/${ns}/${nameOf(m)}`;
        if (!drained || !this.delays.after(key, this.env.timings.terminateMs)) continue;
        await deleteNode(admin, nameOf(node), this.log);
      }
      await admin.patch(`${V}/namespaces/${ns}/machines/${nameOf(m)}`, {
        metadata: { finalizers: null },
      });
    }
    // MachineSet: back to spec.replicas, counting Machines not being deleted
    const live = await admin.list(`${V}/namespaces/${ns}/machines`);
    for (const set of await admin.list(`${V}/namespaces/${ns}/machinesets`)) {
      const uid = String(metaOf(set).uid);
      const owned = live.filter(
        (m) =>
          !deleting(m) &&
          ((metaOf(m).ownerReferences as { uid: string }[] | undefined) ?? []).some(
            (o) => o.uid === uid,
          ),
      );
      const want = Number(obj(set.spec).replicas ?? 1);
      for (let i = owned.length; i < want; i++) {
        const name = `${nameOf(set)}-${suffix()}`;
        await createMachine(admin, ns, name, set);
        this.joins.push({
          at: this.env.now() + this.env.timings.joinMs,
          machine: name,
          ns,
          set: nameOf(set),
        });
      }
    }
  }

  /** null: remediate; else why not (the MachineHealthCheck's rules, above) */
  private remediationRefused(m: Obj, machines: Obj[], mhcs: Obj[]): string | null {
    const ann = annotationsOf(m);
    if ('cluster.x-k8s.io/paused' in ann) return 'the Machine is paused';
    if ('cluster.x-k8s.io/skip-remediation' in ann) return 'the Machine skips remediation';
    const mhc = mhcs.find((h) => selects(h, m));
    if (!mhc) return 'no MachineHealthCheck selects the Machine';
    if ('cluster.x-k8s.io/paused' in annotationsOf(mhc)) return 'its MachineHealthCheck is paused';
    const targets = machines.filter((x) => selects(mhc, x));
    const unhealthy = targets.filter(
      (x) => deleting(x) || annotationsOf(x)[REMEDIATE] !== undefined,
    );
    if (unhealthy.length > maxUnhealthy(mhc, targets.length))
      return `${unhealthy.length} unhealthy Machines exceed the MachineHealthCheck's limit`;
    return null;
  }
}
