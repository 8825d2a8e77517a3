// The calls `certdrift rotate` makes, over the project's client: list pods (for drains) and
// NodeClaims (for Karpenter), read and write the rotation Lease, and execute the API calls the
// pure step planner (src/rotate) produced — exactly those, so a dry run shows what --apply does.
// Evictions go through a client that does not retry 429 itself: a PodDisruptionBudget's 429 is
// an answer the rotation waits on between steps, not a transient error to hammer.
// Pods are listed per drained node with the field selector `spec.nodeName=<node>`, as kubectl
// drain lists them (k8s.io/kubectl/pkg/drain GetPodsForDeletion): the server filters, so a step
// never pages through every pod of the cluster. `selector` (a label selector, as `kubectl drain
// --selector`) limits the fleet to the nodes it matches: only those are planned and acted on;
// every Node is still read, since a group's capacity is the whole group's (issue #21 finding 4).
// The rotation state (rotation-state.ts) is the ConfigMap certdrift-rotation-state in certdrift's
// namespace, read once per step and written with optimistic concurrency: every write carries the
// resourceVersion read; on 409 the object is read again and the change re-applied only if each
// entry it touches is still what the step decided on — otherwise the write is refused (the next
// step decides again). A write past the state's size bound is refused, never truncated.

import type { Fleet } from '../../fleet/fleet.js';
import {
  groupOfMachine,
  groupOfNode,
  groupOfNodeClaim,
  kindOfGroup,
} from '../../fleet/node-group.js';
import { selectedFleet } from '../../fleet/from-cluster.js';
import type { LiveJob } from '../../rotate/actuators/in-place.js';
import type { LeaseView } from '../../rotate/lease/lease-decision.js';
import type {
  ApiCall,
  LabelSelector,
  Departing,
  LiveMachine,
  LiveMachineHealthCheck,
  LiveNode,
  LiveNodeClaim,
  LivePod,
} from '../../rotate/rotate-types.js';
import { nodeInfoOf } from './map-objects.js';
import { listRenewJobs } from './renew-jobs.js';
import type { HttpCluster } from './http-cluster.js';
import { KubeApi, messageOf } from './kube-api.js';
import { ClusterError, type NodeInfo } from '../../model/cluster.js';
import {
  applyChange,
  formatState,
  MAX_STATE_BYTES,
  parseState,
  STATE_KEY,
  STATE_NAME,
  type RotationState,
  type StateChange,
} from '../../rotate/rotation-state.js';

/** attempts of a state write that keeps meeting 409 (another writer) before it gives up */
const STATE_ATTEMPTS = 5;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const time = (v: unknown): Date | null => {
  const t = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isNaN(t) ? null : new Date(t);
};

export type CallResult = 'done' | 'already-done' | 'blocked';

/** a Node as the rotation sees it (the online client and the offline preview share it) */
export function liveNodeOf(v: unknown): LiveNode {
  return liveNodeOfInfo(nodeInfoOf(v));
}

/** a node's link to the objects it cannot write: its Machine (status.nodeRef), its group */
export interface NodeLink {
  machine?: LiveMachine;
  /** from the Machine or the NodeClaim; absent: the node's labels decide */
  group?: string;
}

function liveNodeOfInfo(n: NodeInfo, link: NodeLink = {}): LiveNode {
  const labelled = groupOfNode(n.labels, n.annotations);
  const group = link.group ?? labelled;
  return {
    name: n.name,
    uid: n.uid,
    group,
    kind: kindOfGroup(group),
    ...(link.machine ? { machine: link.machine } : {}),
    ...(labelled !== group ? { labelGroup: labelled } : {}),
    labels: n.labels,
    annotations: n.annotations,
    unschedulable: n.unschedulable,
    providerID: n.providerID ?? '',
    ready: n.conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
  };
}

/**
 * The field manager that owns spec.unschedulable (server-side apply's metadata.managedFields:
 * `fieldsV1` has `f:spec` → `f:unschedulable`), '' when none says so; several owners (a field
 * set to the same value by two managers is shared) are joined with ",". Bounded: at most 64
 * entries are looked at, each name at most 128 characters.
 */
