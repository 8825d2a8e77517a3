// The rotation's own view of the cluster and of what it will do. The cluster edge maps API
// objects to these types; the pure step planner (choose-work.ts, node-actions.ts) turns them
// into actions, each carrying the exact API call it makes, so a dry run prints what --apply does.

import type { GroupKind } from '../fleet/node-group.js';
import type { InPlaceSettings } from './actuators/in-place.js';
import type { StuckFrom } from './rotation-record.js';
import type { StateChange } from './rotation-state.js';

/** how a node is replaced (`in-place`: renewed on the node instead); `drain` works for any node */
export type Actuator = 'kops' | 'capi' | 'karpenter' | 'drain' | 'in-place';

export interface LiveNode {
  name: string;
  /** metadata.uid: a recreated node of the same name is another node */
  uid: string;
  /** as `certdrift plan` names it: `kops/nodes`, `capi/md-0`, `none`, … */
  group: string;
  kind: GroupKind;
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  /** spec.unschedulable: cordoned */
  unschedulable: boolean;
  providerID: string;
  /** the Ready condition is True; absent when the edge did not say (treated as not Ready) */
  ready?: boolean;
  /**
   * matched by --selector: may be acted on. Absent: true. A node outside the selection is still
   * counted (its group's capacity, records in flight) but never started or continued.
   */
  selected?: boolean;
  /**
   * the field manager that set spec.unschedulable (metadata.managedFields), when the edge read
   * it. Only ever used to be LESS strict about the cluster-wide slot (capacity.ts): anyone who
   * can update a Node can write managedFields.
   */
  cordonedBy?: string;
  /** the one Machine whose status.nodeRef names it (Cluster API's own link), when listed */
  machine?: LiveMachine;
  /**
   * the group its own labels/annotations name, when `group` came from elsewhere (its Machine,
   * its NodeClaim, its rotation record) and differs: reported, never used
   */
  labelGroup?: string;
}

/** a Cluster API Machine as the rotation sees it */
export interface LiveMachine {
  namespace: string;
  name: string;
  /** status.nodeRef.name: the Node Cluster API linked to it ('' until it did) */
  nodeName: string;
  /** spec.providerID: the instance ('' until the infrastructure provider set it) */
  providerID: string;
  /** carries cluster.x-k8s.io/remediate-machine already (an interrupted run set it) */
  remediating: boolean;
  /** marked for deletion: Cluster API is already replacing it */
  deleting: boolean;
  /** spec.clusterName: a MachineHealthCheck selects only its own cluster's Machines */
  clusterName?: string;
  /** metadata.labels: what a MachineHealthCheck's selector matches */
  labels?: Readonly<Record<string, string>>;
  /** carries cluster.x-k8s.io/paused: no controller acts on it */
  paused?: boolean;
  /** carries cluster.x-k8s.io/skip-remediation: the MachineHealthCheck never remediates it */
  skipRemediation?: boolean;
  /** its controller ownerReference (kind, name): MachineSet, KubeadmControlPlane, … */
  owner?: { kind: string; name: string };
  /** carries machine.cluster.x-k8s.io/exclude-node-draining: deleted without a drain */
  excludeNodeDraining?: boolean;
  /**
   * a node drain timeout is set (v1beta1 spec.nodeDrainTimeout, v1beta2
   * spec.deletion.nodeDrainTimeoutSeconds; 0 means none): the field and its value, printable
   */
  drainTimeout?: string;
}

/** a label selector as Kubernetes writes it (metav1.LabelSelector) */
export interface LabelSelector {
  matchLabels?: Readonly<Record<string, string>>;
  matchExpressions?: readonly { key: string; operator: string; values?: readonly string[] }[];
}

/** a Cluster API MachineHealthCheck as the rotation sees it */
export interface LiveMachineHealthCheck {
  namespace: string;
  name: string;
  clusterName: string;
  selector: LabelSelector;
  /** carries cluster.x-k8s.io/paused */
  paused: boolean;
  /**
   * v1beta1 spec.maxUnhealthy / v1beta2 spec.remediation.triggerIf.unhealthyLessThanOrEqualTo:
   * a count or a percentage ("40%"); absent: 100%
   */
  maxUnhealthy?: number | string;
  /** status.expectedMachines and status.currentHealthy, when the controller wrote them */
  expectedMachines?: number;
  currentHealthy?: number;
}

/**
 * A Machine being deleted or remediated, or a NodeClaim being deleted, whose Node is already gone
 * (or never joined): capacity its group lost and has not got back (issue #21 item 2). Its group
 * comes from the object (the Machine's owner, the NodeClaim's NodePool), never from a node.
 */
export interface Departing {
  group: string;
  /** `Machine ns/name` or `NodeClaim name`, for the note */
  what: string;
  /** the Node it was linked to ('' when it never joined) */
  node: string;
  /** a Machine's namespace (a MachineSet's name is unique only there); absent for a NodeClaim */
  namespace?: string;
}

