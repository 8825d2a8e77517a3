// NODE_REPLACEMENT_DUE: the node has passed the date by which it should be replaced (its
// certificate deadline minus the warning margin). Only where nothing renews node certificates
// in place — a kops node (the 455–485-day signature) — since elsewhere CERT_EXPIRING says it all.

import type { Finding, Inventory } from '../../model/index.js';
import { thresholdLevel } from '../../model/thresholds.js';
import type { Check, CheckContext } from './context.js';

export const nodeLifetimeCheck: Check = {
  name: 'node-lifetime',
  run(_inv: Inventory, ctx: CheckContext): Finding[] {
    const life = ctx.lifetime;
    if (!life?.kopsRule || ctx.now < life.replaceBy) return [];
    const residualMs = life.deadline.getTime() - ctx.now.getTime();
    const lifetimeMs = life.deadline.getTime() - life.notBefore.getTime();
    return [
      {
        code: 'NODE_REPLACEMENT_DUE',
        // critical by days or by share of lifetime, as every certificate (model/thresholds.ts)
        severity:
          thresholdLevel(residualMs, lifetimeMs, ctx.thresholds) === 'critical'
            ? 'critical'
            : 'warning',
        title: `node certificates end ${life.deadline.toISOString().slice(0, 10)}; kops never renews them in place`,
        evidence: {
          deadline: life.deadline.toISOString(),
          setBy: `${life.by.component} ${life.by.path}`,
          issuedAt: life.issuedAt?.toISOString() ?? '',
          ageDays: String(life.ageDays ?? ''),
          replaceBy: life.replaceBy.toISOString(),
        },
        remedy:
          'Replace the node: `kops rolling-update cluster --yes` after annotating it `kops.k8s.io/needs-update=`, or set the instance group maxInstanceLifetime (AWS) below 455 days.',
        subject: 'node',
      },
    ];
  },
};
