// Reads the plan policy file (YAML) strictly: exactly the documented keys, durations like `20m`
// or `14d`, IANA time zones, weekday names. Every problem is reported, each naming the key and
// its line, so one typo never hides another (strict-yaml.ts keeps them). Never throws.

import { isMap, isScalar, isSeq, type Node } from 'yaml';
import {
  DEFAULT_POLICY,
  GROUP_ACTUATORS,
  type GroupActuator,
  type GroupPolicy,
  type PlanPolicy,
} from './plan-policy.js';
import { isGroupName } from './node-group.js';
import { scalarText, show, StrictYaml, type PolicyProblem } from './strict-yaml.js';
import type { WindowSpec } from './window-calendar.js';
import { isTimeZone } from './zoned-time.js';

export type { PolicyProblem } from './strict-yaml.js';

const TOP_KEYS = ['maxNodeAge', 'margin', 'horizon', 'perNode', 'maxInFlight', 'windows', 'groups'];
const WINDOW_KEYS = ['days', 'start', 'end', 'timeZone'];
const GROUP_KEYS = ['maxSurge', 'maxUnavailable', 'perNode', 'actuator'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** A perNode duration as read, to check against the windows once they are all read. */
type PerNodeKey = { path: string; node: Node | null; ms: number };

export function readPolicy(text: string): { policy: PlanPolicy; problems: PolicyProblem[] } {
  const y = new StrictYaml(text);
  const policy: PlanPolicy = { ...DEFAULT_POLICY, windows: [], groups: {} };
  if (y.root === undefined) return { policy, problems: y.problems };
  const perNodeKeys: PerNodeKey[] = [];
  for (const { key, node } of y.root === null ? [] : y.entriesOf(y.root, '', TOP_KEYS)) {
    if (key === 'windows') readWindows(y, node, policy);
    else if (key === 'groups') readGroups(y, node, policy, perNodeKeys);
    else readTopScalar(y, key, node, policy, perNodeKeys);
  }
  checkPerNodeFits(y, policy.windows, perNodeKeys);
  // In file order, as an editor shows them (the sort is stable within a line).
  const problems = y.problems.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
  return { policy, problems };
}

/** maxNodeAge, horizon, perNode, margin, maxInFlight. */
function readTopScalar(
  y: StrictYaml,
  key: string,
  node: Node | null,
  policy: PlanPolicy,
  perNodeKeys: PerNodeKey[],
): void {
  if (key === 'maxNodeAge' || key === 'horizon' || key === 'perNode') {
    const ms = y.duration(key, node, 1);
    if (ms === null) return;
    if (key === 'maxNodeAge') policy.maxNodeAgeMs = ms;
    else if (key === 'horizon') policy.horizonMs = ms;
    else {
      policy.perNodeMs = ms;
      perNodeKeys.push({ path: key, node, ms });
    }
  } else if (key === 'margin') {
    const ms = y.duration(key, node, 0);
    if (ms !== null) policy.marginMs = ms;
  } else {
    const v = isScalar(node) ? node.value : undefined;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 1) policy.maxInFlight = v;
    else y.fail(key, node, `expected a whole number ≥ 1, got ${show(node)}`);
  }
}

function readWindows(y: StrictYaml, node: Node | null, policy: PlanPolicy): void {
  if (!isSeq(node)) {
    y.fail('windows', node, 'expected a list of windows (days, start, end, timeZone)');
    return;
  }
  node.items.forEach((item, i) => {
    const w = readWindow(y, `windows[${i}]`, item as Node | null);
    if (w) policy.windows.push(w);
  });
}

/** groups: <kind>/<name> → maxSurge, maxUnavailable, perNode, actuator. */
function readGroups(
  y: StrictYaml,
  node: Node | null,
  policy: PlanPolicy,
  perNodeKeys: PerNodeKey[],
): void {
  for (const g of y.entriesOf(node, 'groups', null)) {
    const path = `groups.${g.key}`;
    if (!isGroupName(g.key))
      y.problems.push({
        key: path,
        line: g.line,
        message:
          'a group is named <kind>/<name> with kind kops, capi, karpenter, eks, gke or aks, or is `none`',
      });
    const gp: GroupPolicy = {};
    for (const { key: k, node: v } of y.entriesOf(g.node, path, GROUP_KEYS)) {
      if (k === 'perNode') {
        const ms = y.duration(`${path}.perNode`, v, 1);
        if (ms !== null) {
          gp.perNodeMs = ms;
          perNodeKeys.push({ path: `${path}.perNode`, node: v, ms });
        }
      } else if (k === 'actuator') {
        const a = scalarText(v);
        if (a !== null && (GROUP_ACTUATORS as readonly string[]).includes(a))
          gp.actuator = a as GroupActuator;
        else
          y.fail(`${path}.actuator`, v, `expected ${GROUP_ACTUATORS.join(', ')}, got ${show(v)}`);
      } else {
        const n = y.intOrPercent(`${path}.${k}`, v);
        if (n) gp[k as 'maxSurge' | 'maxUnavailable'] = n;
      }
    }
    policy.groups[g.key] = gp;
  }
}

