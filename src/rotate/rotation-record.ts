// The progress record `certdrift rotate` keeps for each node it works on: which run (plan id),
// what state, since when. It lives in the rotation state object (rotation-state.ts, with the
// node's UID and group), so any run — after SIGTERM, a crash or a lost lock — resumes from it and
// repeats nothing. Parsing never throws: a malformed record is reported, never acted on.

/**
 * the annotation earlier versions kept the record in: now only reported when found on a Node
 * (a kubelet can write its own Node's annotations), never read as a record
 */
export const ROTATION_ANNOTATION = 'certdrift.io/rotation';

/**
 * cordoned: drain in progress; handed-over: the group's tool replaces it; drained: done, kept;
 * renewing: the in-place actuator's renew Job runs on it; renewed: its Job proved the renewal;
 * stuck: a timeout passed or the renewal failed (`was` says in which state) — reported, never
 * retried until a person removes its entry from the state object
 */
export const RECORD_STATES = [
  'cordoned',
  'handed-over',
  'drained',
  'stuck',
  'renewing',
  'renewed',
] as const;
/** the states a node can be stuck in */
export type StuckFrom = 'cordoned' | 'handed-over' | 'renewing';
export type RecordState = (typeof RECORD_STATES)[number];

export interface RotationRecord {
  plan: string;
  state: RecordState;
  /** when this state began (RFC 3339) */
  since: string;
  /** stuck only: the state that timed out */
  was?: StuckFrom;
}

export function formatRecord(r: RotationRecord): string {
  return JSON.stringify({
    plan: r.plan,
    state: r.state,
    since: r.since,
    ...(r.was !== undefined ? { was: r.was } : {}),
  });
}

/** null when absent; `{ problem }` when present but unreadable */
export function parseRecord(
  value: string | undefined,
): RotationRecord | null | { problem: string } {
  if (value === undefined) return null;
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch {
    return { problem: `${ROTATION_ANNOTATION} is not JSON` };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    return { problem: `${ROTATION_ANNOTATION} is not an object` };
  const o = v as Record<string, unknown>;
  const state = o.state;
  if (typeof o.plan !== 'string' || o.plan === '')
    return { problem: `${ROTATION_ANNOTATION} has no plan id` };
  if (typeof state !== 'string' || !(RECORD_STATES as readonly string[]).includes(state))
    return { problem: `${ROTATION_ANNOTATION} has an unknown state` };
  if (typeof o.since !== 'string' || Number.isNaN(Date.parse(o.since)))
    return { problem: `${ROTATION_ANNOTATION} has no valid time` };
  const was =
    o.was === 'cordoned' || o.was === 'handed-over' || o.was === 'renewing' ? o.was : undefined;
  return {
    plan: o.plan,
    state: state as RecordState,
    since: o.since,
    ...(was !== undefined ? { was } : {}),
  };
}

export function isRecord(r: ReturnType<typeof parseRecord>): r is RotationRecord {
  return r !== null && !('problem' in r);
}
