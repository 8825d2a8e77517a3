// Reads the plan policy file (YAML) strictly: exactly the documented keys, durations like `20m`
// or `14d`, IANA time zones, weekday names. Every problem is reported, each naming the key and
// its line, so one typo never hides another. Never throws.

import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { parseDuration } from '../model/duration.js';
import {
  DEFAULT_POLICY,
  type GroupPolicy,
  type IntOrPercent,
  type PlanPolicy,
} from './plan-policy.js';
import { isGroupName } from './node-group.js';
import type { WindowSpec } from './window-calendar.js';
import { isTimeZone } from './zoned-time.js';

export interface PolicyProblem {
  line: number | null;
  key: string;
  message: string;
}

const TOP_KEYS = ['maxNodeAge', 'margin', 'horizon', 'perNode', 'maxInFlight', 'windows', 'groups'];
const WINDOW_KEYS = ['days', 'start', 'end', 'timeZone'];
const GROUP_KEYS = ['maxSurge', 'maxUnavailable', 'perNode'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

type Entries = { key: string; node: Node | null; line: number | null }[];

export function readPolicy(text: string): { policy: PlanPolicy; problems: PolicyProblem[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const problems: PolicyProblem[] = [];
  const lineOf = (n: Node | null | undefined): number | null =>
    n?.range ? lines.linePos(n.range[0]).line : null;
  const fail = (key: string, node: Node | null | undefined, message: string): void =>
    void problems.push({ key, line: lineOf(node), message });
  for (const e of doc.errors)
    problems.push({
      key: '',
      line: e.linePos?.[0].line ?? lines.linePos(e.pos[0]).line,
      message: e.message.split('\n')[0] ?? '',
    });
  const policy: PlanPolicy = { ...DEFAULT_POLICY, windows: [], groups: {} };
  if (doc.errors.length > 0) return { policy, problems };

  const entriesOf = (node: Node | null, path: string, allowed: string[] | null): Entries => {
    if (!isMap(node)) {
      fail(path, node, 'expected a mapping of keys to values');
      return [];
    }
    const out: Entries = [];
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : '';
      const full = path === '' ? key : `${path}.${key}`;
      if (allowed && !allowed.includes(key))
        fail(full, keyNode, `unknown key (expected one of: ${allowed.join(', ')})`);
      else out.push({ key, node: (pair.value as Node | null) ?? null, line: lineOf(keyNode) });
    }
    return out;
  };
  const scalarText = (node: Node | null): string | null =>
    isScalar(node) && typeof node.value === 'string' ? node.value : null;

  const duration = (path: string, node: Node | null, min: number): number | null => {
    const text = scalarText(node);
    const ms = text === null ? null : parseDuration(text);
    if (ms === null)
      fail(path, node, `expected a duration like 20m, 12h or 14d, got ${show(node)}`);
    else if (ms < min) fail(path, node, `must be more than zero, got ${show(node)}`);
    return ms !== null && ms >= min ? ms : null;
  };

  const intOrPercent = (path: string, node: Node | null): IntOrPercent | null => {
    const v = isScalar(node) ? node.value : undefined;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return { count: v };
    const m = typeof v === 'string' ? /^(\d{1,3})%$/.exec(v) : null;
    if (m && Number(m[1]) <= 100) return { percent: Number(m[1]) };
    fail(path, node, `expected a whole number ≥ 0 or a percentage like 25%, got ${show(node)}`);
    return null;
  };

  const root = doc.contents as Node | null;
  const perNodeKeys: { path: string; node: Node | null; ms: number }[] = [];
  for (const { key, node } of root === null ? [] : entriesOf(root, '', TOP_KEYS)) {
    if (key === 'maxNodeAge' || key === 'horizon' || key === 'perNode') {
      const ms = duration(key, node, 1);
      if (ms === null) continue;
      if (key === 'maxNodeAge') policy.maxNodeAgeMs = ms;
      else if (key === 'horizon') policy.horizonMs = ms;
      else {
        policy.perNodeMs = ms;
        perNodeKeys.push({ path: key, node, ms });
      }
    } else if (key === 'margin') {
      const ms = duration(key, node, 0);
      if (ms !== null) policy.marginMs = ms;
    } else if (key === 'maxInFlight') {
      const v = isScalar(node) ? node.value : undefined;
      if (typeof v === 'number' && Number.isInteger(v) && v >= 1) policy.maxInFlight = v;
      else fail(key, node, `expected a whole number ≥ 1, got ${show(node)}`);
    } else if (key === 'windows') {
      if (!isSeq(node)) {
        fail(key, node, 'expected a list of windows (days, start, end, timeZone)');
        continue;
      }
      node.items.forEach((item, i) => {
        const w = readWindow(`windows[${i}]`, item as Node | null);
        if (w) policy.windows.push(w);
      });
    } else {
      for (const g of entriesOf(node, 'groups', null)) {
        const path = `groups.${g.key}`;
        if (!isGroupName(g.key))
          problems.push({
            key: path,
            line: g.line,
            message:
              'a group is named <kind>/<name> with kind kops, capi, karpenter, eks, gke or aks, or is `none`',
          });
        const gp: GroupPolicy = {};
        for (const { key: k, node: v } of entriesOf(g.node, path, GROUP_KEYS)) {
          if (k === 'perNode') {
            const ms = duration(`${path}.perNode`, v, 1);
            if (ms !== null) {
              gp.perNodeMs = ms;
              perNodeKeys.push({ path: `${path}.perNode`, node: v, ms });
            }
          } else {
            const n = intOrPercent(`${path}.${k}`, v);
            if (n) gp[k as 'maxSurge' | 'maxUnavailable'] = n;
          }
        }
        policy.groups[g.key] = gp;
      }
    }
  }

  // A replacement must fit in one window occurrence: a perNode longer than every window would
  // never be scheduled.
  if (policy.windows.length > 0) {
    const longest = Math.max(...policy.windows.map(windowMinutes)) * 60_000;
    for (const p of perNodeKeys)
      if (p.ms > longest)
        fail(
          p.path,
          p.node,
          `${show(p.node)} is longer than the longest window (${longest / 60_000}m): no replacement could ever fit`,
        );
  }
  // In file order, as an editor shows them (the sort is stable within a line).
  problems.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
  return { policy, problems };

  function readWindow(path: string, node: Node | null): WindowSpec | null {
    const w: Partial<WindowSpec> = {};
    const seen = new Set<string>();
    for (const { key, node: v } of entriesOf(node, path, WINDOW_KEYS)) {
      seen.add(key);
      if (key === 'days') {
        const names = isSeq(v) ? v.items.map((d) => scalarText(d as Node | null)) : [];
        const days = names.map((n) => DAYS.findIndex((d) => d.toLowerCase() === n?.toLowerCase()));
        const bad = names.filter((_, i) => (days[i] ?? -1) < 0).map((n) => JSON.stringify(n));
        if (days.length === 0 || bad.length > 0 || new Set(days).size !== days.length)
          fail(
            `${path}.days`,
            v,
            `expected a list of distinct weekdays (${DAYS.slice(1).join(', ')}, Sun), got ${bad.length > 0 ? bad.join(', ') : show(v)}`,
          );
        else w.days = days;
      } else if (key === 'start' || key === 'end') {
        const m = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/.exec(scalarText(v) ?? '');
        if (!m || (key === 'start' && m[0] === '24:00'))
          fail(
            `${path}.${key}`,
            v,
            `expected a local time "HH:MM" (00:00–23:59${key === 'end' ? ', or 24:00' : ''}), got ${show(v)}`,
          );
        else
          w[key === 'start' ? 'startMinute' : 'endMinute'] =
            m[0] === '24:00' ? 1440 : Number(m[1]) * 60 + Number(m[2]);
      } else {
        const tz = scalarText(v);
        if (tz === null || !isTimeZone(tz))
          fail(
            `${path}.timeZone`,
            v,
            `expected an IANA time zone like America/New_York or UTC, got ${show(v)}`,
          );
        else w.timeZone = tz;
      }
    }
    for (const k of WINDOW_KEYS)
      if (!seen.has(k) && isMap(node)) fail(`${path}.${k}`, node, 'is required');
    if (w.startMinute !== undefined && w.startMinute === w.endMinute)
      fail(`${path}.end`, node, 'equals start: the window would be empty');
    const { days, startMinute, endMinute, timeZone } = w;
    return days &&
      startMinute !== undefined &&
      endMinute !== undefined &&
      timeZone &&
      startMinute !== endMinute
      ? { days, startMinute, endMinute, timeZone }
      : null;
  }
}

/** the nominal length of a window in minutes (an end at or before the start is the next day) */
function windowMinutes(w: WindowSpec): number {
  return w.endMinute > w.startMinute
    ? w.endMinute - w.startMinute
    : 1440 - w.startMinute + w.endMinute;
}

function show(node: Node | null | undefined): string {
  if (isScalar(node)) return node.value === undefined ? 'nothing' : JSON.stringify(node.value);
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  return 'nothing';
}

export function formatPolicyProblem(file: string, p: PolicyProblem): string {
  return `${file}${p.line !== null ? `:${p.line}` : ''}: ${p.key !== '' ? `${p.key}: ` : ''}${p.message}`;
}