export function unschedulableManager(v: unknown): string {
  const fields = obj(obj(v).metadata).managedFields;
  if (!Array.isArray(fields)) return '';
  const by = new Set<string>();
  for (const f of fields.slice(0, 64)) {
    const e = obj(f);
    if ('f:unschedulable' in obj(obj(e.fieldsV1)['f:spec'])) by.add(str(e.manager).slice(0, 128));
  }
  return [...by].sort().join(',');
}

/** the DaemonSet a pod's controller ownerReference claims (kubectl: metav1.GetControllerOf) */
function daemonSetClaimOf(v: unknown): { namespace: string; name: string; uid: string } | null {
  const meta = obj(obj(v).metadata);
  const owners = Array.isArray(meta.ownerReferences) ? meta.ownerReferences : [];
  const ref = owners.map(obj).find((o) => o.controller === true);
  if (ref?.kind !== 'DaemonSet') return null;
  return { namespace: str(meta.namespace), name: str(ref.name), uid: str(ref.uid) };
}

export function podOf(v: unknown): LivePod {
  const p = obj(v);
  const meta = obj(p.metadata);
  const owners = Array.isArray(meta.ownerReferences) ? meta.ownerReferences : [];
  const phase = str(obj(p.status).phase);
  const volumes = obj(p.spec).volumes;
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(meta.annotations)))
    if (typeof v === 'string') annotations[k] = v;
  const controller = owners.map(obj).find((o) => o.controller === true);
  const ownerUid = str(controller?.uid).slice(0, 64);
  return {
    namespace: str(meta.namespace),
    name: str(meta.name),
    node: str(obj(p.spec).nodeName),
    ...(ownerUid !== '' ? { ownerUid } : {}),
    ...(phase === 'Pending' ? { pending: true } : {}),
    daemonSet: owners.some((o) => obj(o).kind === 'DaemonSet' && obj(o).controller === true),
    mirror: 'kubernetes.io/config.mirror' in obj(meta.annotations),
    finished: phase === 'Succeeded' || phase === 'Failed',
    terminating: typeof meta.deletionTimestamp === 'string',
    // kubectl's unreplicatedFilter: metav1.GetControllerOf — an ownerReference with controller: true
    controlled: owners.some((o) => obj(o).controller === true),
    // kubectl's localStorageFilter: any volume with an emptyDir source
    emptyDir: Array.isArray(volumes) && volumes.some((v) => 'emptyDir' in obj(v)),
    annotations,
  };
}

function leaseOf(v: unknown): LeaseView {
  const l = obj(v);
  const spec = obj(l.spec);
  const d = spec.leaseDurationSeconds;
  const tr = spec.leaseTransitions;
  return {
    holder: str(spec.holderIdentity),
    durationSeconds: typeof d === 'number' ? d : 0,
    renewTime: time(spec.renewTime),
    acquireTime: time(spec.acquireTime),
    transitions: typeof tr === 'number' ? tr : 0,
    resourceVersion: str(obj(l.metadata).resourceVersion),
  };
}

const strings = (v: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(obj(v))) if (typeof x === 'string') out[k] = x;
  return out;
};

export function machineOf(v: unknown): LiveMachine {
  const m = obj(v);
  const meta = obj(m.metadata);
  const ann = obj(meta.annotations);
  const owners = Array.isArray(meta.ownerReferences) ? meta.ownerReferences.map(obj) : [];
  // The controller ownerReference, as metav1.GetControllerOf: never an annotation.
  const owner = owners.find((o) => o.controller === true);
  return {
    namespace: str(meta.namespace),
    name: str(meta.name),
    nodeName: str(obj(obj(m.status).nodeRef).name),
    providerID: str(obj(m.spec).providerID),
    remediating: 'cluster.x-k8s.io/remediate-machine' in ann,
    deleting: typeof meta.deletionTimestamp === 'string',
    clusterName: str(obj(m.spec).clusterName),
    labels: strings(meta.labels),
    paused: 'cluster.x-k8s.io/paused' in ann,
    skipRemediation: 'cluster.x-k8s.io/skip-remediation' in ann,
    ...(owner ? { owner: { kind: str(owner.kind), name: str(owner.name) } } : {}),
    ...('machine.cluster.x-k8s.io/exclude-node-draining' in ann
      ? { excludeNodeDraining: true }
      : {}),
    ...drainTimeoutOf(obj(m.spec)),
  };
}

