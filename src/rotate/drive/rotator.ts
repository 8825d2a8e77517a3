// `certdrift rotate --apply` with the Lease held for the whole run: once (one step, then release),
// `--wait` (drive.ts: step until the due work is settled, then release) or `--watch` (step,
// sleep the interval, step … until stopped). While it holds the Lease a
// renewal loop runs beside the work — also during a long step, e.g. a drain waiting on a
// PodDisruptionBudget — and every write goes through a guard: once the Lease is lost (another
// holder, or no renewal within the renew deadline) or a stop was asked for (SIGTERM), no further
// call is made. The call in flight finishes; the records in the state object (rotation-state.ts) make
// whatever was left half-done safe to resume, by this run or another.
// A run that does not hold the Lease waits and asks again; it never takes over an unexpired one,
// and expiry is judged from when this run saw the record change (a monotonic reading), never
// from the record's renewTime against our clock (lease-decision.ts).
// Time and sleep are injected, so tests drive hours of this without waiting.

import {
  LeaseKeeper,
  waitBeforeRetry,
  type AcquireResult,
  type LeaseEdge,
  type LeaseTiming,
} from '../lease/lease-keeper.js';
import { drive, type DriveResult } from './drive.js';
import type { Progress } from './progress.js';
import { runStep, type RotateEdge, type StepRun, type StepSettings } from '../run-step.js';

export interface RotatorDeps {
  /** the step's cluster calls; every write is an `execute` */
  edge: RotateEdge;
  lease: LeaseEdge;
  now(): Date;
  /** a monotonic reading (ms): every lease duration is measured on it, never on `now` */
  monotonicMs(): number;
  /** resolves after `ms`, or early (without error) when `signal` aborts */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  report(e: RotatorEvent): void;
}

export interface RotatorSettings {
  step: StepSettings;
  /** the Lease holder identity */
  me: string;
  timing: LeaseTiming;
  /** --watch: time between steps */
  intervalMs: number;
}

export type RotatorEvent =
  | { kind: 'waiting'; at: Date; holder: string; until: Date | null }
  | { kind: 'acquired'; at: Date; previous: string | null }
  | { kind: 'renew-failed'; at: Date; message: string }
  | { kind: 'lost'; at: Date; message: string }
  | { kind: 'released'; at: Date; released: boolean }
  | { kind: 'step'; at: Date; run: StepRun }
  | { kind: 'error'; at: Date; message: string };

/** thrown by the guard instead of a write once this run may no longer act */
export class NotActingError extends Error {}

