// The actions for one node's work, each with the exact API call (or, for kops, the command an
// operator runs where the state store is). Order matters and is the order of execution. The
// progress record lives in the rotation state object (rotation-state.ts), written with the
// record it expects to replace. kops, Cluster API and Karpenter: the actuator's own call first
// and the record after it, so an interruption between the two repeats an idempotent call (an
// already-marked Machine or deleting NodeClaim is recognised) instead of recording work that
// never happened. A drain records first and cordons after: a cordon without a record would read
// as someone else's cordon (left alone), while a record without a cordon is finished by the
// next step, which cordons again before evicting. Which pods a drain
// evicts, skips or refuses is kubectl drain's rule (drain-rules.ts). A drain finishes only in a
// later step whose fresh pod list shows nothing left but skipped pods (the evicted pods are gone,
// not just terminating); past --force-after the remaining evictable pods are deleted instead of
// evicted — a refused pod never is. A pod already terminating is never evicted or deleted again.

import { drainFinished, podsToEvict } from './drain-rules.js';
import { isControlPlane } from './control-plane.js';
import type { RecordState } from './rotation-record.js';
import type { StateChange, StoredRecord } from './rotation-state.js';
import type {
  LiveNode,
  LiveMachine,
  LiveNodeClaim,
  LivePod,
  NodeWork,
  RotateAction,
  RotateOptions,
} from './rotate-types.js';

export const KOPS_NEEDS_UPDATE = 'kops.k8s.io/needs-update';
export const CAPI_MACHINE = 'cluster.x-k8s.io/machine';
export const CAPI_NAMESPACE = 'cluster.x-k8s.io/cluster-namespace';
export const CAPI_REMEDIATE = 'cluster.x-k8s.io/remediate-machine';

const SMP = 'application/strategic-merge-patch+json';
const MERGE = 'application/merge-patch+json';

export interface NodeContext {
  node: LiveNode;
  /** the pods bound to this node (drains only) */
  pods: readonly LivePod[];
  /** NodeClaims as (name, providerID) (Karpenter only) */
  nodeClaims: readonly LiveNodeClaim[];
  /** Cluster API Machines (capi only) */
  machines: readonly LiveMachine[];
  planId: string;
  now: Date;
  options: RotateOptions;
  /** this node's trusted record in the state object (null: none) */
  record: StoredRecord | null;
  /** the group's nodes Ready now: its baseline when this start is the group's first */
  groupReady: readonly string[];
  /** the group's node count now (kept in a first record: gone, the node is in flight until the group is back to it) */
  groupSize: number;
}

const nodePath = (name: string): string => `/api/v1/nodes/${encodeURIComponent(name)}`;
const storedOf = (
  ctx: NodeContext,
  state: RecordState,
  was?: 'cordoned' | 'handed-over',
): StoredRecord => ({
  plan: ctx.planId,
  state,
  since: ctx.now.toISOString(),
  ...(was !== undefined ? { was } : {}),
  uid: ctx.node.uid,
  group: ctx.node.group,
  ...(isControlPlane(ctx.node) ? { controlPlane: true } : {}),
  groupSize: ctx.record?.groupSize ?? ctx.groupSize,
});

/** the record change: from the record read to `state`; a first record sets the group baseline */
function change(
  ctx: NodeContext,
  state: RecordState,
  was?: 'cordoned' | 'handed-over',
): StateChange {
  return {
    records: [{ node: ctx.node.name, expect: ctx.record, next: storedOf(ctx, state, was) }],
    baselines: ctx.record === null ? [{ group: ctx.node.group, next: ctx.groupReady }] : [],
  };
}

const podPath = (p: LivePod): string =>
  `/api/v1/namespaces/${encodeURIComponent(p.namespace)}/pods/${encodeURIComponent(p.name)}`;

function deletions(ctx: NodeContext): RotateAction[] {
  return podsToEvict(ctx.pods, ctx.node.name, ctx.options).map((p): RotateAction => ({
    node: ctx.node.name,
    step: 'delete-pod',
    summary: `delete pod ${p.namespace}/${p.name} (--force-after: bypasses its PodDisruptionBudget)`,
    call: { method: 'DELETE', path: podPath(p), absentIsDone: true },
  }));
}

function evictions(ctx: NodeContext): RotateAction[] {
  return podsToEvict(ctx.pods, ctx.node.name, ctx.options).map((p): RotateAction => ({
    node: ctx.node.name,
    step: 'evict',
    summary: `evict pod ${p.namespace}/${p.name} (policy/v1 Eviction, honours PodDisruptionBudgets)`,
    call: {
      method: 'POST',
      path: `${podPath(p)}/eviction`,
      body: {
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: { name: p.name, namespace: p.namespace },
      },
      eviction: true,
      absentIsDone: true,
    },
  }));
}

function finishDrain(ctx: NodeContext): RotateAction {
  const name = ctx.node.name;
  if (ctx.options.afterDrain === 'delete-node')
    return {
      node: name,
      step: 'delete-node',
      summary: 'delete the drained Node object; its group replaces the machine',
      call: { method: 'DELETE', path: nodePath(name), absentIsDone: true },
    };
  return {
    node: name,
    step: 'mark-drained',
    summary: 'record the node drained (it stays cordoned for its group to replace)',
    state: change(ctx, 'drained'),
  };
}