/**
 * A Machine's node drain timeout, when one is set: v1beta1 spec.nodeDrainTimeout (a
 * metav1.Duration, "10m0s"), v1beta2 spec.deletion.nodeDrainTimeoutSeconds; 0 (the default)
 * means no limit. A value that is not a plain duration counts as set (refused, never guessed).
 */
function drainTimeoutOf(spec: Record<string, unknown>): { drainTimeout?: string } {
  const v1 = spec.nodeDrainTimeout;
  if (v1 !== undefined && v1 !== null) {
    const text = typeof v1 === 'string' ? v1 : '';
    const plain = /^[0-9a-zµ.]{1,32}$/.test(text);
    if (!plain || /[1-9]/.test(text))
      return { drainTimeout: `spec.nodeDrainTimeout ${plain ? text : '(unreadable)'}` };
  }
  const v2 = obj(spec.deletion).nodeDrainTimeoutSeconds;
  if (v2 !== undefined && v2 !== null && !(typeof v2 === 'number' && v2 <= 0))
    return {
      drainTimeout: `spec.deletion.nodeDrainTimeoutSeconds ${typeof v2 === 'number' && Number.isSafeInteger(v2) ? String(v2) : '(unreadable)'}`,
    };
  return {};
}

/** a NodeClaim: status.nodeName (the Node Karpenter registered for it) is the link trusted */
export function nodeClaimOf(v: unknown): LiveNodeClaim {
  const c = obj(v);
  const meta = obj(c.metadata);
  return {
    name: str(meta.name),
    providerID: str(obj(c.status).providerID),
    nodeName: str(obj(c.status).nodeName),
    nodePool: str(obj(meta.labels)['karpenter.sh/nodepool']),
    deleting: typeof meta.deletionTimestamp === 'string',
  };
}

function selectorOf(v: unknown): LabelSelector {
  const s = obj(v);
  const exprs = Array.isArray(s.matchExpressions) ? s.matchExpressions.map(obj) : [];
  return {
    matchLabels: strings(s.matchLabels),
    matchExpressions: exprs.map((e) => ({
      key: str(e.key),
      operator: str(e.operator),
      values: Array.isArray(e.values) ? e.values.filter((x) => typeof x === 'string') : [],
    })),
  };
}

export function healthCheckOf(v: unknown): LiveMachineHealthCheck {
  const h = obj(v);
  const meta = obj(h.metadata);
  const spec = obj(h.spec);
  const status = obj(h.status);
  // v1beta2 remediation.triggerIf.unhealthyLessThanOrEqualTo; v1beta1 maxUnhealthy
  const max = obj(obj(spec.remediation).triggerIf).unhealthyLessThanOrEqualTo ?? spec.maxUnhealthy;
  const num = (x: unknown): number | undefined => (typeof x === 'number' ? x : undefined);
  const expected = num(status.expectedMachines);
  const healthy = num(status.currentHealthy);
  return {
    namespace: str(meta.namespace),
    name: str(meta.name),
    clusterName: str(spec.clusterName),
    selector: selectorOf(spec.selector),
    paused: 'cluster.x-k8s.io/paused' in obj(meta.annotations),
    ...(typeof max === 'number' || typeof max === 'string' ? { maxUnhealthy: max } : {}),
    ...(expected !== undefined ? { expectedMachines: expected } : {}),
    ...(healthy !== undefined ? { currentHealthy: healthy } : {}),
  };
}

/**
 * Each node's Machine and group from the objects Cluster API and Karpenter write, never the
 * node: the Machine whose status.nodeRef names the node, the NodeClaim whose status.nodeName
 * does (two naming one node: neither is trusted, reported). A node neither names keeps its
 * labels' group (the rotation record then pins it: recorded-group.ts).
 */
