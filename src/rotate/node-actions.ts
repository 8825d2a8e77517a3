// The actions for one node's work, each with the exact API call (or, for kops, the command an
// operator runs where the state store is). Order matters and is the order of execution: the
// actuator's own call first and the progress record after it, so an interruption between the
// two repeats an idempotent call instead of recording work that never happened. A drain cordons
// and records in one patch, so a cordoned node always carries its record. Which pods a drain
// evicts, skips or refuses is kubectl drain's rule (drain-rules.ts). A drain finishes only in a
// later step whose fresh pod list shows nothing left but skipped pods (the evicted pods are gone,
// not just terminating); past --force-after the remaining evictable pods are deleted instead of
// evicted — a refused pod never is. A pod already terminating is never evicted or deleted again.

import { inPlaceActions, type LiveJob } from './actuators/in-place.js';
import { drainFinished, podsToEvict } from './drain-rules.js';
import {
  formatRecord,
  ROTATION_ANNOTATION,
  type RecordState,
  type StuckFrom,
} from './rotation-record.js';
import type {
  ApiCall,
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
  /** the Jobs in the rotator's namespace (in-place only) */
  jobs?: readonly LiveJob[];
  /** the group's perNode time: the in-place Job's deadline */
  perNodeMs?: number;
}

const nodePath = (name: string): string => `/api/v1/nodes/${encodeURIComponent(name)}`;
const record = (ctx: NodeContext, state: RecordState, was?: StuckFrom): string =>
  formatRecord({
    plan: ctx.planId,
    state,
    since: ctx.now.toISOString(),
    ...(was !== undefined ? { was } : {}),
  });

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
    call: recordCall(ctx, 'drained', MERGE),
  };
}

function recordCall(
  ctx: NodeContext,
  state: RecordState,
  contentType: string,
  was?: StuckFrom,
): ApiCall {
  return {
    method: 'PATCH',
    path: nodePath(ctx.node.name),
    body: { metadata: { annotations: { [ROTATION_ANNOTATION]: record(ctx, state, was) } } },
    contentType,
  };
}

const handedOver = (ctx: NodeContext): RotateAction => ({
  node: ctx.node.name,
  step: 'record-handed-over',
  summary: 'record the node handed over (wait until it is gone)',
  call: recordCall(ctx, 'handed-over', MERGE),
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
        call: recordCall(ctx, 'stuck', MERGE, work.recordStuck),
      },
    ];
  if (work.actuator === 'in-place')
    return inPlaceActions(work, {
      node: ctx.node,
      jobs: ctx.jobs ?? [],
      planId: ctx.planId,
      now: ctx.now,
      settings: ctx.options.inPlace,
      perNodeMs: ctx.perNodeMs ?? 20 * 60_000,
    });
  if (work.state === 'blocked' && work.evictOthers === true)
    return work.force === true ? deletions(ctx) : evictions(ctx);
  if (work.state === 'continue') {
    // Finished only when a fresh list shows nothing left but skipped pods: terminating pods are
    // waited for, and a refused pod keeps the node unfinished (blocked) for a person to decide.
    if (drainFinished(ctx.pods, name, ctx.options)) return [finishDrain(ctx)];
    return work.force === true ? deletions(ctx) : evictions(ctx);
  }
  if (work.state !== 'start') return [];
  switch (work.actuator) {
    case 'drain':
      return [
        {
          node: name,
          step: 'cordon',
          summary: 'cordon the node and record the drain',
          call: {
            method: 'PATCH',
            path: nodePath(name),
            body: {
              metadata: { annotations: { [ROTATION_ANNOTATION]: record(ctx, 'cordoned') } },
              spec: { unschedulable: true },
            },
            contentType: SMP,
          },
        },
        ...evictions(ctx),
      ];
    case 'kops':
      return [
        {
          node: name,
          step: 'kops-annotate',
          summary: `mark the node for kops rolling-update (${KOPS_NEEDS_UPDATE}) and record it handed over`,
          call: {
            method: 'PATCH',
            path: nodePath(name),
            body: {
              metadata: {
                annotations: {
                  [KOPS_NEEDS_UPDATE]: '',
                  [ROTATION_ANNOTATION]: record(ctx, 'handed-over'),
                },
              },
            },
            contentType: MERGE,
          },
        },
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
