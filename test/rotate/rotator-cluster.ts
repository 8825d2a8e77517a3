// The real control plane as the in-cluster rotator meets it: the NodeCertificateReport CRD of
// deploy/base and the rendered deploy/rotator with the actuator components an operator chose,
// installed into the test's own namespace (install.ts: the namespace `certdrift` becomes the
// test's, cluster roles get its suffix), and clients that authenticate as the ServiceAccount the
// rotator's Deployment names — a TokenRequest token in a token file and the cluster CA, as a pod
// sees them, never an administrator. The admin client is only for the test playing the other
// actors (kops, Cluster API, Karpenter, a workload's owner).
//
// The cluster is shared with other test files: every Node a test makes carries its own label
// (RUN_LABEL=<lab.label>) and a unique name, and every rotation is limited to them with
// `--selector` (RotateClient's scope); the Lease lives in the test's namespace (`--namespace`).

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { inClusterConnection } from '../../src/adapters/kube/connect.js';
import { HttpCluster } from '../../src/adapters/kube/http-cluster.js';
import { KubeApi } from '../../src/adapters/kube/kube-api.js';
import { RotateClient } from '../../src/adapters/kube/rotate-client.js';
import { LEASE_NAME } from '../../src/adapters/kube/rotate-lock.js';
import {
  haveKubectl,
  renderDeploy,
  renderOverlay,
  type Manifest,
} from '../support/deploy-manifests.js';
import {
  RUN_LABEL,
  unique,
  useControlPlane,
  type ControlPlane,
  type Obj,
} from '../support/control-plane/index.js';
import { install } from '../support/control-plane/install.js';

export type Component = 'drain' | 'delete-node' | 'force' | 'capi' | 'karpenter' | 'in-place';

export const DAY_MS = 86_400_000;

/** deploy/rotator with the given actuator components, rendered as an overlay */
export function rotatorManifests(components: readonly Component[]): Manifest[] {
  return renderOverlay(
    ['rotator'],
    components.map((c) => `rotator/actuators/${c}`),
  );
}

/** the ServiceAccount the rendered Deployment runs as */
export function rotatorAccount(manifests: Manifest[]): { namespace: string; name: string } {
  const d = manifests.find(
    (m) => m.kind === 'Deployment' && m.metadata.name === 'certdrift-rotator',
  );
  if (!d) throw new Error('deploy/rotator renders no certdrift-rotator Deployment');
  const spec = d.spec as { template: { spec: { serviceAccountName: string } } };
  return { namespace: d.metadata.namespace ?? '', name: spec.template.spec.serviceAccountName };
}

export interface NodeOpts {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  providerID?: string;
  /** false: nothing heartbeats (the test plays its kubelet) */
  kubelet?: boolean;
  unschedulable?: boolean;
}

export interface RotatorLab {
  cp: ControlPlane;
  /** the install namespace: the rotator's ServiceAccount, its Lease Role, the Lease */
  namespace: string;
  /** the rotator's identity as the audit log names it */
  user: string;
  /** this test's value of RUN_LABEL on every Node it makes */
  label: string;
  /** `--selector` of this test's nodes */
  selector: string;
  manifests: Manifest[];
  token: string;
  /** a unique name for a Node of this test (`prefix-<random>`) */
  name(prefix: string): string;
  /**
   * the rotator's RotateClient (its own token file, user agent, and --selector); the cluster it
   * counts capacity over is this test's nodes (the control plane is shared by the test files)
   */
  client(userAgent?: string, selector?: string): RotateClient;
  /** a kubeconfig with the rotator's token, for the CLI's --kubernetes */
  kubeconfig(): string;
  /** a Node of this test; KWOK keeps it Ready unless kubelet is false */
  node(name: string, opts?: NodeOpts): Promise<Obj>;
  /**
   * A Node due for rotation: its NodeCertificateReport (written as the agent would, through the
   * status subresource) says its certificates expire `deadlineAgoMs` ago. Nodes without a report
   * are new: due only at creation + maxNodeAge (a year by default).
   */
  oldNode(name: string, opts?: NodeOpts, deadlineAgoMs?: number): Promise<Obj>;
  /** the Lease as the server has it (null: none yet) */
  lease(): Promise<{
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    renewTime?: string;
    leaseTransitions?: number;
  } | null>;
  /** an object as the server has it (admin), null when it does not exist */
  get(path: string): Promise<Obj | null>;
}

/** Skips (laptop) or fails (CI) without kubectl (it renders deploy/) or a control plane. */
export function controlPlaneFor(t: TestContext): ControlPlane | undefined {
  if (!haveKubectl()) {
    if (process.env.CI) throw new Error('kubectl is required under CI (renders deploy/)');
    t.skip('kubectl is not installed (renders deploy/)');
    return undefined;
  }
  return useControlPlane(t);
}

