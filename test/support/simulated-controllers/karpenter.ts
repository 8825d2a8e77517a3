// A SIMULATION of Karpenter v1's termination controller and provisioner on the REAL API server
// with the REAL Karpenter v1.14 CRDs (NodeClaim, NodePool from the kit). Karpenter itself cannot
// run here (its module needs a newer Go toolchain; the kwok provider needs webhooks). What it
// does, as documented (karpenter.sh/docs/concepts/disruption#termination-controller,
// /docs/concepts/scheduling; domain.md §10), and nothing more:
// - Termination: a NodeClaim with a deletionTimestamp, held by the `karpenter.sh/termination`
//   finalizer, gets its Node (matched by providerID) tainted `karpenter.sh/disrupted:NoSchedule`,
//   its pods evicted through the Eviction API (PodDisruptionBudgets honoured: a 429 waits; the
//   do-not-disrupt hold up to terminationGracePeriod is not simulated), and once only DaemonSet
//   pods are left the instance terminated and the Node deleted; then the finalizer goes.
// - Provisioning: Karpenter does NOT replace a deleted NodeClaim one for one. It launches a
//   NodeClaim only for pods that do not fit anywhere (Pending with PodScheduled=False,
//   reason Unschedulable) and select one of its NodePools (here: by the nodeSelector
//   `karpenter.sh/nodepool`); its Node joins after the boot time.

import {
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
import { RUN_LABEL, type ApiClient, type Obj } from '../control-plane/index.js';

const CLAIMS = '/apis/karpenter.sh/v1/nodeclaims';
export const TERMINATION_FINALIZER = 'karpenter.sh/termination';
export const NODEPOOL_LABEL = 'karpenter.sh/nodepool';

export const karpenterProviderId = (name: string): string => `aws:///eu-west-1a/i-${name}`;

/** a launched NodeClaim (its status set as the launch controller sets it) */
export async function createNodeClaim(
  admin: ApiClient,
  name: string,
  pool: string,
  label: string,
  /** the Node it registered (status.nodeName); default: the claim's own name */
  nodeName = name,
): Promise<Obj> {
  const claim = await admin.create(CLAIMS, {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: {
      name,
      labels: { [NODEPOOL_LABEL]: pool, [RUN_LABEL]: label },
      finalizers: [TERMINATION_FINALIZER],
    },
    spec: {
      nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
      requirements: [{ key: NODEPOOL_LABEL, operator: 'In', values: [pool] }],
    },
  });
  await admin.patch(`${CLAIMS}/${name}/status`, {
    status: { providerID: karpenterProviderId(name), nodeName },
  });
  return claim;
}

interface Launch {
  at: number;
  name: string;
  pool: string;
}

export class KarpenterControllers {
  private readonly delays: Delays;
  private launches: Launch[] = [];
  /** pending pods a launch was made for (one NodeClaim per pod here: they spread one per node) */
  private readonly provisioned = new Set<string>();

  constructor(
    private readonly env: SimEnv,
    private readonly log: SimLog,
    /** namespaces whose pending pods the provisioner looks at */
    private readonly namespaces: string[],
  ) {
    this.delays = new Delays(env);
  }

  async tick(): Promise<void> {
    await this.terminate();
    await this.provision();
    const due = this.launches.filter((l) => l.at <= this.env.now());
    this.launches = this.launches.filter((l) => l.at > this.env.now());
    for (const l of due)
      await joinNode(
        this.env,
        this.log,
        l.name,
        { [NODEPOOL_LABEL]: l.pool },
        {},
        karpenterProviderId(l.name),
      );
  }

  private async terminate(): Promise<void> {
    const { admin } = this.env;
    const claims = await admin.list(
      `${CLAIMS}?labelSelector=${encodeURIComponent(`${RUN_LABEL}=${this.env.label}`)}`,
    );
    const nodes = await nodesOf(this.env);
    for (const c of claims) {
      if (!deleting(c)) continue;
      const pid = text(obj(c.status).providerID);
      const node = nodes.find((n) => obj(n.spec).providerID === pid);
      if (node) {
        const name = nameOf(node);
        const taints = (obj(node.spec).taints as unknown[] | undefined) ?? [];
        if (!taints.some((t) => obj(t).key === 'karpenter.sh/disrupted'))
          await admin.patch(`/api/v1/nodes/${name}`, {
            spec: {
              taints: [...taints, { key: 'karpenter.sh/disrupted', effect: 'NoSchedule' }],
            },
          });
        const drained = await drainPass(admin, name);
        if (!drained || !this.delays.after(`terminate/${nameOf(c)}`, this.env.timings.terminateMs))
          continue;
        await deleteNode(admin, name, this.log);
      }
      await admin.patch(`${CLAIMS}/${nameOf(c)}`, { metadata: { finalizers: null } });
    }
  }

  private async provision(): Promise<void> {
    for (const ns of this.namespaces) {
      const pending = await this.env.admin.list(
        `/api/v1/namespaces/${ns}/pods?fieldSelector=${encodeURIComponent('spec.nodeName=,status.phase=Pending')}`,
      );
      for (const p of pending) {
        const uid = String(metaOf(p).uid);
        if (this.provisioned.has(uid) || deleting(p)) continue;
        const unschedulable = ((obj(p.status).conditions as unknown[] | undefined) ?? []).some(
          (c) =>
            obj(c).type === 'PodScheduled' &&
            obj(c).status === 'False' &&
            obj(c).reason === 'Unschedulable',
        );
        const pool = (obj(obj(p.spec).nodeSelector) as Record<string, string>)[NODEPOOL_LABEL];
        if (!unschedulable || pool === undefined) continue;
        this.provisioned.add(uid);
        const name = `${pool}-${suffix()}`;
        await createNodeClaim(this.env.admin, name, pool, this.env.label);
        this.launches.push({ at: this.env.now() + this.env.timings.joinMs, name, pool });
      }
    }
  }
}