export function linkNodes(
  nodes: readonly string[],
  machines: readonly LiveMachine[],
  claims: readonly LiveNodeClaim[],
): { links: Map<string, NodeLink>; problems: string[] } {
  const names = new Set(nodes);
  const byNode = <T>(items: readonly T[], nodeOf: (x: T) => string): Map<string, T[]> => {
    const m = new Map<string, T[]>();
    for (const x of items) {
      const n = nodeOf(x);
      if (names.has(n)) m.set(n, [...(m.get(n) ?? []), x]);
    }
    return m;
  };
  const links = new Map<string, NodeLink>();
  const problems: string[] = [];
  for (const [node, ms] of byNode(machines, (m) => m.nodeName)) {
    const [m, second] = ms;
    if (!m || second) {
      problems.push(
        `${node}: Machines ${ms.map((x) => `${x.namespace}/${x.name}`).join(', ')} all name it in status.nodeRef: its group is read from its labels`,
      );
      continue;
    }
    const group = groupOfMachine(m);
    links.set(node, { machine: m, ...(group ? { group } : {}) });
  }
  for (const [node, cs] of byNode(claims, (c) => c.nodeName ?? '')) {
    const [c, second] = cs;
    if (links.has(node)) continue; // a Machine's node (CAPI's Karpenter provider): CAPI decides
    if (!c || second) {
      problems.push(
        `${node}: NodeClaims ${cs.map((x) => x.name).join(', ')} all name it in status.nodeName: its group is read from its labels`,
      );
      continue;
    }
    const group = groupOfNodeClaim(c);
    if (group) links.set(node, { group });
  }
  return { links, problems };
}

/**
 * Machines being deleted or remediated and NodeClaims being deleted whose Node is not among
 * `nodes` (gone, or never joined), with the group the object names: in flight in that group
 * until the object is gone, whoever started it (issue #21 item 2).
 */
export function departingOf(
  nodes: ReadonlySet<string>,
  machines: readonly LiveMachine[],
  claims: readonly LiveNodeClaim[],
): Departing[] {
  const out: Departing[] = [];
  for (const m of machines) {
    if (!(m.deleting || m.remediating) || nodes.has(m.nodeName)) continue;
    const group = groupOfMachine(m);
    if (group)
      out.push({
        group,
        what: `Machine ${m.namespace}/${m.name}`,
        node: m.nodeName,
        namespace: m.namespace,
      });
  }
  for (const c of claims) {
    if (c.deleting !== true || nodes.has(c.nodeName ?? '')) continue;
    const group = groupOfNodeClaim(c);
    if (group) out.push({ group, what: `NodeClaim ${c.name}`, node: c.nodeName ?? '' });
  }
  return out.slice(0, 10_000);
}

export interface RotateScope {
  /** label selector of the nodes to rotate (absent: every node) */
  selector?: string;
  /**
   * label selector of the nodes that make up the cluster for capacity (absent: every node — the
   * product's only choice; the shared test cluster gives each test its own nodes so)
   */
  fleetSelector?: string;
  /** certdrift's namespace: where the rotation state object lives (default certdrift) */
  namespace?: string;
}

/** the state ConfigMap as written: `text` under its key, with the resourceVersion read (if any) */
function stateObject(ns: string, text: string, resourceVersion: string | null): Json {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: STATE_NAME,
      namespace: ns,
      labels: {
        'app.kubernetes.io/name': 'certdrift',
        'app.kubernetes.io/component': 'rotator',
      },
      ...(resourceVersion ? { resourceVersion } : {}),
    },
    data: { [STATE_KEY]: text },
  };
}

export class RotateClient {
  private readonly evictApi: KubeApi;

  constructor(
    readonly cluster: HttpCluster,
    userAgent: string,
    readonly scope: RotateScope = {},
  ) {
    this.evictApi = cluster.api.withOptions({ userAgent, maxAttempts: 1 });
  }

