// The rotation's own state: one object in certdrift's namespace (the ConfigMap
// `certdrift-rotation-state`, key `state.json`) that only the rotator's ServiceAccount may write
// (deploy/rotator/rbac.yaml: a Role limited by resourceNames; nodes, the agent and readers
// cannot). It holds the progress record of every node a run works on, keyed by node name AND
// UID, and each group's baseline (the nodes Ready when its first node started), so a single
// step, `--watch` and `--wait` judge the same history. Node annotations are never read as
// truth: a kubelet may patch its own Node (DESIGN.md convention 13, domain.md §10).
// Parsing never throws: entries that fail validation are reported, and a node with one is
// never acted on. Changes are pure (applyChange): each names the entry it expects to replace,
// so a write racing another writer is refused instead of overwriting (the edge re-reads on a
// 409 and re-applies only while the expectation still holds). The serialized state is bounded
// (MAX_STATE_BYTES); past it no new node starts.

import type { RotationRecord } from './rotation-record.js';
import { parseRecord } from './rotation-record.js';

export const STATE_NAME = 'certdrift-rotation-state';
export const STATE_KEY = 'state.json';
/** a ConfigMap holds at most 1 MiB; keep room for metadata */
export const MAX_STATE_BYTES = 900_000;
/** entries read at most (a larger object is not ours to trust whole) */
export const MAX_ENTRIES = 10_000;

/** a record as the state object keeps it: the node's UID and group beside the progress */
export interface StoredRecord extends RotationRecord {
  uid: string;
  group: string;
  /** the node was a control plane (one in flight cluster-wide, even after it is gone) */
  controlPlane?: boolean;
  /** the group's node count when this node started: gone, it is in flight until that is back */
  groupSize?: number;
  /**
   * Karpenter (finishedWhen `claim-gone`): the NodeClaim deleted, and the controller UIDs of the
   * node's evictable pods at the start — finished when the claim is gone and none of them has a
   * Pending pod (Karpenter does not replace one for one: a node count would wait forever)
   */
  claim?: string;
  owners?: readonly string[];
}

/** owners kept per record at most, each at most this long (bounded: the state's size) */
export const MAX_OWNERS = 32;
const MAX_ID = 64;

const ownersOf = (v: unknown): string[] | null =>
  Array.isArray(v) &&
  v.length <= MAX_OWNERS &&
  v.every((x) => typeof x === 'string' && x !== '' && x.length <= MAX_ID)
    ? (v as string[])
    : null;

export interface RotationState {
  /** node name → its record */
  records: Readonly<Record<string, StoredRecord>>;
  /** group → the nodes Ready when its first node started (the `kops validate` baseline) */
  baselines: Readonly<Record<string, readonly string[]>>;
  /** node name → why its entry is not trusted (it failed validation) */
  invalid: Readonly<Record<string, string>>;
  /** problems with the object as a whole */
  problems: readonly string[];
}

export const EMPTY_STATE: RotationState = { records: {}, baselines: {}, invalid: {}, problems: [] };

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function storedOf(v: unknown): StoredRecord | string {
  if (!isObj(v)) return 'not an object';
  const rec = parseRecord(JSON.stringify(v));
  if (rec === null) return 'empty';
  if ('problem' in rec) return rec.problem.replace('certdrift.io/rotation', 'the record');
  if (typeof v.uid !== 'string' || v.uid === '') return 'the record has no node UID';
  if (typeof v.group !== 'string' || v.group === '') return 'the record has no group';
  return {
    ...rec,
    uid: v.uid,
    group: v.group,
    ...(v.controlPlane === true ? { controlPlane: true } : {}),
    ...(typeof v.groupSize === 'number' && Number.isSafeInteger(v.groupSize) && v.groupSize >= 0
      ? { groupSize: v.groupSize }
      : {}),
    ...(typeof v.claim === 'string' && v.claim !== '' && v.claim.length <= 253
      ? { claim: v.claim, owners: ownersOf(v.owners) ?? [] }
      : {}),
  };
}

