// One sync of `certdrift fleet`: read Nodes, reports and kubelet CSRs through the fleet's
// cluster port, build the view (pure), and — with the approver on — approve what the rules
// allow and say once why the rest stays Pending. The clock is the caller's `now`.

import type { ServingPolicy } from './approve-serving.js';
import { buildFleetView, type FleetOptions, type FleetView } from './fleet-view.js';
import type { FleetCounters } from './metrics-text.js';
import { APPROVAL_REASON, planApprovals } from './plan-approvals.js';
import type { FleetCluster } from './ports.js';
import type { CsrFacts, FleetNodeFacts } from './types.js';
import { escapeTerminal } from '../model/escape.js';

export interface SyncState {
  counters: FleetCounters;
  /** refusals already said (planApprovals' keys) */
  said: Set<string>;
}

export const newSyncState = (): SyncState => ({
  counters: { lastSyncMs: null, syncErrors: 0, approved: 0, leftPending: {} },
  said: new Set(),
});

export interface SyncOptions extends Omit<FleetOptions, 'now'> {
  /** the approver's rules; absent: the approver is off */
  approve?: ServingPolicy;
  log: (line: string) => void;
}

/** What was just approved shows as approved (the signer issues it within moments). */
function withApproved(csrs: readonly CsrFacts[], approvedUids: ReadonlySet<string>): CsrFacts[] {
  return csrs.map((c) =>
    approvedUids.has(c.uid)
      ? {
          ...c,
          conditions: [
            ...c.conditions,
            { type: 'Approved', status: 'True', reason: APPROVAL_REASON, message: '' },
          ],
        }
      : c,
  );
}

/** The approver's round: approve what the rules allow, say once why the rest stays Pending. */
async function approveRound(
  cluster: FleetCluster,
  approve: ServingPolicy,
  o: SyncOptions,
  state: SyncState,
  facts: { csrs: CsrFacts[]; nodes: FleetNodeFacts[] },
  now: () => Date,
): Promise<CsrFacts[]> {
  const plan = planApprovals(facts.csrs, facts.nodes, approve, state.said);
  const approvedUids = new Set<string>();
  for (const a of plan.approve) {
    if (!(await cluster.approveCsr(a.csr, APPROVAL_REASON, a.message))) continue;
    state.counters.approved++;
    approvedUids.add(a.csr.uid);
    o.log(
      `approved kubelet-serving CSR ${escapeTerminal(a.csr.name)} of node ${escapeTerminal(a.node)}`,
    );
  }
  for (const r of plan.tell) {
    const at = now().toISOString();
    // false: this Event exists, so an earlier process said it already (a restart, a one-shot
    // run before this one): not again, neither in the log.
    if (!(await cluster.recordCsrEvent(r.csr, r.eventName, r.reason, r.message, at))) continue;
    state.counters.leftPending[r.reason] = (state.counters.leftPending[r.reason] ?? 0) + 1;
    o.log(
      `left kubelet-serving CSR ${escapeTerminal(r.csr.name)} Pending (${r.reason}): ${escapeTerminal(r.message)}`,
    );
  }
  state.said = plan.keep;
  for (const r of plan.tell) state.said.add(`${r.csr.uid}/${r.reason}`);
  return withApproved(facts.csrs, approvedUids);
}

export async function syncFleet(
  cluster: FleetCluster,
  o: SyncOptions,
  state: SyncState,
  now: () => Date,
): Promise<FleetView> {
  const [nodes, reports, csrs] = await Promise.all([
    cluster.listFleetNodes(),
    cluster.listReports(),
    cluster.listKubeletCsrs(),
  ]);
  const current = o.approve
    ? await approveRound(cluster, o.approve, o, state, { csrs, nodes }, now)
    : csrs;
  const at = now();
  state.counters.lastSyncMs = at.getTime();
  return buildFleetView(nodes, reports, current, { ...o, now: at });
}