  /**
   * one read of the Nodes (and NodeCertificateReports) through the project's one cluster client
   * and the one Kubernetes → fleet mapping `certdrift plan --kubernetes` uses (selectedFleet):
   * the planner's fleet and the live view
   */
  async readFleet(): Promise<Fleet & { live: LiveNode[]; departing: Departing[] }> {
    const selector = this.scope.selector;
    // Every Node, whatever the selector: a group's capacity (unavailable, in flight) and its
    // baseline are the whole group's; --selector only chooses the nodes that may be acted on.
    const scope = this.scope.fleetSelector;
    const raw = await this.cluster.listAll('/api/v1/nodes', scope ? { labelSelector: scope } : {});
    const all = raw.map(nodeInfoOf);
    const picked = selector
      ? new Set(
          (await this.cluster.listAll('/api/v1/nodes', { labelSelector: selector })).map((v) =>
            str(obj(v.metadata).name),
          ),
        )
      : null;
    const listed = picked ? all.filter((n) => picked.has(n.name)) : all;
    const reports = await this.cluster.listNodeCertificateReports();
    const problems: string[] = [];
    const machines = await this.listIfServed('/apis/cluster.x-k8s.io/v1beta1/machines', problems);
    const claims = await this.listIfServed('/apis/karpenter.sh/v1/nodeclaims', problems);
    const linked = linkNodes(
      all.map((n) => n.name),
      machines.map(machineOf),
      claims.map(nodeClaimOf),
    );
    const groups = new Map<string, string>();
    for (const [node, l] of linked.links) if (l.group) groups.set(node, l.group);
    const fleet = selectedFleet(listed, reports, selector, { requireOwner: true, groups });
    const live = raw.map((v, i) => {
      const info = all[i] as NodeInfo;
      const by = info.unschedulable ? unschedulableManager(v) : '';
      return {
        ...liveNodeOfInfo(info, linked.links.get(info.name)),
        ...(picked && !picked.has(info.name) ? { selected: false } : {}),
        ...(by !== '' ? { cordonedBy: by } : {}),
      };
    });
    for (const n of live)
      if (n.labelGroup !== undefined)
        problems.push(
          `${n.name}: its labels name group ${n.labelGroup}, its ${n.kind === 'karpenter' ? 'NodeClaim' : 'Machine'} ${n.group}: counted in ${n.group}`,
        );
    // counted only in groups that still have a node here — for a Machine, a node whose Machine
    // is in the same namespace (a MachineSet's name is unique only there): the groups this
    // rotator looks after (with --fleet-selector, its part of the cluster), never another's
    const here = new Set(
      live.map((n) => (n.machine ? `${n.machine.namespace}/${n.group}` : n.group)),
    );
    const departing = departingOf(
      new Set(all.map((n) => n.name)),
      machines.map(machineOf),
      claims.map(nodeClaimOf),
    ).filter((d) => here.has(d.namespace !== undefined ? `${d.namespace}/${d.group}` : d.group));
    return {
      ...fleet,
      problems: [
        ...fleet.problems,
        ...[...linked.problems, ...problems].map((message) => ({ source: 'kubernetes', message })),
      ],
      live,
      departing,
    };
  }

  /**
   * every object of a resource whose API may not be served (no Cluster API, no Karpenter: none)
   * or not granted (a rotator installed without the read: none, reported)
   */
  private async listIfServed(path: string, problems: string[]): Promise<Json[]> {
    try {
      return await this.cluster.listAll(path, {});
    } catch (e) {
      if (!(e instanceof ClusterError)) throw e;
      if (e.status === 404) return [];
      if (e.status === 403) {
        problems.push(
          `cannot list ${path} (403): groups are read from node labels, which a kubelet can set`,
        );
        return [];
      }
      throw e;
    }
  }

  /**
   * the pods bound to each node, one field-selected list per node (as kubectl drain). A pod whose
   * controller ownerReference claims a DaemonSet counts as DaemonSet-managed only once that
   * DaemonSet is read and has the UID the reference names (kubectl's daemonSetFilter GETs it;
   * the UID also rules out a pod naming some other DaemonSet of that name): otherwise it is an
   * orphan (`orphanOf`). One GET per distinct DaemonSet; an answer other than 200 or 404 fails
   * the step, as kubectl drain errors.
   */
  async listPods(nodes: ReadonlySet<string>): Promise<LivePod[]> {
    const out: LivePod[] = [];
    const daemonSets = new Map<string, string | null>();
    for (const node of [...nodes].sort())
      for (const p of await this.cluster.listAll('/api/v1/pods', {
        fieldSelector: `spec.nodeName=${node}`,
      })) {
        const pod = podOf(p);
        const claim = daemonSetClaimOf(p);
        if (claim === null) {
          out.push(pod);
          continue;
        }
        const key = `${claim.namespace}/${claim.name}`;
        if (!daemonSets.has(key)) daemonSets.set(key, await this.daemonSetUid(claim));
        const uid = daemonSets.get(key);
        if (uid === claim.uid && uid !== '') out.push(pod);
        else
          out.push({
            ...pod,
            daemonSet: false,
            orphanOf:
              uid === null || uid === undefined
                ? `DaemonSet ${key}, which does not exist`
                : `DaemonSet ${key} with UID ${claim.uid}, but ${key} is another object`,
          });
      }
    return out;
  }

