// A run that keeps stepping until the due work is settled (`certdrift rotate --apply --wait`):
// each step is a fresh runStep (so any interruption resumes from the cluster's records), then a
// pause. It waits for each actuator's effect — a drain's pods gone, a handed-over node gone and
// its record settled (kops and Cluster API: the group back to its size; Karpenter, claim-gone:
// its NodeClaim gone and none of its pods Pending) — and for the group to validate before its
// next node. The parts: settle (what finished this step), endOf (why the run ends); every wait is
// bounded: a node past its timeout
// is recorded stuck (choose-work.ts) and the run ends when nothing is left to wait for, a group
// that does not validate within the replace timeout stops the run, a node that turned NotReady
// stops it at once, and deferral (--defer-while) is bounded by its overall timeout. Under the
// rotation Lease (rotator.ts: rotateDrive) the run ends `stopped` as soon as `stop` aborts (the
// Lease lost, or SIGTERM): no further step starts. Pure: the clock and the pause come in through
// `Clock`; progress goes out through a callback.

import { etaOf, type Progress } from './progress.js';
import {
  baselineFor,
  DEFAULT_REPLACE_TIMEOUT_MS,
  ledgerOf,
  validateGroup,
} from '../choose-work.js';
import {
  baselineOf,
  runStep,
  type RotateEdge,
  type StepRun,
  type StepSettings,
} from '../run-step.js';
import type { Clock } from '../../model/clock.js';
import type { GroupBaseline, NodeState } from '../rotate-types.js';

/** the one Clock (model/clock.ts); exported here too because rotate's callers name it so */
export type { Clock };

export interface DriveSettings extends Omit<StepSettings, 'baseline'> {
  /** pause between steps */
  pollMs: number;
  /** total time the run may spend deferred by --defer-while */
  deferTimeoutMs: number;
}

export type DriveEnd =
  | 'finished'
  | 'halted'
  | 'refused'
  | 'defer-timeout'
  | 'validate-timeout'
  | 'stuck'
  | 'failed'
  | 'stopped';

export interface DriveResult {
  end: DriveEnd;
  message: string;
  last: StepRun;
  steps: number;
  done: string[];
  stuck: string[];
  deferredMs: number;
}

const IN_FLIGHT: ReadonlySet<NodeState> = new Set(['start', 'continue', 'waiting-replacement']);
const ACTIVE: ReadonlySet<NodeState> = new Set([
  'start',
  'continue',
  'waiting-replacement',
  // a drain in flight whose window ended: waits for the next window or its drain timeout
  'window-ended',
  'validating',
  'deferred',
]);
const COUNTED: ReadonlySet<NodeState> = new Set([
  ...ACTIVE,
  'over-limit',
  'halted',
  'stuck',
  'blocked',
  'drained',
  'renewed',
]);

/** done by this plan and kept: drained (the group replaces it later) or renewed in place */
const FINISHED: ReadonlySet<NodeState> = new Set(['drained', 'renewed']);

function currentOf(run: StepRun): string {
  const acted = run.outcomes.filter((o) => o.result !== 'planned');
  const last = acted[acted.length - 1];
  if (last) return `${last.action.node} ${last.action.step} ${last.result}`;
  const w =
    run.step.work.find((x) => x.state === 'deferred') ??
    run.step.work.find((x) => x.state === 'validating') ??
    run.step.work.find((x) => x.state === 'waiting-replacement') ??
    run.step.work.find((x) => x.state === 'continue');
  return w ? `${w.node} ${w.state}: ${w.note}` : 'idle';
}

/** what a run has seen so far, across its steps */
interface Tally {
  due: Set<string>;
  startedAt: Map<string, number>;
  done: Set<string>;
  finishedMs: number[];
  parallel: number;
  deferredMs: number;
  deferSince: number | null;
  validatingSince: number | null;
  /** in flight, then gone from the cluster: done once its record is settled and its group valid */
  gone: Map<string, { group: string; at: number }>;
  groupOf: Map<string, string>;
  steps: number;
}

const newTally = (): Tally => ({
  due: new Set(),
  startedAt: new Map(),
  done: new Set(),
  finishedMs: [],
  parallel: 1,
  deferredMs: 0,
  deferSince: null,
  validatingSince: null,
  gone: new Map(),
  groupOf: new Map(),
  steps: 0,
});

type Replacing = { node: string; group: string; at: number; note: string } | undefined;

/**
 * Finished this step: drained or renewed by this plan; or in flight before, gone now, its record
 * no longer waiting (its group back to its size, or — Karpenter's claim-gone — its NodeClaim gone
 * and none of its pods Pending) and its group valid again. Returns the first node still replaced.
 */