/**
 * A replacement must fit in one window occurrence: a perNode longer than every window would
 * never be scheduled.
 */
function checkPerNodeFits(
  y: StrictYaml,
  windows: readonly WindowSpec[],
  perNodeKeys: readonly PerNodeKey[],
): void {
  if (windows.length === 0) return;
  const longest = windows.reduce((m, w) => Math.max(m, windowMinutes(w)), -Infinity) * 60_000;
  for (const p of perNodeKeys)
    if (p.ms > longest)
      y.fail(
        p.path,
        p.node,
        `${show(p.node)} is longer than the longest window (${longest / 60_000}m): no replacement could ever fit`,
      );
}

/** days: distinct weekday names → 0 (Sunday) … 6, or undefined (and a problem). */
function readDays(y: StrictYaml, path: string, v: Node | null): number[] | undefined {
  const names = isSeq(v) ? v.items.map((d) => scalarText(d as Node | null)) : [];
  const days = names.map((n) => DAYS.findIndex((d) => d.toLowerCase() === n?.toLowerCase()));
  const bad = names.filter((_, i) => (days[i] ?? -1) < 0).map((n) => JSON.stringify(n));
  if (days.length > 0 && bad.length === 0 && new Set(days).size === days.length) return days;
  y.fail(
    `${path}.days`,
    v,
    `expected a list of distinct weekdays (${DAYS.slice(1).join(', ')}, Sun), got ${bad.length > 0 ? bad.join(', ') : show(v)}`,
  );
  return undefined;
}

/** start or end: "HH:MM" → minute of the day (end may be 24:00), or undefined (and a problem). */
function readMinute(
  y: StrictYaml,
  path: string,
  key: 'start' | 'end',
  v: Node | null,
): number | undefined {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/.exec(scalarText(v) ?? '');
  if (m && !(key === 'start' && m[0] === '24:00'))
    return m[0] === '24:00' ? 1440 : Number(m[1]) * 60 + Number(m[2]);
  y.fail(
    `${path}.${key}`,
    v,
    `expected a local time "HH:MM" (00:00–23:59${key === 'end' ? ', or 24:00' : ''}), got ${show(v)}`,
  );
  return undefined;
}

function readWindow(y: StrictYaml, path: string, node: Node | null): WindowSpec | null {
  const w: Partial<WindowSpec> = {};
  const seen = new Set<string>();
  for (const { key, node: v } of y.entriesOf(node, path, WINDOW_KEYS)) {
    seen.add(key);
    if (key === 'days') {
      const days = readDays(y, path, v);
      if (days) w.days = days;
    } else if (key === 'start' || key === 'end') {
      const minute = readMinute(y, path, key, v);
      if (minute !== undefined) w[key === 'start' ? 'startMinute' : 'endMinute'] = minute;
    } else {
      const tz = scalarText(v);
      if (tz === null || !isTimeZone(tz))
        y.fail(
          `${path}.timeZone`,
          v,
          `expected an IANA time zone like America/New_York or UTC, got ${show(v)}`,
        );
      else w.timeZone = tz;
    }
  }
  for (const k of WINDOW_KEYS)
    if (!seen.has(k) && isMap(node)) y.fail(`${path}.${k}`, node, 'is required');
  if (w.startMinute !== undefined && w.startMinute === w.endMinute)
    y.fail(`${path}.end`, node, 'equals start: the window would be empty');
  const { days, startMinute, endMinute, timeZone } = w;
  return days &&
    startMinute !== undefined &&
    endMinute !== undefined &&
    timeZone &&
    startMinute !== endMinute
    ? { days, startMinute, endMinute, timeZone }
    : null;
}

/** the nominal length of a window in minutes (an end at or before the start is the next day) */
function windowMinutes(w: WindowSpec): number {
  return w.endMinute > w.startMinute
    ? w.endMinute - w.startMinute
    : 1440 - w.startMinute + w.endMinute;
}

export function formatPolicyProblem(file: string, p: PolicyProblem): string {
  return `${file}${p.line !== null ? `:${p.line}` : ''}: ${p.key !== '' ? `${p.key}: ` : ''}${p.message}`;
}
