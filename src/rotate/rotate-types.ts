// The rotation's own view of the cluster and of what it will do. The cluster edge maps API
// objects to these types; the pure step planner (choose-work.ts, node-actions.ts) turns them
// into actions, each carrying the exact API call it makes, so a dry run prints what --apply does.

import type { GroupKind } from '../plan/node-group.js';

/** how a node is replaced; `drain` works for any node */
export type Actuator = 'kops' | 'capi' | 'karpenter' | 'drain';

export interface LiveNode {
  name: string;
  /** as `certdrift plan` names it: `kops/nodes`, `capi/md-0`, `none`, … */
  group: string;
  kind: GroupKind;
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  /** spec.unschedulable: cordoned */
  unschedulable: boolean;
  providerID: string;
}

export interface LivePod {
  namespace: string;
  name: string;
  node: string;
  /** owned by a DaemonSet: its controller ignores unschedulable and would recreate it */
  daemonSet: boolean;
  /** a static pod's mirror (annotation kubernetes.io/config.mirror): the API cannot evict it */
  mirror: boolean;
  /** Succeeded or Failed: nothing to evict */
  finished: boolean;
}

export interface ApiCall {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  path: string;
  body?: unknown;
  contentType?: string;
  /** a 404 means the work is already done (a repeated delete or eviction) */
  absentIsDone?: boolean;
  /** a 429 (PodDisruptionBudget) is an answer to wait on, not to retry inside the client */
  eviction?: boolean;
}

export type Step =
  | 'cordon'
  | 'evict'
  | 'mark-drained'
  | 'delete-node'
  | 'kops-annotate'
  | 'kops-rolling-update'
  | 'capi-remediate'
  | 'karpenter-delete'
  | 'record-handed-over';

export interface RotateAction {
  node: string;
  step: Step;
  /** one line a person reads */
  summary: string;
  /** the API call, when the step is one; absent for a command certdrift prints but does not run */
  call?: ApiCall;
  /** a command someone else runs (kops: where the state store is) */
  command?: string;
}

/** what happens to each node this step */
export type NodeState =
  | 'start'
  | 'continue'
  | 'waiting-replacement'
  | 'drained'
  | 'stuck'
  | 'outside-window'
  | 'over-limit'
  | 'not-yet'
  | 'gone';

export interface NodeWork {
  node: string;
  group: string;
  actuator: Actuator;
  state: NodeState;
  /** why: shown next to the node */
  note: string;
}

export interface RotateOptions {
  /** forces one actuator for every group (`--actuator`) */
  actuator?: Actuator;
  /** after a drain: delete the Node object (its group replaces it) or leave it cordoned */
  afterDrain: 'delete-node' | 'none';
  /** a drain longer than this is reported stuck and left cordoned */
  drainTimeoutMs: number;
  /** `kops rolling-update cluster --name`; absent: $KOPS_CLUSTER_NAME */
  kopsCluster?: string;
}
