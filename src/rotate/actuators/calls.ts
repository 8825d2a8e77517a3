// The API calls actuators share: a Node's path, the rotation record patch, a pod's path, the
// evictions and deletions of a drain. Each returns the exact call (method, path, content type,
// body) so a dry run prints what --apply does.

import { podsToEvict } from '../drain-rules.js';
import {
  formatRecord,
  ROTATION_ANNOTATION,
  type RecordState,
  type StuckFrom,
} from '../rotation-record.js';
import type { ApiCall, LivePod, RotateAction } from '../rotate-types.js';
import type { NodeContext } from './actuator.js';

export const SMP = 'application/strategic-merge-patch+json';
export const MERGE = 'application/merge-patch+json';

export const nodePath = (name: string): string => `/api/v1/nodes/${encodeURIComponent(name)}`;

export const podPath = (p: LivePod): string =>
  `/api/v1/namespaces/${encodeURIComponent(p.namespace)}/pods/${encodeURIComponent(p.name)}`;

export function recordValue(ctx: NodeContext, state: RecordState, was?: StuckFrom): string {
  return formatRecord({
    plan: ctx.planId,
    state,
    since: ctx.now.toISOString(),
    ...(was !== undefined ? { was } : {}),
  });
}

export function recordCall(ctx: NodeContext, state: RecordState, was?: StuckFrom): ApiCall {
  return {
    method: 'PATCH',
    path: nodePath(ctx.node.name),
    body: {
      metadata: { annotations: { [ROTATION_ANNOTATION]: recordValue(ctx, state, was) } },
    },
    contentType: MERGE,
  };
}

export const handedOver = (ctx: NodeContext): RotateAction => ({
  node: ctx.node.name,
  step: 'record-handed-over',
  summary: 'record the node handed over (wait until it is gone)',
  call: recordCall(ctx, 'handed-over'),
});

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