/** the state object's `state.json`; undefined (no object yet) is the empty state */
export function parseState(text: string | undefined): RotationState {
  if (text === undefined || text === '') return EMPTY_STATE;
  if (text.length > MAX_STATE_BYTES * 2)
    return { ...EMPTY_STATE, problems: [`${STATE_NAME} is larger than its bound: not read`] };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { ...EMPTY_STATE, problems: [`${STATE_NAME} is not JSON: not read`] };
  }
  if (!isObj(v)) return { ...EMPTY_STATE, problems: [`${STATE_NAME} is not an object`] };
  const records: Record<string, StoredRecord> = {};
  const invalid: Record<string, string> = {};
  const problems: string[] = [];
  const recs = isObj(v.records) ? Object.entries(v.records) : [];
  if (recs.length > MAX_ENTRIES) problems.push(`${STATE_NAME}: more than ${MAX_ENTRIES} records`);
  for (const [node, r] of recs.slice(0, MAX_ENTRIES)) {
    const s = storedOf(r);
    if (typeof s === 'string') invalid[node] = s;
    else records[node] = s;
  }
  const baselines: Record<string, string[]> = {};
  const bases = isObj(v.baselines) ? Object.entries(v.baselines) : [];
  for (const [group, names] of bases.slice(0, MAX_ENTRIES))
    if (Array.isArray(names))
      baselines[group] = names
        .filter((n): n is string => typeof n === 'string')
        .slice(0, MAX_ENTRIES);
  return { records, baselines, invalid, problems };
}

function storedJson(r: StoredRecord): Record<string, unknown> {
  return {
    plan: r.plan,
    state: r.state,
    since: r.since,
    ...(r.was !== undefined ? { was: r.was } : {}),
    uid: r.uid,
    group: r.group,
    ...(r.controlPlane === true ? { controlPlane: true } : {}),
    ...(r.groupSize !== undefined ? { groupSize: r.groupSize } : {}),
    ...(r.claim !== undefined ? { claim: r.claim, owners: r.owners ?? [] } : {}),
  };
}

/** the JSON the object stores (invalid entries are kept as they were: a person removes them) */
export function formatState(s: RotationState, raw?: Readonly<Record<string, unknown>>): string {
  const records: Record<string, unknown> = {};
  for (const node of Object.keys(s.invalid).sort()) records[node] = raw?.[node] ?? null;
  for (const node of Object.keys(s.records).sort()) {
    const r = s.records[node];
    if (r) records[node] = storedJson(r);
  }
  const baselines: Record<string, readonly string[]> = {};
  for (const g of Object.keys(s.baselines).sort()) baselines[g] = s.baselines[g] ?? [];
  return JSON.stringify({ version: 1, records, baselines });
}

export const sameRecord = (a: StoredRecord | null, b: StoredRecord | null): boolean =>
  JSON.stringify(a ? storedJson(a) : null) === JSON.stringify(b ? storedJson(b) : null);

/** one change of the state: each entry states what it expects to find */
export interface StateChange {
  records: { node: string; expect: StoredRecord | null; next: StoredRecord | null }[];
  /** set a group's baseline when it has none; null clears it */
  baselines: { group: string; next: readonly string[] | null }[];
}

/** the state with `change` applied, or why not (an entry is not what the decision read) */
export function applyChange(
  s: RotationState,
  change: StateChange,
): { state: RotationState } | { conflict: string } {
  const records = new Map(Object.entries(s.records));
  for (const c of change.records) {
    if (c.node in s.invalid) return { conflict: `${c.node}: its entry fails validation` };
    const found = records.get(c.node) ?? null;
    if (!sameRecord(found, c.expect))
      return { conflict: `${c.node}: its record changed since this step read it` };
    if (c.next === null) records.delete(c.node);
    else records.set(c.node, c.next);
  }
  const baselines = new Map(Object.entries(s.baselines));
  for (const b of change.baselines) {
    // A baseline is dropped only while no record of its group is left in the state as read now:
    // after a 409 the change is decided again on the fresh object, never re-applied blindly (a
    // node of the group started meanwhile keeps its group's baseline).
    if (b.next === null) {
      if (![...records.values()].some((r) => r.group === b.group)) baselines.delete(b.group);
    } else if (!baselines.has(b.group)) baselines.set(b.group, b.next);
  }
  return {
    state: {
      ...s,
      records: Object.fromEntries(records),
      baselines: Object.fromEntries(baselines),
    },
  };
}
