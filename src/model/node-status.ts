// Plain shapes of the node status certdrift wants; the cluster edge turns them into API calls.

import type { PublishedLedger } from '../ledger/publish-ledger.js';

export interface ConditionSpec {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
}

export interface ClusterEventSpec {
  name: string;
  reason: string;
  message: string;
}

export interface ReportSpec {
  scannedAt: string;
  deadline?: string;
  /** notBefore of the certificate that sets the deadline: with it, that certificate's lifetime, so the fleet view can judge --warn-ratio */
  deadlineNotBefore?: string;
  replaceBy?: string;
  worstSeverity: string;
  certificates: number;
  staleViews: number;
  notReloaded: number;
  findings: { code: string; severity: string; subject: string; title: string }[];
  /** the node's certificate ledger, bounded (src/ledger/publish-ledger.ts) */
  ledger?: PublishedLedger;
}
