// The only Kubernetes API calls certdrift makes, as a narrow interface. Implementations map API
// objects to these types; callers never see API JSON.

import type { ReportSpec } from '../plan/node-status-types.js';

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

export class ClusterError extends Error {
  override name = 'ClusterError';
  constructor(
    message: string,
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
  /** creates or updates the cluster-scoped NodeCertificateReport named after the node */
  putReport(node: string, status: ReportSpec): Promise<void>;
}
