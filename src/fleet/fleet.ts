// The planner's own view of a fleet: nodes (name, group, creation time) and what is known of
// their certificate deadlines. Kubernetes objects and scan documents are mapped to these types
// by parse-*.ts; nothing downstream sees API JSON.

export interface FleetNode {
  name: string;
  group: string;
  /** metadata.creationTimestamp: the node's age; null when absent or unreadable */
  createdAt: Date | null;
}

export type DeadlineSource = 'report' | 'scan';

export interface CertificateFacts {
  node: string;
  /** the earliest not-after of the node's own certificates; null when the source has none */
  deadline: Date | null;
  source: DeadlineSource;
}

/** bad input is data: the item is skipped and the problem is reported, the rest goes on */
export interface InputProblem {
  source: string;
  message: string;
}

export interface Fleet {
  nodes: FleetNode[];
  facts: CertificateFacts[];
  problems: InputProblem[];
}

/**
 * Where a fleet comes from: files today (`--nodes`, `--reports`, `--scan`), the cluster's API
 * (`--kubernetes`) once its client lists nodes and reports. Both map API objects with the same
 * pure functions (parse-node-list.ts, parse-certificate-facts.ts).
 */
export interface FleetSource {
  /** what the plan was built from, for the output's `sources` */
  describe(): string[];
  load(): Promise<Fleet>;
}
