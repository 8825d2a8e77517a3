// The node-lifetime summary said plainly, for the table and the JSON `node.statement`.

import type { NodeLifetime } from '../lifetime.js';
import { KOPS_MAX_DAYS, KOPS_MIN_DAYS } from '../lifetime.js';
import { day } from '../../model/human-time.js';

export function describeNodeLifetime(life: NodeLifetime, now: Date): string {
  const left = life.daysLeft;
  const when =
    left < 0
      ? `ended ${day(life.deadline)} (${-left} days ago)`
      : `end ${day(life.deadline)} (${left} days left)`;
  const head = `Node certificates ${when}, first ${life.by.component} ${life.by.path}.`;
  if (!life.kopsRule || !life.issuedAt) {
    return now >= life.replaceBy
      ? `${head} Renewal is overdue since ${day(life.replaceBy)}.`
      : `${head} Renew or replace them before ${day(life.replaceBy)}.`;
  }
  const replace =
    now >= life.replaceBy
      ? `replacement is overdue since ${day(life.replaceBy)}`
      : `replace this node by ${day(life.replaceBy)}`;
  return (
    `${head} kops issued them about ${day(life.issuedAt)} (node age ~${life.ageDays ?? 0} days) for ` +
    `${KOPS_MIN_DAYS}–${KOPS_MAX_DAYS} days and never renews them in place: ${replace}.`
  );
}
