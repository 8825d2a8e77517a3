// The API calls actuators share: a Node's path, the rotation record (a change of the rotation
// state object), the cordon, a pod's path, the evictions and deletions of a drain. Each returns the exact call (method, path, content type,
// body) so a dry run prints what --apply does.

import { podsToEvict } from '../drain-rules.js';
import { isControlPlane } from '../control-plane.js';
import type { RecordState, StuckFrom } from '../rotation-record.js';
import type { StateChange, StoredRecord } from '../rotation-state.js';
import type { LiveNode, LivePod, RotateAction, Step } from '../rotate-types.js';
import type { NodeContext } from './actuator.js';

export const SMP = 'application/strategic-merge-patch+json';
export const MERGE = 'application/merge-patch+json';

export const nodePath = (name: string): string => `/api/v1/nodes/${encodeURIComponent(name)}`;

export const podPath = (p: LivePod): string =>
  `/api/v1/namespaces/${encodeURIComponent(p.namespace)}/pods/${encodeURIComponent(p.name)}`;

/** what a record is written from: the node, the run, and the record the step read */
export interface RecordContext {
  node: LiveNode;
  planId: string;
  now: Date;
  /** this node's trusted record in the state object (null: none) */
  record: StoredRecord | null;
  /** the group's nodes Ready now: its baseline when this start is the group's first */
  groupReady: readonly string[];
  /** the group's node count now (kept in a first record: gone, the node is in flight until the group is back to it) */
  groupSize: number;
}

/** what a hand-over keeps in its record besides the progress (Karpenter: claim-gone) */
export type HandOverFacts = Pick<StoredRecord, 'claim' | 'owners'>;

function storedOf(
  ctx: RecordContext,
  state: RecordState,
  was?: StuckFrom,
  facts: HandOverFacts = {},
): StoredRecord {
  const claim = ctx.record?.claim ?? facts.claim;
  const owners = ctx.record?.owners ?? facts.owners ?? [];
  return {
    plan: ctx.planId,
    state,
    since: ctx.now.toISOString(),
    ...(was !== undefined ? { was } : {}),
    uid: ctx.node.uid,
    group: ctx.node.group,
    ...(isControlPlane(ctx.node) ? { controlPlane: true } : {}),
    groupSize: ctx.record?.groupSize ?? ctx.groupSize,
    ...(claim !== undefined ? { claim, owners } : {}),
  };
}

/**
 * The record change in the rotation state object (rotation-state.ts): from the record this step
 * read to `state`; a node's first record also sets its group's baseline. Never a node annotation.
 */
export function recordChange(
  ctx: RecordContext,
  state: RecordState,
  was?: StuckFrom,
  facts?: HandOverFacts,
): StateChange {
  return {
    records: [{ node: ctx.node.name, expect: ctx.record, next: storedOf(ctx, state, was, facts) }],
    baselines: ctx.record === null ? [{ group: ctx.node.group, next: ctx.groupReady }] : [],
  };
}

/** an action writing the node's record to the state object */
export function recordAction(
  ctx: RecordContext,
  step: Step,
  summary: string,
  state: RecordState,
  was?: StuckFrom,
  facts?: HandOverFacts,
): RotateAction {
  return { node: ctx.node.name, step, summary, state: recordChange(ctx, state, was, facts) };
}

export const handedOver = (ctx: RecordContext, facts?: HandOverFacts): RotateAction =>
  recordAction(
    ctx,
    'record-handed-over',
    'record the node handed over (wait until it is gone)',
    'handed-over',
    undefined,
    facts,
  );

export const cordon = (ctx: NodeContext): RotateAction => ({
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

/** the cordon where the node is not cordoned yet (a hand-over's, repeated while it waits) */
export const cordonIfNeeded = (ctx: NodeContext): RotateAction[] =>
  ctx.node.unschedulable ? [] : [cordon(ctx)];

export function evictions(ctx: NodeContext): RotateAction[] {
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

export function deletions(ctx: NodeContext): RotateAction[] {
  return podsToEvict(ctx.pods, ctx.node.name, ctx.options).map((p): RotateAction => ({
    node: ctx.node.name,
    step: 'delete-pod',
    summary: `delete pod ${p.namespace}/${p.name} (--force-after: bypasses its PodDisruptionBudget)`,
    call: { method: 'DELETE', path: podPath(p), absentIsDone: true },
  }));
}