/** a Karpenter NodeClaim as the rotation sees it */
export interface LiveNodeClaim {
  name: string;
  providerID: string;
  /** status.nodeName: the Node Karpenter registered for it ('' until it did) — the link trusted */
  nodeName?: string;
  /** metadata.labels['karpenter.sh/nodepool']: its NodePool (the group), set by Karpenter */
  nodePool?: string;
  /** marked for deletion (deletionTimestamp): Karpenter is already terminating it */
  deleting?: boolean;
}

export interface LivePod {
  namespace: string;
  name: string;
  node: string;
  /**
   * owned by a DaemonSet: its controller ignores unschedulable and would recreate it. The live
   * client sets it only once the DaemonSet its controller ownerReference names was read (same
   * name and UID); the offline preview takes the ownerReference's word
   */
  daemonSet: boolean;
  /**
   * its controller ownerReference claims a DaemonSet that does not exist (or is another object
   * of that name): an orphan, refused unless --force (kubectl's daemonSetFilter)
   */
  orphanOf?: string;
  /** a static pod's mirror (annotation kubernetes.io/config.mirror): the API cannot evict it */
  mirror: boolean;
  /** Succeeded or Failed: nothing to evict */
  finished: boolean;
  /** marked for deletion (deletionTimestamp): evicted already, still shutting down */
  terminating?: boolean;
  /** has a controller ownerReference (something recreates it); required: no default is safe */
  controlled: boolean;
  /** the controller ownerReference's UID (a ReplicaSet, a StatefulSet…): its pods' lineage */
  ownerUid?: string;
  /** status.phase is Pending */
  pending?: boolean;
  /** mounts an emptyDir volume (its data dies with the pod) */
  emptyDir: boolean;
  /** the annotations the drain rules read (drain-rules.ts) */
  annotations?: Readonly<Record<string, string>>;
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
  | 'capi-delete-machine'
  | 'karpenter-delete'
  | 'record-handed-over'
  | 'record-cordoned'
  | 'prune-records'
  | 'delete-pod'
  | 'record-stuck'
  | 'create-renew-job'
  | 'delete-renew-job'
  | 'record-renewing'
  | 'record-renewed';

export interface RotateAction {
  node: string;
  step: Step;
  /** one line a person reads */
  summary: string;
  /** the API call, when the step is one; absent for a command certdrift prints but does not run */
  call?: ApiCall;
  /** a command someone else runs (kops: where the state store is) */
  command?: string;
  /** a write of the rotation state object (rotation-state.ts), checked against what was read */
  state?: StateChange;
}

/** what happens to each node this step */
export type NodeState =
  | 'start'
  | 'continue'
  | 'waiting-replacement'
  | 'drained'
  | 'stuck'
  | 'blocked'
  | 'outside-window'
  | 'window-ended'
  | 'over-limit'
  | 'not-yet'
  | 'gone'
  | 'validating'
  | 'halted'
  | 'deferred'
  | 'native'
  | 'renewed';

export interface NodeWork {
  node: string;
  group: string;
  actuator: Actuator;
  state: NodeState;
  /** why: shown next to the node */
  note: string;
  /** a drain past --force-after: the remaining pods are deleted, not evicted (never refused ones) */
  force?: boolean;
  /** blocked by refused pods while cordoned: the other pods are still evicted */
  evictOthers?: boolean;
  /** a timeout passed: the node's record is rewritten `stuck` this step */
  recordStuck?: StuckFrom;
  /** the node's tool has its own knob for this (a KubeadmControlPlane): certdrift does not act */
  native?: NativeKnob;
}

/** a replacement mechanism the owner already has, reported instead of remediating */
export interface NativeKnob {
  kind: string;
  namespace: string;
  name: string;
  field: string;
  advice: string;
}

/** the groups as a run found them at its start: the `kops validate` baseline */
export interface GroupBaseline {
  /** group → the nodes that were Ready when the run began */
  ready: Readonly<Record<string, readonly string[]>>;
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
  /** a node handed over longer than this without being gone is recorded stuck (default 1h) */
  replaceTimeoutMs?: number;
  /** a drain still not done this long after its cordon deletes the remaining pods; absent: never */
  forceAfterMs?: number;
  /** kubectl drain --force: also evict pods no controller recreates */
  force?: boolean;
  /** kubectl drain --delete-emptydir-data: also evict pods with an emptyDir volume */
  deleteEmptyDirData?: boolean;
  /**
   * --capi-delete-machine: where no MachineHealthCheck may remediate a Machine (none selects it,
   * paused, over maxUnhealthy), delete the Machine so its MachineSet replaces it
   */
  capiDeleteMachine?: boolean;
  /** the in-place actuator's Job settings (--in-place-image); absent: in-place is refused */
  inPlace?: InPlaceSettings;
  /** a due node someone else cordoned is taken over (default: left alone, reported) */
  takeOverCordoned?: boolean;
  /**
   * --hold-report-jump: hold (report, never start) nodes due by their NodeCertificateReport only
   * when more than max(1, 10%) of a group became so at once; without it the jump is reported and
   * the nodes are rotated within the limits as any due node
   */
  holdReportJump?: boolean;
}
