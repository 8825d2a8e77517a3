// `certdrift rotate --apply [--watch]` as a process: the real clock, the Lease through the
// project's client, SIGTERM/SIGINT stop it cleanly (the call in flight finishes, no further call
// is made, the Lease is released), and what the Lease does is logged on stderr. The loop itself
// is rotate/rotator.ts; rendering a step stays with the command.

import { systemClock } from '../agent/clock.js';
import type { RotateClient } from '../cluster/rotate-client.js';
import { leaseEdgeOf, LEASE_SECONDS } from '../cluster/rotate-lock.js';
import { sanitize } from '../report/sanitize.js';
import {
  leaseTimingFor,
  rotateOnce,
  rotateWatch,
  type RotatorDeps,
  type RotatorEvent,
  type StepRun,
  type StepSettings,
} from '../rotate/index.js';
import type { Io } from './command.js';
import { OperationalError } from './errors.js';

export interface SessionInput {
  client: RotateClient;
  step: StepSettings;
  /** Lease holder identity */
  me: string;
  watch: boolean;
  intervalMs: number;
  now(): Date;
  io: Io;
  render(run: StepRun): void;
  troubled(run: StepRun): boolean;
}

/** what a step did, to print a watched step only when something changed */
function signature(run: StepRun): string {
  return JSON.stringify([
    run.step.work.map((w) => [w.node, w.state]),
    run.outcomes.map((o) => [o.action.node, o.action.step, o.result]),
  ]);
}

function logger(io: Io, input: SessionInput): (e: RotatorEvent) => void {
  const log = (m: string): void => {
    io.stderr.write(`certdrift rotate: ${sanitize(m)}\n`);
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
  const stop = new AbortController();
  const onSignal = (sig: string) => (): void => {
    io.stderr.write(`certdrift rotate: ${sig}: finishing the call in flight, then releasing\n`);
    stop.abort();
  };
  const onTerm = onSignal('SIGTERM');
  const onInt = onSignal('SIGINT');
  process.once('SIGTERM', onTerm);
  process.once('SIGINT', onInt);
  const deps: RotatorDeps = {
    edge: input.client,
    lease: leaseEdgeOf(input.client),
    now: () => input.now(),
    sleep: (ms, signal) => systemClock.sleep(ms, signal),
    report: logger(io, input),
  };
  const settings = {
    step: input.step,
    me: input.me,
    timing: leaseTimingFor(LEASE_SECONDS),
    intervalMs: input.intervalMs,
  };
  try {
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
    return input.troubled(r.run) || r.lost ? 1 : 0;
  } finally {
    process.removeListener('SIGTERM', onTerm);
    process.removeListener('SIGINT', onInt);
  }
}
