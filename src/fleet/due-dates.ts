// Each node's certificate deadline and due date, as issue #12 defines them:
//   deadline = the earliest deadline its NodeCertificateReport or scan gives; without either,
//              a kops node (instance-group label) is assumed to end at creation + 455 days
//              (the shortest validity kops issues, src/node/lifetime.ts); others have none;
//   dueBy    = min(deadline − margin, creation + maxNodeAge).

import { formatDuration } from '../model/duration.js';
import type { CertificateFacts, FleetNode } from './fleet.js';
import { KOPS_MIN_DAYS } from '../node/lifetime.js';
import type { PlanPolicy } from './plan-policy.js';
import type { DeadlineOrigin } from './plan-types.js';

const DAY = 86_400_000;

export interface DatedNode {
  node: FleetNode;
  deadline: number | null;
  deadlineOrigin: DeadlineOrigin | null;
  ageLimit: number | null;
  dueBy: number | null;
  dueFrom: 'certificate' | 'age';
}

/** why this node is due, in words (built only for the nodes that are due: they are few) */
export function describeDue(n: DatedNode, policy: PlanPolicy): string {
  const margin = formatDuration(policy.marginMs);
  if (n.dueFrom === 'age')
    return `age limit: created ${day(n.node.createdAt?.getTime() ?? null)} + maxNodeAge ${formatDuration(policy.maxNodeAgeMs)}`;
  if (n.deadline === null) return '';
  return n.deadlineOrigin === 'kops-assumed'
    ? `kops node without a report: certificates assumed to end ${day(n.deadline)} (creation + ${KOPS_MIN_DAYS}d) − margin ${margin}`
    : `certificate deadline ${day(n.deadline)} (${n.deadlineOrigin === 'report' ? 'NodeCertificateReport' : 'scan'}) − margin ${margin}`;
}

export function dateNodes(
  nodes: readonly FleetNode[],
  facts: readonly CertificateFacts[],
  policy: PlanPolicy,
): DatedNode[] {
  const known = new Map<string, { deadline: number; origin: DeadlineOrigin }>();
  for (const f of facts) {
    if (f.deadline === null) continue;
    const prev = known.get(f.node);
    const t = f.deadline.getTime();
    if (!prev || t < prev.deadline) known.set(f.node, { deadline: t, origin: f.source });
  }
  return nodes.map((node) => {
    const created = node.createdAt?.getTime() ?? null;
    let fact = known.get(node.name);
    if (!fact && created !== null && node.group.startsWith('kops/'))
      fact = { deadline: created + KOPS_MIN_DAYS * DAY, origin: 'kops-assumed' };
    const ageLimit = created === null ? null : created + policy.maxNodeAgeMs;
    const certDue = fact ? fact.deadline - policy.marginMs : null;
    const byAge = ageLimit !== null && (certDue === null || ageLimit < certDue);
    const dueBy = byAge ? ageLimit : certDue;
    return {
      node,
      deadline: fact?.deadline ?? null,
      deadlineOrigin: fact?.origin ?? null,
      ageLimit,
      dueBy,
      dueFrom: byAge ? 'age' : 'certificate',
    };
  });
}

function day(ms: number | null): string {
  return ms === null ? '?' : new Date(ms).toISOString().slice(0, 10);
}
