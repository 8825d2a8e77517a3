// Every Node of a cluster with what is known of it: its certificate deadline (from its
// NodeCertificateReport), how old that knowledge is, whether an agent reports at all, and its
// kubelet CSRs by signer and state. A DaemonSet sees only the nodes it runs on: a node switched
// off or cut off stops updating its report, and a node whose kubelet lost its credentials runs
// no agent. This is the view from the API server, where those nodes still show up.
// Pure: time is `now`, inputs are the edge's facts.

import { lifetimeLeft } from '../model/thresholds.js';
import { ageSeconds, csrNode, csrState, type CsrState } from './csr-state.js';
import { KUBELET_SIGNERS, type CsrFacts, type FleetNodeFacts, type ReportFacts } from './types.js';

export type Coverage = 'reporting' | 'silent' | 'no-status' | 'no-agent' | 'not-linux';
export type DeadlineStatus = 'ok' | 'warning' | 'critical' | 'expired' | 'unknown';

export interface FleetOptions {
  now: Date;
  /** a report older than this is silent */
  silentAfterSeconds: number;
  warnDays: number;
  criticalDays: number;
  /** warning below this share of the deadline certificate's lifetime left (--warn-ratio); absent: off */
  warnRatio?: number;
  /** critical below this share (--critical-ratio); absent: off */
  criticalRatio?: number;
}

export interface CsrSummary {
  signer: string;
  state: CsrState;
  count: number;
  /** creation time of the oldest CSR in this state (RFC 3339) */
  oldestCreatedAt: string;
  oldestAgeSeconds: number | null;
}

export interface CsrItem {
  name: string;
  signer: string;
  state: CsrState;
  createdAt: string;
  ageSeconds: number | null;
}

export interface FleetRow {
  node: string;
  os: string;
  coverage: Coverage;
  scannedAt: string | null;
  reportAgeSeconds: number | null;
  deadline: string | null;
  deadlineInSeconds: number | null;
  /**
   * the share of the deadline certificate's lifetime left (0..1), from the report's
   * deadlineNotBefore; null when the report has none (an agent older than the field, or no
   * deadline): then only the day thresholds judge the deadline
   */
  lifetimeLeft: number | null;
  status: DeadlineStatus;
  /** the last known deadline has passed and the report is silent: nobody has looked since */
  deadlinePassedWhileSilent: boolean;
  csrs: CsrSummary[];
  /** the most recent CSRs of this node, newest first (at most MAX_CSR_ITEMS) */
  recentCsrs: CsrItem[];
}

export interface FleetView {
  at: string;
  silentAfterSeconds: number;
  nodes: FleetRow[];
  /** reports whose Node no longer exists (names) */
  orphanReports: string[];
  /** kubelet CSRs that name no node (e.g. an unreadable request from a bootstrap token) */
  unattributedCsrs: CsrItem[];
}

export const MAX_CSR_ITEMS = 10;

/** Days or share of lifetime: at a level when EITHER says so, as on the node (model/thresholds.ts). */
function deadlineStatus(
  inSeconds: number | null,
  share: number | null,
  o: FleetOptions,
): DeadlineStatus {
  if (inSeconds === null) return 'unknown';
  if (inSeconds <= 0) return 'expired';
  const below = (ratio: number | undefined): boolean =>
    share !== null && ratio !== undefined && share < ratio;
  if (inSeconds <= o.criticalDays * 86_400 || below(o.criticalRatio)) return 'critical';
  if (inSeconds <= o.warnDays * 86_400 || below(o.warnRatio)) return 'warning';
  return 'ok';
}

/** The share left of the window deadlineNotBefore..deadline, when the report carries both. */
function shareLeft(r: ReportFacts | undefined, now: Date): number | null {
  if (r?.deadline === undefined || r.deadlineNotBefore === undefined) return null;
  const nb = Date.parse(r.deadlineNotBefore);
  const na = Date.parse(r.deadline);
  if (Number.isNaN(nb) || Number.isNaN(na)) return null;
  const share = lifetimeLeft(new Date(nb), new Date(na), now);
  // four decimals: enough for a tenth of a percent, stable in JSON
  return share === null ? null : Math.round(share * 10_000) / 10_000;
}

function secondsUntil(text: string | undefined, now: Date): number | null {
  if (text === undefined) return null;
  const t = Date.parse(text);
  return Number.isNaN(t) ? null : Math.floor((t - now.getTime()) / 1000);
}

