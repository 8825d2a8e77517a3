// What one sync does about kubelet-serving CSRs: approve those every rule allows, and say once
// — per CSR and reason — why the others stay Pending (an Event on the CSR and a log line). The
// memory of what was said is the caller's (`said`, keys from `saidKey`); after a restart the
// Event's fixed name makes the API server answer 409 instead of a second Event.

import { judgeServingCsr, type RefusalReason, type ServingPolicy } from './approve-serving.js';
import type { CsrFacts, FleetNodeFacts } from './types.js';

export interface Approval {
  csr: CsrFacts;
  node: string;
  message: string;
}

export interface Refusal {
  csr: CsrFacts;
  reason: RefusalReason;
  message: string;
  /** the Event's name: stable for this CSR and reason */
  eventName: string;
}

export interface ApprovalPlan {
  approve: Approval[];
  /** refusals not said before */
  tell: Refusal[];
  /** keys of `said` still relevant (CSRs still listed): the caller keeps only these */
  keep: Set<string>;
}

export const APPROVAL_REASON = 'CertdriftKubeletServingApproved';

export const saidKey = (csr: CsrFacts, reason: string): string => `${csr.uid}/${reason}`;

export function planApprovals(
  csrs: readonly CsrFacts[],
  nodes: readonly FleetNodeFacts[],
  policy: ServingPolicy,
  said: ReadonlySet<string>,
): ApprovalPlan {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const plan: ApprovalPlan = { approve: [], tell: [], keep: new Set() };
  for (const csr of csrs) {
    const d = judgeServingCsr(csr, byName, policy);
    if (d === null) continue;
    if (d.approve) {
      plan.approve.push({ csr, node: d.node, message: d.message });
      continue;
    }
    const key = saidKey(csr, d.reason);
    plan.keep.add(key);
    if (said.has(key)) continue;
    plan.tell.push({
      csr,
      reason: d.reason,
      message: `certdrift leaves this kubelet-serving CSR Pending: ${d.message}`.slice(0, 1024),
      eventName: `certdrift-${csr.uid}.${d.reason.toLowerCase()}`,
    });
  }
  return plan;
}