  /**
   * the Pending pods of the cluster (one field-selected list): a Karpenter hand-over is finished
   * only when no pod of the node's owners is left Pending (claim-gone)
   */
  async listPendingPods(): Promise<LivePod[]> {
    return (
      await this.cluster.listAll('/api/v1/pods', { fieldSelector: 'status.phase=Pending' })
    ).map(podOf);
  }

  /** a DaemonSet's UID, null when it does not exist */
  private async daemonSetUid(ds: { namespace: string; name: string }): Promise<string | null> {
    if (ds.name === '' || ds.namespace === '') return null;
    const path = `/apis/apps/v1/namespaces/${encodeURIComponent(ds.namespace)}/daemonsets/${encodeURIComponent(ds.name)}`;
    const r = await this.cluster.api.call('GET', path);
    if (r.status === 404) return null;
    if (r.status !== 200)
      throw new ClusterError(`Kubernetes GET ${path}: ${r.status} ${messageOf(r)}`, r.status);
    return str(obj(obj(r.body).metadata).uid);
  }

  async listNodeClaims(): Promise<LiveNodeClaim[]> {
    return (await this.cluster.listAll('/apis/karpenter.sh/v1/nodeclaims', {})).map(nodeClaimOf);
  }

  /** the Jobs in the rotator's namespace (the in-place actuator's, and any of the same name) */
  listJobs(namespace: string): Promise<LiveJob[]> {
    return listRenewJobs(this.cluster, namespace);
  }

  async listMachines(): Promise<LiveMachine[]> {
    return (await this.cluster.listAll('/apis/cluster.x-k8s.io/v1beta1/machines', {})).map(
      machineOf,
    );
  }

  /**
   * The MachineHealthChecks (v1beta2, else v1beta1 where only that is served) and the paused
   * Clusters: what decides whether Cluster API remediates a marked Machine. A cluster serving no
   * Cluster resource has no Cluster to pause.
   */
  async listMachineHealthChecks(): Promise<{
    healthChecks: LiveMachineHealthCheck[];
    pausedClusters: string[];
  }> {
    const list = async (resource: string): Promise<Json[] | null> => {
      for (const v of ['v1beta2', 'v1beta1'])
        try {
          return await this.cluster.listAll(`/apis/cluster.x-k8s.io/${v}/${resource}`, {});
        } catch (e) {
          if (!(e instanceof ClusterError && e.status === 404)) throw e;
        }
      return null;
    };
    const checks = (await list('machinehealthchecks')) ?? [];
    const clusters = (await list('clusters')) ?? [];
    return {
      healthChecks: checks.map(healthCheckOf),
      pausedClusters: clusters
        .filter(
          (c) =>
            obj(c.spec).paused === true ||
            'cluster.x-k8s.io/paused' in obj(obj(c.metadata).annotations),
        )
        .map((c) => `${str(obj(c.metadata).namespace)}/${str(obj(c.metadata).name)}`),
    };
  }

