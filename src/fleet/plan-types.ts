// What the planner returns: an ordered schedule, per-group and cluster summaries, and a plain
// statement of every node that cannot be saved. Rendered by report/plan-*.ts.

import type { PlanPolicy } from './plan-policy.js';
import type { GroupKind } from './node-group.js';

/** where a node's certificate deadline comes from; `kops-assumed`: creation + 455 days */
export type DeadlineOrigin = 'report' | 'scan' | 'kops-assumed';

/** ok; tight: ends within 7 days of its due date; late: after it; expires: after the deadline */
export type Risk = 'ok' | 'tight' | 'late' | 'expires';

export interface Replacement {
  node: string;
  group: string;
  start: Date;
  end: Date;
  dueBy: Date;
  /** which limit sets dueBy: the certificate deadline − margin, or creation + maxNodeAge */
  dueFrom: 'certificate' | 'age';
  deadline: Date | null;
  deadlineOrigin: DeadlineOrigin | null;
  /** creation + maxNodeAge, when the creation time is known */
  ageLimit: Date | null;
  /** end > dueBy */
  late: boolean;
  /** the certificates expire before the replacement ends (deadline < end) */
  expiresFirst: boolean;
  risk: Risk;
  /** why this node, and why late */
  reason: string;
  /** 1-based: the group's replacements in the same window occurrence (or UTC day) */
  wave: number;
}

export type LateCause =
  'expired' | 'past-due' | 'no-window-time' | 'group-capacity' | 'cluster-capacity';

export interface Unsavable {
  node: string;
  group: string;
  cause: LateCause;
  expiresFirst: boolean;
  statement: string;
}

export interface Wave {
  wave: number;
  start: Date;
  end: Date;
  nodes: string[];
}

export interface GroupPlan {
  group: string;
  kind: GroupKind;
  nodes: number;
  due: number;
  concurrency: number;
  perNodeMs: number;
  late: number;
  expiring: number;
  firstStart: Date | null;
  lastEnd: Date | null;
  waves: Wave[];
}

export interface PlanSummary {
  nodes: number;
  due: number;
  scheduled: number;
  late: number;
  expiring: number;
  /** nodes not due within the horizon */
  notDue: number;
  /** nodes with neither a certificate deadline nor a creation time: never due */
  undated: number;
  /** the next due date beyond the horizon, if any */
  nextDueAfterHorizon: Date | null;
  firstStart: Date | null;
  lastEnd: Date | null;
  /** 0 nothing late; 1 late nodes whose certificates are still valid; 2 certificates expire first */
  exitCode: 0 | 1 | 2;
}

export interface Plan {
  at: Date;
  policy: PlanPolicy;
  schedule: Replacement[];
  groups: GroupPlan[];
  summary: PlanSummary;
  unsavable: Unsavable[];
  /** due nodes that could not be placed at all (no window ever fits); normally empty */
  unscheduled: string[];
}
