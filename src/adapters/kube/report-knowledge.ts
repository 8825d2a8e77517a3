// The cluster knowledge source of `certdrift attribute --kubernetes`: every node's
// NodeCertificateReport, listed through the cluster client (all pages), each with its published
// ledger. Listing needs `list` on nodecertificatereports.certdrift.io — the certdrift-reader
// ClusterRole (deploy/base/reader-rbac.yaml); the agent's own role may not list. A refused or
// failed list is a problem reported with the output, not a crash: the other sources still count.

import { knowledgeFromReports } from '../../attribute/from-report.js';
import type { Knowledge, KnowledgeSource } from '../../attribute/knowledge.js';
import { ClusterError, type NodeCertificateReport } from '../../model/cluster.js';

export interface ReportLister {
  listNodeCertificateReports(): Promise<NodeCertificateReport[]>;
}

export class ClusterReportsSource implements KnowledgeSource {
  readonly name: string;
  constructor(
    private readonly client: ReportLister,
    where: string,
    private readonly now: () => Date,
  ) {
    this.name = `kubernetes ${where}`;
  }

  async load(): Promise<Knowledge> {
    let reports: NodeCertificateReport[];
    try {
      reports = await this.client.listNodeCertificateReports();
    } catch (err) {
      if (!(err instanceof ClusterError)) throw err;
      const hint =
        err.status === 403
          ? ' — bind the certdrift-reader ClusterRole (deploy/base/reader-rbac.yaml) to this user: kubectl create clusterrolebinding certdrift-reader-$USER --clusterrole=certdrift-reader --user=<you>'
          : '';
      return {
        known: [],
        problems: [`${this.name}: NodeCertificateReports not listed: ${err.message}${hint}`],
      };
    }
    if (reports.length === 0)
      return {
        known: [],
        problems: [
          `${this.name}: no NodeCertificateReports (is the certdrift agent DaemonSet installed?)`,
        ],
      };
    return knowledgeFromReports(reports, this.name, this.now());
  }
}
