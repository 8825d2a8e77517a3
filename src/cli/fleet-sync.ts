// One sync of `certdrift fleet`: read Nodes, reports and kubelet CSRs through the fleet's
// cluster port, build the view (pure), and — with the approver on — approve what the rules
// allow and say once why the rest stays Pending. The clock is the caller's `now`.

import type { FleetCluster } from '../adapters/kube/fleet-api.js';
import type { ServingPolicy } from '../fleet/approve-serving.js';
import { buildFleetView, type FleetOptions, type FleetView } from '../fleet/fleet-view.js';
import type { FleetCounters } from '../fleet/metrics-text.js';
import { APPROVAL_REASON, planApprovals } from '../fleet/plan-approvals.js';
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
  let current = csrs;
  if (o.approve) {
    const plan = planApprovals(csrs, nodes, o.approve, state.said);
    const approvedUids = new Set<string>();
    for (const a of plan.approve) {
      if (await cluster.approveCsr(a.csr, APPROVAL_REASON, a.message)) {
        state.counters.approved++;
        approvedUids.add(a.csr.uid);
        o.log(
          `approved kubelet-serving CSR ${escapeTerminal(a.csr.name)} of node ${escapeTerminal(a.node)}`,
        );
      }
    }
    for (const r of plan.tell) {
      // false: this Event exists, so an earlier process said it already (a restart, a one-shot
      // run before this one): not again, neither in the log.
      if (
        !(await cluster.recordCsrEvent(
          r.csr,
          r.eventName,
          r.reason,
          r.message,
          now().toISOString(),
        ))
      )
        continue;
      state.counters.leftPending[r.reason] = (state.counters.leftPending[r.reason] ?? 0) + 1;
      o.log(
        `left kubelet-serving CSR ${escapeTerminal(r.csr.name)} Pending (${r.reason}): ${escapeTerminal(r.message)}`,
      );
    }
    state.said = plan.keep;
    for (const r of plan.tell) state.said.add(`${r.csr.uid}/${r.reason}`);
    // What was just approved shows as approved (the signer issues it within moments).
    current = csrs.map((c) =>
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
  const at = now();
  state.counters.lastSyncMs = at.getTime();
  return buildFleetView(nodes, reports, current, { ...o, now: at });
}