// Every other method of the edge is inherited unchanged; only the writes are guarded: execute
// and writeState before the call and again before each request and retry inside the edge
// (client-go checks the lease before every write too), so a write retried for minutes — or a
// state write's read/PUT cycles after 409s — never lands after the guard closed.
function guarded(edge: RotateEdge, why: () => string | null): RotateEdge {
  const g = Object.create(edge) as RotateEdge;
  g.execute = (call, also) => {
    const reason = why();
    if (reason !== null) return Promise.reject(new NotActingError(reason));
    return edge.execute(call, () => why() ?? also?.() ?? null);
  };
  g.writeState = (change, also) => {
    const reason = why();
    if (reason !== null) return Promise.reject(new NotActingError(reason));
    return edge.writeState(change, () => why() ?? also?.() ?? null);
  };
  return g;
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Holds the Lease from `acquire` until `stop` aborts: renews, and aborts `lost` when it is lost. */
async function keepRenewed(
  keeper: LeaseKeeper,
  deps: RotatorDeps,
  stop: AbortSignal,
  lost: AbortController,
): Promise<void> {
  for (;;) {
    await deps.sleep(keeper.timing.renewEveryMs, stop);
    if (stop.aborted) return;
    const r = await keeper.renew();
    if (r.result === 'renewed') continue;
    if (r.result === 'failed') {
      deps.report({ kind: 'renew-failed', at: deps.now(), message: r.message });
      continue;
    }
    deps.report({ kind: 'lost', at: deps.now(), message: r.message });
    lost.abort();
    return;
  }
}

/**
 * The work while holding: `work(edge, until)` gets the guarded edge and a signal that aborts when
 * the Lease is lost or `stop` aborts. Renewal runs until the work returns.
 */
async function whileHolding<T>(
  keeper: LeaseKeeper,
  deps: RotatorDeps,
  stop: AbortSignal,
  work: (edge: RotateEdge, done: AbortSignal) => Promise<T>,
): Promise<{ value: T; lost: boolean }> {
  const lost = new AbortController();
  const finished = new AbortController();
  const end = new AbortController();
  const endNow = (): void => {
    end.abort();
  };
  stop.addEventListener('abort', endNow, { once: true });
  lost.signal.addEventListener('abort', endNow, { once: true });
  const renewing = keepRenewed(keeper, deps, AbortSignal.any([end.signal, finished.signal]), lost);
  const edge = guarded(deps.edge, () => {
    if (stop.aborted) return 'stopping: no further calls';
    if (lost.signal.aborted || !keeper.holds())
      return 'the rotation Lease is no longer held: no further calls';
    return null;
  });
  try {
    const value = await work(edge, end.signal);
    return { value, lost: lost.signal.aborted };
  } finally {
    finished.abort();
    await renewing;
    stop.removeEventListener('abort', endNow);
  }
}

async function release(keeper: LeaseKeeper, deps: RotatorDeps): Promise<void> {
  try {
    const released = await keeper.release();
    deps.report({ kind: 'released', at: deps.now(), released });
  } catch (e) {
    deps.report({ kind: 'error', at: deps.now(), message: `releasing the Lease: ${messageOf(e)}` });
  }
}

/**
 * Acquire for a run that does not wait for a live holder (once, --wait): a Lease whose record
 * looks abandoned is watched — not taken — until it stayed unchanged for a whole lease duration
 * after this run first saw it (client-go's observedTime); a holder that renews meanwhile is alive
 * and the run gives up at once, as it does for a fresh record.
 */
async function acquireOrWatch(
  keeper: LeaseKeeper,
  deps: RotatorDeps,
  stop: AbortSignal,
): Promise<AcquireResult> {
  for (;;) {
    const got = await keeper.acquire();
    if (got.held || !got.watch || stop.aborted) return got;
    const now = deps.now();
    deps.report({ kind: 'waiting', at: now, holder: got.holder, until: got.until });
    await deps.sleep(waitBeforeRetry(got.until, now, keeper.timing), stop);
  }
}

export type OnceResult =
  { held: false; holder: string; until: Date | null } | { held: true; run: StepRun; lost: boolean };

/** One step under the Lease, then release. Errors of the step propagate (after the release). */
export async function rotateOnce(
  deps: RotatorDeps,
  s: RotatorSettings,
  stop: AbortSignal,
): Promise<OnceResult> {
  const keeper = new LeaseKeeper(deps.lease, s.me, s.timing, deps);
  const got = await acquireOrWatch(keeper, deps, stop);
  if (!got.held) return { held: false, holder: got.holder, until: got.until };
  deps.report({ kind: 'acquired', at: deps.now(), previous: got.previous });
  try {
    const { value, lost } = await whileHolding(keeper, deps, stop, (edge) =>
      runStep(edge, { ...s.step, clock: () => deps.now() }, deps.now()),
    );
    return { held: true, run: value, lost };
  } finally {
    await release(keeper, deps);
  }
}

export interface DriveTiming {
  /** pause between steps */
  pollMs: number;
  /** total time the run may spend deferred by --defer-while */
  deferTimeoutMs: number;
}

export type DriveRunResult =
  | { held: false; holder: string; until: Date | null }
  | { held: true; result: DriveResult; lost: boolean };

/**
 * `--wait`: the multi-step run (drive.ts) under the Lease, renewed beside it however long it
 * waits; it ends `stopped` once the Lease is lost or `stop` aborts, and the Lease is released.
 */
export async function rotateDrive(
  deps: RotatorDeps,
  s: RotatorSettings,
  timing: DriveTiming,
  stop: AbortSignal,
  onProgress: (p: Progress, run: StepRun) => void = () => undefined,
): Promise<DriveRunResult> {
  const keeper = new LeaseKeeper(deps.lease, s.me, s.timing, deps);
  const got = await acquireOrWatch(keeper, deps, stop);
  if (!got.held) return { held: false, holder: got.holder, until: got.until };
  deps.report({ kind: 'acquired', at: deps.now(), previous: got.previous });
  try {
    const { value, lost } = await whileHolding(keeper, deps, stop, (edge, done) =>
      drive(
        edge,
        { ...s.step, ...timing, clock: () => deps.now() },
        { now: () => deps.now(), sleep: (ms) => deps.sleep(ms, done) },
        onProgress,
        done,
      ),
    );
    return { held: true, result: value, lost };
  } finally {
    await release(keeper, deps);
  }
}

/**
 * Until `stop` aborts: wait for the Lease, then step every interval while holding it; a lost
 * Lease sends the run back to waiting. On stop, the Lease is released.
 */
export async function rotateWatch(
  deps: RotatorDeps,
  s: RotatorSettings,
  stop: AbortSignal,
): Promise<void> {
  const keeper = new LeaseKeeper(deps.lease, s.me, s.timing, deps);
  while (!stop.aborted) {
    let got;
    try {
      got = await keeper.acquire();
    } catch (e) {
      deps.report({ kind: 'error', at: deps.now(), message: `the Lease: ${messageOf(e)}` });
      await deps.sleep(s.timing.renewEveryMs, stop);
      continue;
    }
    if (!got.held) {
      const now = deps.now();
      deps.report({ kind: 'waiting', at: now, holder: got.holder, until: got.until });
      await deps.sleep(waitBeforeRetry(got.until, now, s.timing), stop);
      continue;
    }
    deps.report({ kind: 'acquired', at: deps.now(), previous: got.previous });
    await whileHolding(keeper, deps, stop, async (edge, done) => {
      while (!done.aborted) {
        try {
          const run = await runStep(edge, { ...s.step, clock: () => deps.now() }, deps.now());
          deps.report({ kind: 'step', at: deps.now(), run });
        } catch (e) {
          // A failed read (API server away, a 403) is retried next interval; the Deployment
          // would only restart into the same error.
          deps.report({ kind: 'error', at: deps.now(), message: messageOf(e) });
        }
        await deps.sleep(s.intervalMs, done);
      }
    });
  }
  await release(keeper, deps);
}