function settle(tally: Tally, run: StepRun, baseline: GroupBaseline, t: number): Replacing {
  const live = new Set(run.live.map((n) => n.name));
  const byNode = new Map(run.step.work.map((w) => [w.node, w]));
  for (const w of run.step.work) if (COUNTED.has(w.state)) tally.due.add(w.node);
  for (const w of run.step.work) tally.groupOf.set(w.node, w.group);
  const finish = (node: string): void => {
    tally.done.add(node);
    tally.finishedMs.push(t - (tally.startedAt.get(node) ?? t));
  };
  for (const [node] of tally.startedAt) {
    if (tally.done.has(node)) continue;
    if (FINISHED.has(byNode.get(node)?.state ?? 'gone')) finish(node);
    else if (!live.has(node) && !tally.gone.has(node))
      tally.gone.set(node, { group: tally.groupOf.get(node) ?? 'none', at: t });
  }
  let replacing: Replacing;
  for (const [node, g] of tally.gone) {
    if (tally.done.has(node)) continue;
    const w = byNode.get(node);
    const check =
      w?.state === 'waiting-replacement'
        ? { note: w.note }
        : validateGroup(
            g.group,
            run.live,
            baselineFor(run.state, baseline),
            '',
            ledgerOf(run.state, run.live).trusted,
          );
    if (check === null) finish(node);
    else replacing ??= { node, ...g, note: check.note };
  }
  for (const w of run.step.work) {
    if (IN_FLIGHT.has(w.state) && !tally.startedAt.has(w.node)) tally.startedAt.set(w.node, t);
    if (FINISHED.has(w.state) && !tally.startedAt.has(w.node)) tally.done.add(w.node);
  }
  return replacing;
}

/** why the run ends after this step, or null to step again */
function endOf(
  tally: Tally,
  run: StepRun,
  s: DriveSettings,
  t: number,
  replacing: Replacing,
  stuck: readonly string[],
): { end: DriveEnd; message: string } | null {
  if (run.gate?.kind === 'refuse') return { end: 'refused', message: run.gate.reason };
  const failed = run.outcomes.find((o) => o.result === 'failed');
  if (failed)
    return {
      end: 'failed',
      message: `${failed.action.node} ${failed.action.step}: ${failed.message ?? 'failed'}`,
    };
  const halted = run.step.work.find((w) => w.state === 'halted');
  if (halted) return { end: 'halted', message: `${halted.group}: ${halted.note}` };
  if (run.gate?.kind === 'defer') {
    tally.deferSince ??= t;
    if (tally.deferredMs + (t - tally.deferSince) > s.deferTimeoutMs) {
      tally.deferredMs += t - tally.deferSince;
      const message = `deferred longer than the defer timeout: ${run.gate.reason}`;
      return { end: 'defer-timeout', message };
    }
  } else if (tally.deferSince !== null) {
    tally.deferredMs += t - tally.deferSince;
    tally.deferSince = null;
  }
  const replaceTimeout = s.options.replaceTimeoutMs ?? DEFAULT_REPLACE_TIMEOUT_MS;
  if (replacing && t - replacing.at > replaceTimeout)
    return {
      end: 'validate-timeout',
      message: `${replacing.node} is gone but ${replacing.group} did not validate within the replace timeout: ${replacing.note}`,
    };
  const validating = run.step.work.find((w) => w.state === 'validating');
  const othersFlying = run.step.work.some((w) => IN_FLIGHT.has(w.state));
  if (validating && !othersFlying) {
    tally.validatingSince ??= t;
    if (t - tally.validatingSince > replaceTimeout)
      return { end: 'validate-timeout', message: `${validating.group}: ${validating.note}` };
  } else tally.validatingSince = null;
  const acted = run.outcomes.some((o) => o.result !== 'planned');
  if (!acted && !replacing && !run.step.work.some((w) => ACTIVE.has(w.state)))
    return stuck.length > 0
      ? { end: 'stuck', message: `stuck: ${stuck.join(', ')}` }
      : { end: 'finished', message: 'nothing left to do now' };
  return null;
}

const STOPPED = 'stopped: the Lease was lost or a stop was asked for';

export async function drive(
  edge: RotateEdge,
  s: DriveSettings,
  clock: Clock,
  onProgress: (p: Progress, run: StepRun) => void = () => undefined,
  stop?: AbortSignal,
): Promise<DriveResult> {
  const baseline = baselineOf((await edge.readFleet()).live);
  const tally = newTally();
  const stopped = (): boolean => stop?.aborted === true;
  for (;;) {
    const now = clock.now();
    const t = now.getTime();
    const run = await runStep(edge, { ...s, baseline }, now);
    tally.steps++;
    const replacing = settle(tally, run, baseline, t);
    const flying = run.step.work.filter((w) => IN_FLIGHT.has(w.state)).length;
    tally.parallel = Math.max(tally.parallel, flying);
    // a node whose drain refuses pods waits for a person, as a stuck one does
    const stuck = run.step.work
      .filter((w) => w.state === 'stuck' || w.state === 'blocked')
      .map((w) => w.node);
    const remaining = tally.due.size - tally.done.size - stuck.length;
    onProgress(
      {
        at: now,
        total: tally.due.size,
        done: tally.done.size,
        stuck: stuck.length,
        current: currentOf(run),
        etaMs: etaOf(tally.finishedMs, remaining, tally.parallel),
      },
      run,
    );
    const result = (end: DriveEnd, message: string): DriveResult => ({
      end,
      message,
      last: run,
      steps: tally.steps,
      done: [...tally.done].sort(),
      stuck,
      deferredMs: tally.deferredMs,
    });
    // Stopped during the step: a write refused for it is not a failure of the node.
    if (stopped()) return result('stopped', STOPPED);
    const end = endOf(tally, run, s, t, replacing, stuck);
    if (end) return result(end.end, end.message);
    await clock.sleep(s.pollMs);
    if (stopped()) return result('stopped', STOPPED);
  }
}
