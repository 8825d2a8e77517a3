// Capacity as Kubernetes sees it (issue #21 item 2): which nodes are unavailable, per group and
// cluster-wide, for chooseWork's limits. Counted over EVERY node of a group, whatever --selector
// (the selector chooses only the nodes that may be acted on: a group whose unselected node is
// drained has one node less, and a PodDisruptionBudget sees it so).
//  - unavailable: cordoned (by anyone), NotReady, or with a record of work in flight or ended
//    there (draining, drained and present, handed over, stuck; an entry failing validation);
//    a node renewed in place is back in service.
//  - a Ready node cordoned by ITSELF (its kubelet may patch its own spec.unschedulable; the field
//    manager in metadata.managedFields says "kubelet") and without a record counts against its
//    group (it is unavailable) but not against the cluster-wide maxInFlight: it is not the
//    rotator's work, and a node must not be able to hold the rotator's only slot forever. That
//    is the one thing managedFields decides; it never makes a node startable, takes nothing over
//    and never lifts a group's limit (anyone who can update a Node can write managedFields).

import { isControlPlane } from './control-plane.js';
import type { StoredRecord } from './rotation-state.js';
import type { Departing, LiveNode } from './rotate-types.js';

/** the state's records as chooseWork sorted them (choose-work.ts ledgerOf) */
export interface LedgerView {
  trusted: ReadonlyMap<string, StoredRecord>;
  invalid: ReadonlyMap<string, string>;
}

/** a record of work in flight or ended there: all but a finished in-place renewal */
export const holds = (rec: StoredRecord | undefined): boolean =>
  rec !== undefined && rec.state !== 'renewed';

/** cordoned, NotReady or recorded: unavailable as a PodDisruptionBudget or kops would see it */
export function unavailable(n: LiveNode, ledger: LedgerView): boolean {
  return (
    n.unschedulable ||
    n.ready !== true ||
    holds(ledger.trusted.get(n.name)) ||
    ledger.invalid.has(n.name)
  );
}

/** the managers a node's own kubelet writes as: "kubelet", or the node's identity */
const nodeManagers = (n: LiveNode): readonly string[] => [
  'kubelet',
  n.name,
  `system:node:${n.name}`,
];

/**
 * cordoned by the node itself, as managedFields say: every manager that owns spec.unschedulable is
 * the node's own, and certdrift has no record of it. For the note only — the manager name is
 * whatever the writer passed as `fieldManager`, so it decides nothing (review of finding 10).
 */
export function selfCordoned(n: LiveNode, ledger?: LedgerView): boolean {
  if (!n.unschedulable || n.cordonedBy === undefined || n.cordonedBy === '') return false;
  if (ledger && (ledger.trusted.has(n.name) || ledger.invalid.has(n.name))) return false;
  const own = nodeManagers(n);
  return n.cordonedBy.split(',').every((m) => own.includes(m));
}

export class Capacity {
  /** group → its nodes unavailable or in flight */
  readonly used = new Map<string, number>();
  /** group → its nodes present (every node, selected or not) */
  readonly size = new Map<string, number>();
  /** unavailable or in flight cluster-wide, against maxInFlight */
  total = 0;
  /** control-plane nodes unavailable or in flight: at most one */
  planes = 0;
  /**
   * Ready nodes whose cordon managedFields attribute to the node itself: named in the notes only
   * (a writer picks its own field-manager name), counted like every other cordon
   */
  readonly selfCordoned: string[] = [];
  /** Machines/NodeClaims departing without a node, counted in their groups */
  readonly departing: Departing[] = [];

  count(group: string, controlPlane: boolean, k = 1, inFlight = true): void {
    this.used.set(group, (this.used.get(group) ?? 0) + k);
    if (inFlight) this.total += k;
    if (controlPlane) this.planes += k;
  }

  inGroup(group: string): number {
    return this.used.get(group) ?? 0;
  }
}

/**
 * what is unavailable now among the live nodes, every one of them, and the capacity groups lost
 * to Machines/NodeClaims still being deleted or remediated after their Node went
 */
export function capacityOf(
  nodes: readonly LiveNode[],
  ledger: LedgerView,
  departing: readonly Departing[] = [],
): Capacity {
  const cap = new Capacity();
  for (const d of departing) {
    cap.count(d.group, false);
    cap.departing.push(d);
  }
  for (const n of nodes) {
    cap.size.set(n.group, (cap.size.get(n.group) ?? 0) + 1);
    if (!unavailable(n, ledger)) continue;
    if (selfCordoned(n, ledger) && n.ready === true) cap.selfCordoned.push(n.name);
    cap.count(n.group, isControlPlane(n));
  }
  return cap;
}
