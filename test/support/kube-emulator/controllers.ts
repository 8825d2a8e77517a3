// The controllers `certdrift rotate` hands nodes to, simulated on the emulation's store (they are
// not certdrift: their writes bypass the request log, as another component's would), each doing
// what its project documents, with delays a test drives through `tick()`:
// - kops rolling-update (kops pkg/instancegroups/instancegroups.go rollingUpdateInstanceGroup):
//   replaces the group's nodes marked `kops.k8s.io/needs-update`, one at a time: drain, delete
//   the instance (the Node goes), a new instance joins and turns Ready;
// - Cluster API MachineHealthCheck manual remediation (https://cluster-api.sigs.k8s.io/tasks/
//   automated-machine-management/healthchecking: a Machine annotated
//   `cluster.x-k8s.io/remediate-machine` is remediated; a MachineSet's Machine is deleted and the
//   MachineSet creates a new one) and Machine deletion (https://cluster-api.sigs.k8s.io/developer/
//   core/controllers/machine: drain, delete the Node, remove the finalizer); the new Machine's
//   Node carries the annotations the Machine controller sets (machine, cluster-namespace,
//   owner-kind, owner-name);
// - Karpenter's termination controller (https://karpenter.sh/docs/concepts/disruption/
//   #termination-controller): a NodeClaim deleted through its `karpenter.sh/termination`
//   finalizer has its node drained and deleted, then the finalizer goes; the provisioner launches
//   a replacement NodeClaim whose Node joins the same NodePool.
// Pods on a deleted Node are removed (pod garbage collection of orphaned pods,
// pkg/controller/podgc/gc_controller.go gcOrphaned).

import type { KubeEmulator } from './server.js';
import type { KObj } from './store.js';

export interface Timings {
  /** from the trigger to the old Node's deletion */
  terminateMs: number;
  /** from the deletion to the replacement Node joining Ready */
  joinMs: number;
}

type Json = Record<string, unknown>;

export function readyCondition(ready = true): Json {
  return {
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', reason: 'KubeletReady' }],
  };
}

interface Pending {
  at: number;
  make: () => void;
}

export class NodeControllers {
  private seen = new Map<string, number>();
  private pending: Pending[] = [];
  private counter = 0;
  /** names of the Nodes created as replacements, in order */
  readonly joined: string[] = [];
  /** the deleted Nodes, in order */
  readonly deleted: string[] = [];
  /** kops rolling-update runs only when the operator ran the printed command */
  kopsRunning = false;

  constructor(
    private readonly emu: KubeEmulator,
    private readonly timings: Timings,
  ) {}

  private nodes(): KObj[] {
    return this.emu.store.list(this.emu.type('', 'nodes'), '');
  }

  private deleteNode(name: string): void {
    const pods = this.emu.type('', 'pods');
    for (const p of this.emu.store.list(pods, ''))
      if ((p.spec as { nodeName?: string } | undefined)?.nodeName === name)
        this.emu.store.delete(pods, p.metadata.namespace ?? '', p.metadata.name);
    this.emu.store.delete(this.emu.type('', 'nodes'), '', name);
    this.deleted.push(name);
  }

  private join(node: KObj): void {
    this.emu.seed('', 'nodes', { ...node, status: readyCondition() });
    this.joined.push(node.metadata.name);
  }

  /** first time a trigger is seen; true once `terminateMs` has passed since */
  private due(key: string): boolean {
    const now = this.emu.now();
    const first = this.seen.get(key) ?? now;
    this.seen.set(key, first);
    return now - first >= this.timings.terminateMs;
  }

  tick(): void {
    const now = this.emu.now();
    for (const p of this.pending.filter((x) => x.at <= now)) p.make();
    this.pending = this.pending.filter((x) => x.at > now);
    this.kops();
    this.capi();
    this.karpenter();
  }

  private later(make: () => void): void {
    this.pending.push({ at: this.emu.now() + this.timings.joinMs, make });
  }

