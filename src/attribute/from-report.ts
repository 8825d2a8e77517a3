// The cluster's NodeCertificateReports → what they tell about certificates. Each report carries
// its node's published ledger (status.ledger, src/ledger/publish-ledger.ts): the certificates in
// the node's files now, the ones replaced since, what running containers see and the serial each
// load-once process holds. What a report cannot tell is said as a problem: no ledger (an agent
// that does not keep one), locations left out by the publishing bound, a report older than the
// agent's scans should leave it (the agent stopped: its view may be stale).

import type { PublishedLedger } from '../ledger/publish-ledger.js';
import { ledgerOfPublished } from '../ledger/publish-ledger.js';
import { knowledgeFromLedger } from './from-ledger.js';
import type { Knowledge } from './knowledge.js';

/** A report as the cluster edge maps it (structurally cluster/types.ts NodeCertificateReport). */
export interface ReportFacts {
  name: string;
  status: { scannedAt: string; ledger?: PublishedLedger } | null;
}

/** The agent scans every 5 minutes by default: a report unchanged for an hour is stale. */
export const STALE_REPORT_MS = 3_600_000;

const age = (ms: number): string =>
  ms >= 2 * 86_400_000
    ? `${Math.floor(ms / 86_400_000)} days`
    : ms >= 2 * 3_600_000
      ? `${Math.floor(ms / 3_600_000)} hours`
      : `${Math.floor(ms / 60_000)} minutes`;

export function knowledgeFromReports(
  reports: readonly ReportFacts[],
  source: string,
  now: Date,
): Knowledge {
  const parts: Knowledge[] = [];
  for (const r of reports) {
    const where = `NodeCertificateReport ${JSON.stringify(r.name)}`;
    const ledger = r.status?.ledger;
    if (!r.status) {
      parts.push({ known: [], problems: [`${where}: no status yet (the agent has not reported)`] });
      continue;
    }
    if (!ledger) {
      parts.push({
        known: [],
        problems: [
          `${where}: no ledger published (agent older than the ledger, or run with --state-dir none): its certificates are unknown here; scan that node (--scan)`,
        ],
      });
      continue;
    }
    const problems: string[] = [];
    const scanned = Date.parse(r.status.scannedAt);
    if (!Number.isNaN(scanned) && now.getTime() - scanned > STALE_REPORT_MS)
      problems.push(
        `${where}: last scan ${age(now.getTime() - scanned)} ago (${r.status.scannedAt}) — is the agent running there? What it knew then is used.`,
      );
    if (ledger.omittedLocations > 0)
      problems.push(
        `${where}: ${ledger.omittedLocations} of ${ledger.totalLocations} ledger locations not published (the report is bounded; files never replaced go first); the node's whole ledger is /var/lib/certdrift/ledger.json there (--ledger)`,
      );
    const k = knowledgeFromLedger(ledgerOfPublished(r.name, ledger), `${source} ${r.name}`);
    parts.push({ known: k.known, problems: [...k.problems, ...problems] });
  }
  return {
    known: parts.flatMap((p) => p.known),
    problems: parts.flatMap((p) => p.problems),
  };
}
