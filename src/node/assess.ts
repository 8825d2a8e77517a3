// assess: an Inventory and a moment → the node's verdict, computed once for every command (scan,
// fix, the agent and its cluster publisher, plan and attribution): the findings of every check,
// the node's certificate deadline, the worst severity and the exit code. Pure.

import { CHECKS } from './checks/index.js';
import type { Check } from './checks/index.js';
import {
  SEVERITY_RANK,
  type Finding,
  type Inventory,
  type Severity,
  type Thresholds,
} from '../model/index.js';
import { nodeLifetime, type NodeLifetime } from './lifetime.js';
import { worstSeverity } from '../model/severity.js';

export interface Assessment {
  findings: Finding[];
  /** the node's certificate deadline (certificates in use; superseded ones never count) */
  lifetime: NodeLifetime | null;
  worst: Severity;
  /** 0 ok / 1 warning / 2 critical / 3 nothing could be checked */
  exitCode: number;
}

export interface AssessContext {
  now: Date;
  thresholds: Thresholds;
}

export function assess(
  inv: Inventory,
  ctx: AssessContext,
  checks: readonly Check[] = CHECKS,
): Assessment {
  const lifetime = nodeLifetime(
    inv.certificates.filter((c) => c.superseded === undefined),
    ctx.now,
    ctx.thresholds,
  );
  const findings = checks.flatMap((c) => c.run(inv, { ...ctx, lifetime }));
  const worst = worstSeverity(findings);
  // Unknown only when nothing at all could be checked: no certificate and nothing found about
  // any container either.
  const exitCode =
    inv.certificates.length === 0 && findings.length === 0 ? 3 : SEVERITY_RANK[worst];
  return { findings, lifetime, worst, exitCode };
}
