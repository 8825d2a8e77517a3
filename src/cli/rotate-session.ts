// `certdrift rotate --apply [--wait | --watch]` as a process: the real clock, the Lease through the
// project's client, SIGTERM/SIGINT stop it cleanly (the call in flight finishes, no further call
// is made, the Lease is released), and what the Lease does is logged on stderr. The loop itself
// is rotate/rotator.ts; rendering a step stays with the command.

import { systemClock } from '../model/clock.js';
import type { RotateClient } from '../adapters/kube/rotate-client.js';
import { leaseEdgeOf, LEASE_SECONDS } from '../adapters/kube/rotate-lock.js';
import { escapeTerminal } from '../model/escape.js';
import {
  leaseTimingFor,
  rotateDrive,
  rotateOnce,
  rotateWatch,
  type DriveResult,
  type DriveTiming,
  type RotatorDeps,
  type RotatorEvent,
  type StepRun,
  type StepSettings,
} from '../rotate/index.js';
import type { Io } from './command.js';
import { OperationalError } from './errors.js';
import { stopOnSignals } from './signals.js';
import { progressWriter, type ProgressWriter } from './rotate-wait.js';

export interface SessionInput {
  client: RotateClient;
  step: StepSettings;
  /** Lease holder identity */
  me: string;
  /** certdrift's own namespace: where the Lease lives */
  namespace: string;
  watch: boolean;
  intervalMs: number;
  now(): Date;
  io: Io;
  render(run: StepRun): void;
  /** the exit code a step's outcome asks for */
  exitOf(run: StepRun): number;
  /** --wait: drive until the due work is settled; `report` renders the end, returns the code */
  wait?: DriveTiming & { report(r: DriveResult, lost: boolean): number };
}

/** what a step did, to print a watched step only when something changed */
function signature(run: StepRun): string {
  return JSON.stringify([
    run.step.work.map((w) => [w.node, w.state]),
    run.outcomes.map((o) => [o.action.node, o.action.step, o.result]),
  ]);
}

function logger(input: SessionInput, write: (line: string) => void): (e: RotatorEvent) => void {
  const log = (m: string): void => {
    write(escapeTerminal(m));
  };
  let waitingFor: string | null = null;
  let last = '';
  return (e) => {
    switch (e.kind) {
      case 'waiting':
        // Once per holder: the expiry moves with every renewal.
        if (waitingFor !== e.holder)
          log(
            `the Lease is held by ${e.holder}${e.until ? ` until ${e.until.toISOString()}` : ''}: waiting`,
          );
        waitingFor = e.holder;
        return;
      case 'acquired':
        waitingFor = null;
        log(
          `holding the Lease as ${input.me}${e.previous ? ` (taken over from ${e.previous}, expired)` : ''}`,
        );
        return;
      case 'renew-failed':
        log(`renewing the Lease failed (retrying): ${e.message}`);
        return;
      case 'lost':
        log(`lost the Lease (${e.message}): no further calls`);
        return;
      case 'released':
        if (e.released) log('released the Lease');
        return;
      case 'error':
        log(`error: ${e.message}`);
        return;
      case 'step': {
        if (!input.watch) return;
        const sig = signature(e.run);
        if (sig !== last) input.render(e.run);
        last = sig;
        return;
      }
    }
  };
}

export async function rotateWithLease(input: SessionInput): Promise<number> {
  const { io } = input;
  // --wait: messages go through the progress writer (above the redrawn line; JSON lines)
  const progress: ProgressWriter | null = input.wait ? await progressWriter(io) : null;
  const write = (line: string): void => {
    if (progress) progress.log(line);
    else io.stderr.write(`certdrift rotate: ${line}\n`);
  };
  const stop = stopOnSignals((sig) => {
    write(`${sig}: finishing the call in flight, then releasing`);
  });
  const deps: RotatorDeps = {
    edge: input.client,
    lease: leaseEdgeOf(input.client, input.namespace),
    now: () => input.now(),
    monotonicMs: () => systemClock.monotonicMs(),
    sleep: (ms, signal) => systemClock.sleep(ms, signal),
    report: logger(input, write),
  };
  const settings = {
    step: input.step,
    me: input.me,
    timing: leaseTimingFor(LEASE_SECONDS),
    intervalMs: input.intervalMs,
  };
  try {
    if (input.wait && progress) {
      let r;
      try {
        r = await rotateDrive(deps, settings, input.wait, stop.signal, progress.onProgress);
      } finally {
        progress.end();
      }
      if (!r.held)
        throw new OperationalError(
          `the rotation Lease is held by ${r.holder} until ${r.until?.toISOString() ?? '?'}: not acting`,
        );
      return input.wait.report(r.result, r.lost);
    }
    if (input.watch) {
      await rotateWatch(deps, settings, stop.signal);
      return 0;
    }
    const r = await rotateOnce(deps, settings, stop.signal);
    if (!r.held)
      throw new OperationalError(
        `the rotation Lease is held by ${r.holder} until ${r.until?.toISOString() ?? '?'}: not acting`,
      );
    input.render(r.run);
    return Math.max(input.exitOf(r.run), r.lost ? 1 : 0);
  } finally {
    stop.release();
  }
}
