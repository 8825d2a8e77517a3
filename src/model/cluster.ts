// The only Kubernetes API calls certdrift makes, as a narrow interface. Implementations map API
// objects to these types inside the edge; callers never see API JSON. Lists are paginated with
// `limit`/`continue` inside the implementation (a 5,000-node cluster is read in pages of
// `pageSize`, default 500 like client-go's pager) and returned whole.

import type { ReportSpec } from './node-status.js';

export interface NodeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

export interface NodeEvent {
  /** stable name: the same problem on the same node maps to the same Event (de-duplication) */
  name: string;
  node: string;
  type: 'Warning' | 'Normal';
  reason: string;
  message: string;
  time: string;
}

/** A Node as certdrift needs it (planning, rotation, publishing). */
export interface NodeInfo {
  name: string;
  uid: string;
  /** metadata.creationTimestamp (RFC 3339, whole seconds) */
  createdAt: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** spec.unschedulable: cordoned */
  unschedulable: boolean;
  /** spec.providerID, e.g. aws:///us-east-1a/i-0abc */
  providerID?: string;
  conditions: NodeCondition[];
}

/** A NodeCertificateReport (name = node name) as the agent wrote it. */
export interface NodeCertificateReport {
  name: string;
  /** uid of the Node it belongs to (its ownerReference), when it has one */
  nodeUid?: string;
  /** null when the agent has not written a status yet */
  status: ReportSpec | null;
}

export interface ListOptions {
  /** `limit` per request (default 500) */
  pageSize?: number;
  /** e.g. `kops.k8s.io/instancegroup=nodes` */
  labelSelector?: string;
  /** e.g. `spec.nodeName=worker-1` (the fields each resource supports, as kubectl uses them) */
  fieldSelector?: string;
}

export class ClusterError extends Error {
  override name = 'ClusterError';
  constructor(
    message: string,
    /** HTTP status, or 0 when no response arrived */
    readonly status: number,
  ) {
    super(message);
  }
}

export interface ClusterClient {
  getNode(name: string): Promise<{ uid: string; conditions: NodeCondition[] }>;
  /** strategic-merge patch of status.conditions (merged by type) on the status subresource */
  patchNodeConditions(name: string, conditions: NodeCondition[]): Promise<void>;
  /** creates the Event, or bumps its count when it exists (de-duplicated by name) */
  recordEvent(ev: NodeEvent, nodeUid: string): Promise<{ count: number }>;
  /** creates or updates the cluster-scoped NodeCertificateReport named after the node, owned by it */
  putReport(node: string, nodeUid: string, status: ReportSpec): Promise<void>;
  /** every Node, all pages */
  listNodes(opts?: ListOptions): Promise<NodeInfo[]>;
  /** every NodeCertificateReport, all pages */
  listNodeCertificateReports(opts?: ListOptions): Promise<NodeCertificateReport[]>;
}
