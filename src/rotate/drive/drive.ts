// A run that keeps stepping until the due work is settled (`certdrift rotate --apply --wait`):
// each step is a fresh runStep (so any interruption resumes from the cluster's records), then a
// pause. It waits for each actuator's effect — a drain's pods gone, a handed-over node gone — and
// for the group to validate before its next node; every wait is bounded: a node past its timeout
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
import type { NodeState } from '../rotate-types.js';

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

export async function drive(
  edge: RotateEdge,
  s: DriveSettings,
  clock: Clock,
  onProgress: (p: Progress, run: StepRun) => void = () => undefined,
  stop?: AbortSignal,
): Promise<DriveResult> {
  const first = await edge.readFleet();
  const baseline = baselineOf(first.live);
  const due = new Set<string>();
  const startedAt = new Map<string, number>();
  const done = new Set<string>();
  const finishedMs: number[] = [];
  let parallel = 1;
  let deferredMs = 0;
  let deferSince: number | null = null;
  let validatingSince: number | null = null;
  /** in flight, then gone from the cluster: done once its group validates (replacement Ready) */
  const gone = new Map<string, { group: string; at: number }>();
  const groupOf = new Map<string, string>();
  const replaceTimeout = s.options.replaceTimeoutMs ?? DEFAULT_REPLACE_TIMEOUT_MS;
  let steps = 0;
  const stopped = (): boolean => stop?.aborted === true;
  for (;;) {
    const now = clock.now();
    const t = now.getTime();
    const run = await runStep(edge, { ...s, baseline }, now);
    steps++;
    const live = new Set(run.live.map((n) => n.name));
    const byNode = new Map(run.step.work.map((w) => [w.node, w]));
    for (const w of run.step.work) if (COUNTED.has(w.state)) due.add(w.node);
    for (const w of run.step.work) groupOf.set(w.node, w.group);
    // Finished: drained by this plan; or in flight before, gone now (replaced or deleted), and
    // its group valid again — the replacement joined and is Ready (validateGroup).
    for (const [node, since] of startedAt) {
      if (done.has(node)) continue;
      if (FINISHED.has(byNode.get(node)?.state ?? 'gone')) {
        done.add(node);
        finishedMs.push(t - since);
      } else if (!live.has(node) && !gone.has(node))
        gone.set(node, { group: groupOf.get(node) ?? 'none', at: t });
    }
    let replacing: { node: string; group: string; at: number; note: string } | undefined;
    for (const [node, g] of gone) {
      if (done.has(node)) continue;
      const check = validateGroup(
        g.group,
        run.live,
        baselineFor(run.state, baseline),
        '',
        ledgerOf(run.state, run.live).trusted,
      );
      if (check === null) {
        done.add(node);
        finishedMs.push(t - (startedAt.get(node) ?? t));
      } else replacing ??= { node, ...g, note: check.note };
    }
    for (const w of run.step.work) {
      if (IN_FLIGHT.has(w.state) && !startedAt.has(w.node)) startedAt.set(w.node, t);
      if (FINISHED.has(w.state) && !startedAt.has(w.node)) done.add(w.node);
    }
    const flying = run.step.work.filter((w) => IN_FLIGHT.has(w.state)).length;
    parallel = Math.max(parallel, flying);
    // a node whose drain refuses pods waits for a person, as a stuck one does
    const stuck = run.step.work
      .filter((w) => w.state === 'stuck' || w.state === 'blocked')
      .map((w) => w.node);
    const remaining = due.size - done.size - stuck.length;
    onProgress(
      {
        at: now,
        total: due.size,
        done: done.size,
        stuck: stuck.length,
        current: currentOf(run),
        etaMs: etaOf(finishedMs, remaining, parallel),
      },
      run,
    );
    const result = (end: DriveEnd, message: string): DriveResult => ({
      end,
      message,
      last: run,
      steps,
      done: [...done].sort(),
      stuck,
      deferredMs,
    });
    // Stopped during the step: a write refused for it is not a failure of the node.
    if (stopped()) return result('stopped', 'stopped: the Lease was lost or a stop was asked for');
    if (run.gate?.kind === 'refuse') return result('refused', run.gate.reason);
    const failed = run.outcomes.find((o) => o.result === 'failed');
    if (failed)
      return result(
        'failed',
        `${failed.action.node} ${failed.action.step}: ${failed.message ?? 'failed'}`,
      );
    const halted = run.step.work.find((w) => w.state === 'halted');
    if (halted) return result('halted', `${halted.group}: ${halted.note}`);
    if (run.gate?.kind === 'defer') {
      deferSince ??= t;
      if (deferredMs + (t - deferSince) > s.deferTimeoutMs) {
        deferredMs += t - deferSince;
        return result(
          'defer-timeout',
          `deferred longer than the defer timeout: ${run.gate.reason}`,
        );
      }
    } else if (deferSince !== null) {
      deferredMs += t - deferSince;
      deferSince = null;
    }
    if (replacing && t - replacing.at > replaceTimeout)
      return result(
        'validate-timeout',
        `${replacing.node} is gone but ${replacing.group} did not validate within the replace timeout: ${replacing.note}`,
      );
    const validating = run.step.work.find((w) => w.state === 'validating');
    const othersFlying = flying > 0;
    if (validating && !othersFlying) {
      validatingSince ??= t;
      if (t - validatingSince > replaceTimeout)
        return result('validate-timeout', `${validating.group}: ${validating.note}`);
    } else validatingSince = null;
    const acted = run.outcomes.some((o) => o.result !== 'planned');
    if (!acted && !replacing && !run.step.work.some((w) => ACTIVE.has(w.state)))
      return stuck.length > 0
        ? result('stuck', `stuck: ${stuck.join(', ')}`)
        : result('finished', 'nothing left to do now');
    await clock.sleep(s.pollMs);
    if (stopped()) return result('stopped', 'stopped: the Lease was lost or a stop was asked for');
  }
}