  /**
   * Runs one planned call. Eviction answers are read as kubectl drain reads them (drain.go
   * evictPods): 429 — a PodDisruptionBudget forbids it now: `blocked`, retried next step; 404 —
   * the pod is gone: `already-done`; 500 naming "more than one PodDisruptionBudget" — the API
   * will never evict it (pkg/registry/core/pod/storage/eviction.go): `blocked`, the pod named, for
   * a person to fix the budgets; 403 with the cause NamespaceTerminating — the namespace is being
   * deleted and its pods with it: `blocked`, never a delete (kubectl waits or retries the same).
   */
  async execute(
    call: ApiCall,
    guard?: () => string | null,
  ): Promise<{ result: CallResult; message: string }> {
    const api = call.eviction ? this.evictApi : this.cluster.api;
    const r = await api.call(call.method, call.path, call.body, call.contentType, guard);
    if (r.status >= 200 && r.status < 300) return { result: 'done', message: '' };
    if (r.status === 404 && call.absentIsDone)
      return { result: 'already-done', message: messageOf(r) };
    if (r.status === 429 && call.eviction) return { result: 'blocked', message: messageOf(r) };
    if (
      r.status === 500 &&
      call.eviction &&
      /more than one PodDisruptionBudget/i.test(messageOf(r))
    )
      return {
        result: 'blocked',
        message: `${podOfEviction(call.path)}: several PodDisruptionBudgets select it, the eviction API refuses it until one is removed (${messageOf(r)})`,
      };
    if (r.status === 403 && call.eviction && namespaceTerminating(r.body))
      // kubectl drain (k8s.io/kubectl/pkg/drain/drain.go evictPods) does not delete here: a pod
      // already marked deleted is waited for, any other is retried until the namespace
      // controller marks it. So does certdrift: the pod is not deleted, the next step sees it
      // terminating (skipped, waited for) or tries the eviction again.
      return {
        result: 'blocked',
        message: `${podOfEviction(call.path)}: its namespace is being deleted (the eviction API refuses it); the namespace controller deletes the pod, the drain waits for it`,
      };
    throw new ClusterError(
      `Kubernetes ${call.method} ${call.path}: ${r.status} ${messageOf(r)}`,
      r.status,
    );
  }

  private statePath(name = STATE_NAME): string {
    const ns = encodeURIComponent(this.scope.namespace ?? 'certdrift');
    return `/api/v1/namespaces/${ns}/configmaps${name === '' ? '' : `/${name}`}`;
  }

  private async readStateObject(guard?: () => string | null): Promise<{
    state: RotationState;
    raw: Record<string, unknown>;
    resourceVersion: string | null;
  }> {
    const r = await this.cluster.api.call('GET', this.statePath(), undefined, undefined, guard);
    if (r.status === 404) return { state: parseState(undefined), raw: {}, resourceVersion: null };
    if (r.status !== 200)
      throw new ClusterError(
        `Kubernetes GET ${this.statePath()}: ${r.status} ${messageOf(r)}`,
        r.status,
      );
    const text = obj(obj(r.body).data)[STATE_KEY];
    const json = typeof text === 'string' ? text : undefined;
    let raw: Record<string, unknown> = {};
    if (json !== undefined && json.length <= MAX_STATE_BYTES * 2)
      try {
        raw = obj(obj(JSON.parse(json)).records);
      } catch {
        raw = {};
      }
    return {
      state: parseState(json),
      raw,
      resourceVersion: str(obj(obj(r.body).metadata).resourceVersion) || null,
    };
  }

  /**
   * the state object. Every Node is read whatever --selector (readFleet): a record of a node
   * outside the selection is that node's, counted, never "gone" — so `outside` is empty.
   */
  async readState(): Promise<{ state: RotationState; outside: ReadonlyMap<string, string> }> {
    const { state } = await this.readStateObject();
    return { state, outside: new Map() };
  }