  private kops(): void {
    if (!this.kopsRunning) return;
    // one at a time per instance group, as kops' default maxUnavailable 1
    const marked = this.nodes().filter(
      (n) => n.metadata.annotations?.['kops.k8s.io/needs-update'] !== undefined,
    );
    const first = marked[0];
    if (!first || !this.due(`kops/${first.metadata.name}`)) return;
    const ig = first.metadata.labels?.['kops.k8s.io/instancegroup'] ?? '';
    this.deleteNode(first.metadata.name);
    const name = `${ig}-r${++this.counter}`;
    this.later(() => {
      this.join({
        metadata: { name, labels: { 'kops.k8s.io/instancegroup': ig } },
        spec: { providerID: `aws:///eu-west-1a/i-${name}` },
      });
    });
  }

  private capi(): void {
    const machines = this.emu.type('cluster.x-k8s.io', 'machines');
    for (const m of this.emu.store.list(machines, '')) {
      if (m.metadata.annotations?.['cluster.x-k8s.io/remediate-machine'] === undefined) continue;
      const ns = m.metadata.namespace ?? '';
      if (!this.due(`capi/${ns}/${m.metadata.name}`)) continue;
      const node = this.nodes().find(
        (n) =>
          n.metadata.annotations?.['cluster.x-k8s.io/machine'] === m.metadata.name &&
          n.metadata.annotations['cluster.x-k8s.io/cluster-namespace'] === ns,
      );
      const owner = node?.metadata.annotations?.['cluster.x-k8s.io/owner-name'] ?? 'md-0';
      if (node) this.deleteNode(node.metadata.name);
      this.emu.store.delete(machines, ns, m.metadata.name);
      const name = `${owner}-r${++this.counter}`;
      this.emu.seed('cluster.x-k8s.io', 'machines', {
        metadata: { name, namespace: ns },
        spec: { clusterName: 'c1' },
      });
      this.later(() => {
        this.join(capiNode(name, ns, owner));
      });
    }
  }

  private karpenter(): void {
    const claims = this.emu.type('karpenter.sh', 'nodeclaims');
    for (const c of this.emu.store.list(claims, '')) {
      if (c.metadata.deletionTimestamp === undefined) continue;
      if (!this.due(`karpenter/${c.metadata.name}`)) continue;
      const pid = (c.status as { providerID?: string } | undefined)?.providerID;
      const node = this.nodes().find((n) => (n.spec as { providerID?: string }).providerID === pid);
      const pool = node?.metadata.labels?.['karpenter.sh/nodepool'] ?? 'default';
      if (node) this.deleteNode(node.metadata.name);
      this.emu.store.delete(claims, '', c.metadata.name); // the finalizer removed: gone
      const name = `${pool}-r${++this.counter}`;
      this.later(() => {
        const claim = karpenterClaim(name);
        this.emu.seed('karpenter.sh', 'nodeclaims', claim);
        this.join(karpenterNode(name, pool));
      });
    }
  }
}

export function capiNode(name: string, ns: string, owner: string, ownerKind = 'MachineSet'): KObj {
  return {
    metadata: {
      name,
      annotations: {
        'cluster.x-k8s.io/machine': name,
        'cluster.x-k8s.io/cluster-namespace': ns,
        'cluster.x-k8s.io/cluster-name': 'c1',
        'cluster.x-k8s.io/owner-kind': ownerKind,
        'cluster.x-k8s.io/owner-name': owner,
      },
    },
    spec: { providerID: `aws:///eu-west-1a/i-${name}` },
  };
}

export function karpenterNode(name: string, pool: string): KObj {
  return {
    metadata: { name, labels: { 'karpenter.sh/nodepool': pool } },
    spec: { providerID: `aws:///eu-west-1a/i-${name}` },
  };
}

export function karpenterClaim(name: string): KObj {
  return {
    metadata: { name, finalizers: ['karpenter.sh/termination'] },
    spec: {},
    status: { providerID: `aws:///eu-west-1a/i-${name}` },
  };
}