const handedOver = (ctx: NodeContext): RotateAction => ({
  node: ctx.node.name,
  step: 'record-handed-over',
  summary: 'record the node handed over (wait until it is gone)',
  state: change(ctx, 'handed-over'),
});

const cordon = (ctx: NodeContext): RotateAction => ({
  node: ctx.node.name,
  step: 'cordon',
  summary: 'cordon the node (spec.unschedulable)',
  call: {
    method: 'PATCH',
    path: nodePath(ctx.node.name),
    body: { spec: { unschedulable: true } },
    contentType: SMP,
  },
});

/** the Machines whose status.nodeRef names this node, or whose providerID is the node's */
export function machinesOf(ctx: Pick<NodeContext, 'node' | 'machines'>): LiveMachine[] {
  const { node } = ctx;
  return ctx.machines.filter(
    (m) =>
      (m.nodeName !== '' && m.nodeName === node.name) ||
      (m.providerID !== '' && m.providerID === node.providerID),
  );
}

export function kopsCommand(group: string, options: RotateOptions): string {
  const ig = group.slice(group.indexOf('/') + 1);
  const name = options.kopsCluster ?? '"$KOPS_CLUSTER_NAME"';
  return `kops rolling-update cluster --name ${name} --instance-group ${ig} --yes`;
}

/** actions for a node in state `start` or `continue`, or stuck by a timeout; others have none */
export function nodeActions(work: NodeWork, ctx: NodeContext): RotateAction[] {
  const name = ctx.node.name;
  if (work.state === 'stuck' && work.recordStuck !== undefined)
    return [
      {
        node: name,
        step: 'record-stuck',
        summary: `record the node stuck (${work.recordStuck} past its timeout): reported, not retried`,
        state: change(ctx, 'stuck', work.recordStuck),
      },
    ];
  if (work.state === 'blocked' && work.evictOthers === true)
    return work.force === true ? deletions(ctx) : evictions(ctx);
  if (work.state === 'continue') {
    // Finished only when a fresh list shows nothing left but skipped pods: terminating pods are
    // waited for, and a refused pod keeps the node unfinished (blocked) for a person to decide.
    // Recorded but not cordoned (interrupted between the two): cordon before evicting.
    const again = ctx.node.unschedulable ? [] : [cordon(ctx)];
    if (drainFinished(ctx.pods, name, ctx.options)) return [...again, finishDrain(ctx)];
    return [...again, ...(work.force === true ? deletions(ctx) : evictions(ctx))];
  }
  if (work.state !== 'start') return [];
  switch (work.actuator) {
    case 'drain':
      return [
        {
          node: name,
          step: 'record-cordoned',
          summary: 'record the drain in the rotation state (before the cordon)',
          state: change(ctx, 'cordoned'),
        },
        cordon(ctx),
        ...evictions(ctx),
      ];
    case 'kops':
      // Already marked (an interrupted run marked it, or anyone did): the same value would be
      // written again; only the record is missing. The decision to hand it over is this step's.
      if (ctx.node.annotations[KOPS_NEEDS_UPDATE] !== undefined) return [handedOver(ctx)];
      return [
        {
          node: name,
          step: 'kops-annotate',
          summary: `mark the node for kops rolling-update (${KOPS_NEEDS_UPDATE})`,
          call: {
            method: 'PATCH',
            path: nodePath(name),
            body: { metadata: { annotations: { [KOPS_NEEDS_UPDATE]: '' } } },
            contentType: MERGE,
          },
        },
        handedOver(ctx),
      ];
    case 'capi': {
      // The Machine is the one Cluster API linked to this node (status.nodeRef, or the same
      // providerID before it did) — never a node annotation, which the node's own kubelet may
      // write (DESIGN.md convention 13). Two candidates: not ours to guess.
      const found = machinesOf(ctx);
      if (found.length !== 1) return [];
      const m = found[0];
      if (!m) return [];
      const ns = m.namespace;
      const machine = m.name;
      // Already marked or being replaced (an interrupted run): only the record is missing.
      if (m.remediating || m.deleting) return [handedOver(ctx)];
      return [
        {
          node: name,
          step: 'capi-remediate',
          summary: `ask Cluster API to remediate Machine ${ns}/${machine} (MachineHealthCheck trigger)`,
          call: {
            method: 'PATCH',
            path: `/apis/cluster.x-k8s.io/v1beta1/namespaces/${encodeURIComponent(ns)}/machines/${encodeURIComponent(machine)}`,
            body: { metadata: { annotations: { [CAPI_REMEDIATE]: '' } } },
            contentType: MERGE,
          },
        },
        handedOver(ctx),
      ];
    }
    case 'karpenter': {
      const claim = ctx.nodeClaims.find(
        (c) => c.providerID !== '' && c.providerID === ctx.node.providerID,
      );
      if (!claim) return [];
      // Already being deleted (an interrupted run deleted it): only the record is missing.
      if (claim.deleting === true) return [handedOver(ctx)];
      return [
        {
          node: name,
          step: 'karpenter-delete',
          summary: `delete NodeClaim ${claim.name}; Karpenter drains and replaces the node`,
          call: {
            method: 'DELETE',
            path: `/apis/karpenter.sh/v1/nodeclaims/${encodeURIComponent(claim.name)}`,
            absentIsDone: true,
          },
        },
        handedOver(ctx),
      ];
    }
  }
}
