// What the fleet view needs from the cluster, owned here: the Nodes, NodeCertificateReports and
// kubelet CSRs it judges, and — for the opt-in approver only — approving a CSR and saying once, in
// an Event, why one stays Pending. adapters/kube/fleet-api.ts implements it over the API.

import type { CsrFacts, FleetNodeFacts, ReportFacts } from './types.js';

/** The fleet view's cluster port. */
export interface FleetCluster {
  listFleetNodes(): Promise<FleetNodeFacts[]>;
  listReports(): Promise<ReportFacts[]>;
  /** CSRs of the kubelet signers (serving and client) */
  listKubeletCsrs(): Promise<CsrFacts[]>;
  /** adds the Approved condition; false when the CSR changed or vanished meanwhile (next sync) */
  approveCsr(csr: CsrFacts, reason: string, message: string): Promise<boolean>;
  /** a Warning Event on the CSR; false when one of this name exists (said before) */
  recordCsrEvent(
    csr: CsrFacts,
    name: string,
    reason: string,
    message: string,
    time: string,
  ): Promise<boolean>;
}