export async function rotatorLab(
  t: TestContext,
  components: readonly Component[],
  rotator: Manifest[] = rotatorManifests(components),
): Promise<RotatorLab | undefined> {
  const cp = controlPlaneFor(t);
  if (!cp) return undefined;
  const crds = renderDeploy('base').filter((m) => m.kind === 'CustomResourceDefinition');
  const installed = await install(cp, t, [...crds, ...rotator]);
  const namespace = installed.namespace;
  const sa = rotatorAccount(rotator);
  // A token valid for a day of real time: these runs span minutes (virtual hours do not age it).
  const token = await cp.token(namespace, sa.name, { create: false, expirationSeconds: 86_400 });
  const label = unique('rot');
  const selector = `${RUN_LABEL}=${label}`;
  const reports = new Set<string>();
  t.after(async () => {
    // Cluster-scoped leftovers: this test's Nodes (the simulated controllers' too) and reports.
    for (const n of await cp.admin.list(`/api/v1/nodes?labelSelector=${selector}`))
      await cp.admin.request('DELETE', `/api/v1/nodes/${String(n.metadata?.name)}`);
    for (const r of reports)
      await cp.admin.request('DELETE', `/apis/certdrift.io/v1alpha1/nodecertificatereports/${r}`);
  });
  const url = new URL(cp.url);
  const saDir = mkdtempSync(join(tmpdir(), 'certdrift-rotator-sa-'));
  writeFileSync(join(saDir, 'ca.crt'), cp.ca);
  writeFileSync(join(saDir, 'token'), token);
  const node = async (name: string, opts: NodeOpts = {}): Promise<Obj> => {
    const created = await cp.node(name, {
      ...opts,
      labels: { ...opts.labels, [RUN_LABEL]: label },
    });
    if (opts.kubelet !== false) await cp.nodeReady(name);
    return created;
  };
  const get = async (path: string): Promise<Obj | null> => {
    const r = await cp.admin.request('GET', path);
    if (r.status === 404) return null;
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.text}`);
    return r.body;
  };
  return {
    cp,
    namespace,
    user: `system:serviceaccount:${namespace}:${sa.name}`,
    label,
    selector,
    manifests: installed.objects,
    token,
    name: (prefix) => unique(prefix),
    client: (userAgent = 'certdrift/test', only = selector) => {
      const conn = inClusterConnection(
        { KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port },
        { dir: saDir },
      );
      if (!conn) throw new Error('no in-cluster connection');
      const api = new KubeApi(conn, { userAgent, sleep: () => Promise.resolve() });
      return new RotateClient(new HttpCluster(api), userAgent, {
        selector: only,
        fleetSelector: selector,
        namespace,
      });
    },
    kubeconfig: () => cp.kubeconfig(token),
    node,
    oldNode: async (name, opts = {}, deadlineAgoMs = DAY_MS) => {
      const n = await node(name, opts);
      // owned by its Node, as the agent writes it (publish.ts): rotate matches a report by UID
      const uid = (n.metadata as { uid?: string } | undefined)?.uid ?? '';
      await cp.admin.create('/apis/certdrift.io/v1alpha1/nodecertificatereports', {
        apiVersion: 'certdrift.io/v1alpha1',
        kind: 'NodeCertificateReport',
        metadata: { name, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid }] },
      });
      reports.add(name);
      await cp.admin.patch(`/apis/certdrift.io/v1alpha1/nodecertificatereports/${name}/status`, {
        status: { deadline: new Date(Date.now() - deadlineAgoMs).toISOString() },
      });
      return n;
    },
    lease: async () => {
      const l = await get(
        `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${LEASE_NAME}`,
      );
      return l ? (l.spec as Awaited<ReturnType<RotatorLab['lease']>>) : null;
    },
    get,
  };
}

/**
 * the rotation record's state for a Node in the rotation state object (ConfigMap
 * certdrift-rotation-state in the lab's namespace), `-` when absent, null when the Node is gone
 */
export async function recordOf(lab: RotatorLab, node: string): Promise<string | null> {
  const n = await lab.get(`/api/v1/nodes/${node}`);
  if (!n) return null;
  const cm = await lab.get(
    `/api/v1/namespaces/${lab.namespace}/configmaps/certdrift-rotation-state`,
  );
  const text = (cm?.data as Record<string, string> | undefined)?.['state.json'];
  if (text === undefined) return '-';
  const records =
    (
      JSON.parse(text) as {
        records?: Record<string, { state: string; was?: string; uid?: string }>;
      }
    ).records ?? {};
  const rec = records[node];
  if (rec === undefined || rec.uid !== n.metadata?.uid) return '-';
  return rec.was ? `${rec.state}/${rec.was}` : rec.state;
}

export async function unschedulable(lab: RotatorLab, node: string): Promise<boolean> {
  const n = await lab.get(`/api/v1/nodes/${node}`);
  return (n?.spec as { unschedulable?: boolean } | undefined)?.unschedulable === true;
}

/**
 * a person removing a node's entry from the rotation state object (to retry a stuck node, or to
 * play an interruption that lost the record): the admin's GET and a PUT carrying its
 * resourceVersion, so a concurrent write of the rotator fails the test instead of being lost
 */
export async function removeRecord(lab: RotatorLab, node: string): Promise<void> {
  const path = `/api/v1/namespaces/${lab.namespace}/configmaps/certdrift-rotation-state`;
  const r = await lab.cp.admin.request('GET', path);
  if (r.status !== 200) throw new Error(`no rotation state object (${r.status})`);
  const data = (r.body.data as Record<string, string> | undefined) ?? {};
  const state = JSON.parse(data['state.json'] ?? '{}') as { records?: Record<string, unknown> };
  if (!state.records || !(node in state.records)) throw new Error(`${node}: no entry to remove`);
  state.records = Object.fromEntries(Object.entries(state.records).filter(([n]) => n !== node));
  const put = await lab.cp.admin.request('PUT', path, {
    ...r.body,
    data: { ...data, 'state.json': JSON.stringify(state) },
  });
  if (put.status !== 200) throw new Error(`removing ${node}'s entry: ${put.status}`);
}