  /**
   * Read, apply, PUT with the resourceVersion read; on 409 read again and re-decide. `guard` (the
   * rotation Lease) is asked before every request and each retry (KubeApi.call's beforeAttempt),
   * so no cycle lands after it closed. A start — an entry expecting no record — is not re-applied
   * after a 409: the write that won may have started another node of its group, and only the
   * step's decision checks the limits (maxUnavailable, maxInFlight) that let this one start; it
   * is `blocked` and decided again next step.
   */
  async writeState(
    change: StateChange,
    guard?: () => string | null,
  ): Promise<{ result: 'done' | 'blocked'; message: string }> {
    const starts = change.records.filter((c) => c.expect === null).map((c) => c.node);
    const startConflict = (what: string) => ({
      result: 'blocked' as const,
      message: `not written: ${what} since this step read it; the start of ${starts.join(', ')} is decided again next step (its limits re-checked)`,
    });
    for (let attempt = 1; attempt <= STATE_ATTEMPTS; attempt++) {
      const read = await this.readStateObject(guard);
      if (read.state.problems.length > 0)
        return { result: 'blocked', message: `not written: ${read.state.problems.join('; ')}` };
      const next = applyChange(read.state, change);
      if ('conflict' in next)
        return { result: 'blocked', message: `not written: ${next.conflict}` };
      const text = formatState(next.state, read.raw);
      if (text.length > MAX_STATE_BYTES)
        return {
          result: 'blocked',
          message: `not written: ${STATE_NAME} would exceed ${MAX_STATE_BYTES} bytes`,
        };
      const ns = this.scope.namespace ?? 'certdrift';
      const body = stateObject(ns, text, read.resourceVersion);
      if (read.resourceVersion === null) {
        // First write: create the object empty, then replace it like every later write (one
        // path for every change; a racing creator's 409 just means it exists now — with its
        // own records, maybe: a start is decided again next step).
        const created = await this.createState(ns, guard);
        if (created === 'conflict' && starts.length > 0)
          return startConflict(`${STATE_NAME} was created by another writer`);
        continue;
      }
      const r = await this.cluster.api.call('PUT', this.statePath(), body, undefined, guard);
      if (r.status >= 200 && r.status < 300) return { result: 'done', message: '' };
      // 409: another writer got there first: a start is decided again next step; any other
      // change is read again and applied only where each entry is still what it expects
      if (r.status === 409) {
        if (starts.length > 0) return startConflict(`${STATE_NAME} changed (409)`);
        continue;
      }
      throw new ClusterError(
        `Kubernetes write ConfigMap ${ns}/${STATE_NAME}: ${r.status} ${messageOf(r)}`,
        r.status,
      );
    }
    return {
      result: 'blocked',
      message: `not written: ${STATE_NAME} kept changing (${STATE_ATTEMPTS} conflicts)`,
    };
  }

  /** creates the state object empty; 'conflict' when another writer created it first */
  private async createState(
    ns: string,
    guard?: () => string | null,
  ): Promise<'created' | 'conflict'> {
    const empty = stateObject(ns, formatState(parseState(undefined)), null);
    const r = await this.cluster.api.call('POST', this.statePath(''), empty, undefined, guard);
    if (r.status >= 200 && r.status < 300) return 'created';
    if (r.status === 409) return 'conflict';
    throw new ClusterError(
      `Kubernetes create ConfigMap ${ns}/${STATE_NAME}: ${r.status} ${messageOf(r)}`,
      r.status,
    );
  }

  async getLease(ns: string, name: string): Promise<LeaseView | null> {
    const r = await this.cluster.api.call('GET', leasePath(ns, name));
    if (r.status === 404) return null;
    if (r.status !== 200)
      throw new ClusterError(
        `Kubernetes GET ${leasePath(ns, name)}: ${r.status} ${messageOf(r)}`,
        r.status,
      );
    return leaseOf(r.body);
  }

  /** create (no resourceVersion) or replace (with the one read); false when another run won (409) */
  async writeLease(
    ns: string,
    name: string,
    spec: Json,
    resourceVersion: string | null,
  ): Promise<boolean> {
    const body = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace: ns, ...(resourceVersion ? { resourceVersion } : {}) },
      spec,
    };
    const r =
      resourceVersion === null
        ? await this.cluster.api.call('POST', leasePath(ns, ''), body)
        : await this.cluster.api.call('PUT', leasePath(ns, name), body);
    if (r.status === 409) return false;
    if (r.status < 200 || r.status >= 300)
      throw new ClusterError(
        `Kubernetes write Lease ${ns}/${name}: ${r.status} ${messageOf(r)}`,
        r.status,
      );
    return true;
  }
}

/** `namespace/name` of the pod an eviction path names */
function podOfEviction(path: string): string {
  const m = /\/namespaces\/([^/]+)\/pods\/([^/]+)\/eviction$/.exec(path);
  return m ? `${decodeURIComponent(m[1] ?? '')}/${decodeURIComponent(m[2] ?? '')}` : path;
}

/**
 * a Status whose details.causes name NamespaceTerminating (the NamespaceLifecycle admission). A
 * StatusCause's type is serialised as `reason` (metav1.StatusCause `json:"reason"`), as the real
 * server answers (test/rotate/terminating-namespace.test.ts).
 */
function namespaceTerminating(body: Json): boolean {
  const causes = obj(body.details).causes;
  return Array.isArray(causes) && causes.some((c) => obj(c).reason === 'NamespaceTerminating');
}

function leasePath(ns: string, name: string): string {
  const base = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(ns)}/leases`;
  return name === '' ? base : `${base}/${encodeURIComponent(name)}`;
}