function summarize(csrs: readonly CsrFacts[], now: Date): CsrSummary[] {
  const by = new Map<string, CsrSummary>();
  for (const c of csrs) {
    const state = csrState(c);
    const key = `${c.signerName}\n${state}`;
    const s = by.get(key);
    if (!s) {
      by.set(key, {
        signer: c.signerName,
        state,
        count: 1,
        oldestCreatedAt: c.createdAt,
        oldestAgeSeconds: ageSeconds(c.createdAt, now),
      });
      continue;
    }
    s.count++;
    if (c.createdAt < s.oldestCreatedAt) {
      s.oldestCreatedAt = c.createdAt;
      s.oldestAgeSeconds = ageSeconds(c.createdAt, now);
    }
  }
  return [...by.values()].sort(
    (a, b) => a.signer.localeCompare(b.signer) || a.state.localeCompare(b.state),
  );
}

const itemOf = (c: CsrFacts, now: Date): CsrItem => ({
  name: c.name,
  signer: c.signerName,
  state: csrState(c),
  createdAt: c.createdAt,
  ageSeconds: ageSeconds(c.createdAt, now),
});

/** Kubelet CSRs by the node that asked; those naming no node kept apart (bounded). */
function csrsByNode(
  csrs: readonly CsrFacts[],
  now: Date,
): { byNode: Map<string, CsrFacts[]>; unattributed: CsrItem[] } {
  const byNode = new Map<string, CsrFacts[]>();
  const unattributed: CsrItem[] = [];
  for (const c of csrs) {
    if (!KUBELET_SIGNERS.includes(c.signerName)) continue;
    const node = csrNode(c);
    if (node === null) {
      if (unattributed.length < MAX_CSR_ITEMS) unattributed.push(itemOf(c, now));
      continue;
    }
    const xs = byNode.get(node) ?? [];
    xs.push(c);
    byNode.set(node, xs);
  }
  return { byNode, unattributed };
}

function coverageOf(
  n: FleetNodeFacts,
  r: ReportFacts | undefined,
  age: number | null,
  o: FleetOptions,
): Coverage {
  if (!r) return n.os === 'linux' ? 'no-agent' : 'not-linux';
  if (age === null) return 'no-status';
  return age > o.silentAfterSeconds ? 'silent' : 'reporting';
}

/** One node's row: its report's age and deadline, and its kubelet CSRs newest first. */
function rowOf(
  n: FleetNodeFacts,
  r: ReportFacts | undefined,
  csrs: readonly CsrFacts[],
  o: FleetOptions,
): FleetRow {
  const age = r?.scannedAt === undefined ? null : ageSeconds(r.scannedAt, o.now);
  const coverage = coverageOf(n, r, age, o);
  const inSeconds = secondsUntil(r?.deadline, o.now);
  const share = inSeconds === null ? null : shareLeft(r, o.now);
  const own = csrs.slice().sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return {
    node: n.name,
    os: n.os,
    coverage,
    scannedAt: r?.scannedAt ?? null,
    reportAgeSeconds: age,
    deadline: inSeconds === null ? null : (r?.deadline ?? null),
    deadlineInSeconds: inSeconds,
    lifetimeLeft: share,
    status: deadlineStatus(inSeconds, share, o),
    deadlinePassedWhileSilent: coverage === 'silent' && inSeconds !== null && inSeconds <= 0,
    csrs: summarize(own, o.now),
    recentCsrs: own.slice(0, MAX_CSR_ITEMS).map((c) => itemOf(c, o.now)),
  };
}

export function buildFleetView(
  nodes: readonly FleetNodeFacts[],
  reports: readonly ReportFacts[],
  csrs: readonly CsrFacts[],
  o: FleetOptions,
): FleetView {
  const reportOf = new Map(reports.map((r) => [r.node, r]));
  const { byNode, unattributed } = csrsByNode(csrs, o.now);
  const rows = nodes.map((n) => rowOf(n, reportOf.get(n.name), byNode.get(n.name) ?? [], o));
  const known = new Set(nodes.map((n) => n.name));
  return {
    at: o.now.toISOString(),
    silentAfterSeconds: o.silentAfterSeconds,
    nodes: rows.sort((a, b) => a.node.localeCompare(b.node)),
    orphanReports: reports
      .filter((r) => !known.has(r.node))
      .map((r) => r.node)
      .sort(),
    unattributedCsrs: unattributed,
  };
}

/** 0 nothing to say, 1 warnings (silent, no agent, pending CSRs, deadline warning), 2 critical */
export function fleetExitCode(v: FleetView): 0 | 1 | 2 {
  let code: 0 | 1 | 2 = 0;
  for (const r of v.nodes) {
    if (r.status === 'critical' || r.status === 'expired' || r.deadlinePassedWhileSilent) return 2;
    const pendingOrDenied = r.csrs.some((c) => c.state !== 'issued');
    if (
      r.status === 'warning' ||
      r.coverage === 'silent' ||
      r.coverage === 'no-agent' ||
      r.coverage === 'no-status' ||
      pendingOrDenied
    )
      code = 1;
  }
  return code;
}
