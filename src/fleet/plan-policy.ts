// The replacement policy, as the planner uses it (durations in ms, windows resolved). Read from
// YAML by read-policy.ts; these defaults apply to keys the file leaves out.

import type { WindowSpec } from './window-calendar.js';

/** kops' IntOrString for maxSurge / maxUnavailable: a count or a percentage of the group */
export type IntOrPercent = { count: number } | { percent: number };

/** how `certdrift rotate` handles a group's due nodes (rotate-types.ts Actuator) */
export const GROUP_ACTUATORS = ['kops', 'capi', 'karpenter', 'drain', 'in-place'] as const;
export type GroupActuator = (typeof GROUP_ACTUATORS)[number];

export interface GroupPolicy {
  maxSurge?: IntOrPercent;
  maxUnavailable?: IntOrPercent;
  perNodeMs?: number;
  /** the rotation's actuator for this group (default: the group's own tool, else drain) */
  actuator?: GroupActuator;
}

export interface PlanPolicy {
  maxNodeAgeMs: number;
  marginMs: number;
  horizonMs: number;
  perNodeMs: number;
  maxInFlight: number;
  /** empty: replacements may run at any time */
  windows: WindowSpec[];
  groups: Record<string, GroupPolicy>;
}

const DAY = 86_400_000;

export const DEFAULT_POLICY: PlanPolicy = Object.freeze({
  maxNodeAgeMs: 365 * DAY,
  marginMs: 14 * DAY,
  horizonMs: 90 * DAY,
  perNodeMs: 20 * 60_000,
  maxInFlight: 6,
  windows: [],
  groups: {},
});
