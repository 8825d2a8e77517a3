// The fleet view's own types: what the cluster edge (src/adapters/kube/fleet-api.ts) maps Nodes,
// NodeCertificateReports and CertificateSigningRequests to. Nothing in src/fleet sees API JSON.

import type { CsrParse } from '../certs/csr.js';

export interface NodeAddress {
  /** InternalIP, ExternalIP, Hostname, InternalDNS, ExternalDNS */
  type: string;
  address: string;
}

export interface FleetNodeFacts {
  name: string;
  uid: string;
  /** the `kubernetes.io/os` label; '' when absent */
  os: string;
  addresses: NodeAddress[];
}

export interface ReportFacts {
  /** the report's name: its node's */
  node: string;
  /** status.scannedAt (RFC 3339), absent when the agent has not written a status yet */
  scannedAt?: string;
  /** status.deadline: the earliest expiry of the node's own certificates */
  deadline?: string;
  /** status.deadlineNotBefore: when the deadline certificate's validity began (its lifetime, for --warn-ratio) */
  deadlineNotBefore?: string;
  worstSeverity: string;
}

export interface CsrCondition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

export interface CsrFacts {
  name: string;
  uid: string;
  /** metadata.creationTimestamp (RFC 3339) */
  createdAt: string;
  signerName: string;
  /** spec.username / spec.groups: set by the API server from the creator's identity */
  username: string;
  groups: string[];
  usages: string[];
  expirationSeconds?: number;
  request: CsrParse;
  conditions: CsrCondition[];
  /** status.certificate is set: the signer issued it */
  issued: boolean;
}

export { KUBELET_CLIENT, KUBELET_SERVING, KUBELET_SIGNERS } from '../model/signers.js';
