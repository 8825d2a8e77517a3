// Holding the rotation Lease over time, as client-go's leaderelection does
// (k8s.io/client-go/tools/leaderelection/leaderelection.go): acquire (lease-decision.ts decides),
// renew every `renewEveryMs` while working, and stop acting — no further writes — as soon as the
// Lease shows another holder or no renewal succeeded for `renewDeadlineMs`, which is shorter than
// the lease duration, so a holder cut off from the API server stops before anyone may take over.
// Released at the end (holder cleared, duration 1 s: client-go's release()), so the next run
// starts at once instead of waiting for the lease to expire.
// Every read and write goes through a narrow edge (adapters/kube/rotate-lock.ts over the
// project's client); time is a LeaseClock: the wall clock only for the renewTime written, a
// monotonic reading for every duration (observed record age, renew deadline), so a wall clock
// that jumps neither steals the Lease early nor keeps a holder acting past its deadline.

import {
  decideLease,
  leaseRecordKey,
  leaseSpecFor,
  looksAbandoned,
  type LeaseView,
} from './lease-decision.js';

export interface LeaseEdge {
  /** the Lease as read, or null when there is none */
  read(): Promise<LeaseView | null>;
  /** create (resourceVersion null) or replace; false when another writer won (409) */
  write(spec: Record<string, unknown>, resourceVersion: string | null): Promise<boolean>;
}

export interface LeaseTiming {
  durationSeconds: number;
  /** renew (holder) and poll (waiter) this often: client-go's RetryPeriod */
  renewEveryMs: number;
  /** stop acting when no renewal succeeded for this long: client-go's RenewDeadline */
  renewDeadlineMs: number;
}

/** client-go's default proportions (15 s lease, 10 s renew deadline, 2 s retry period) */
export function leaseTimingFor(durationSeconds: number): LeaseTiming {
  const ms = durationSeconds * 1000;
  return {
    durationSeconds,
    renewEveryMs: Math.round((ms * 2) / 15),
    renewDeadlineMs: Math.round((ms * 2) / 3),
  };
}

export type AcquireResult =
  | { held: true; previous: string | null }
  | {
      held: false;
      holder: string;
      until: Date | null;
      /**
       * the record's own renewTime says expired, and it has not changed since this keeper first
       * saw it: worth watching until `until` (our observation + the lease duration); false when
       * the holder is plainly alive (a fresh renewTime, or it renewed while we watched)
       */
      watch: boolean;
    };

export type RenewResult =
  | { result: 'renewed' }
  | { result: 'failed'; message: string }
  | { result: 'lost'; message: string };

/** the Lease keeper's time: the wall clock to write renewTime, a monotonic one to measure */
export interface LeaseClock {
  now(): Date;
  /** ms that only move forward (model/clock.ts MonotonicClock) */
  monotonicMs(): number;
}

/** reads and decisions again after a 409 before an attempt gives up (another writer keeps winning) */
const CONFLICT_ATTEMPTS = 3;

export class LeaseKeeper {
  /** (monotonic ms) when our last successful write of the Lease was sent; null while not holding */
  private renewedAt: number | null = null;
  /** client-go's observedRawRecord/observedTime: the record last seen and when it changed (monotonic) */
  private observed: { key: string; at: number } | null = null;
  /** the record changed under another holder since the first one this keeper saw */
  private sawRenewal = false;

  constructor(
    private readonly edge: LeaseEdge,
    readonly me: string,
    readonly timing: LeaseTiming,
    private readonly clock: LeaseClock,
  ) {}

  /** whether this holder may act now: it holds the Lease, renewed within the deadline (monotonic) */
  holds(): boolean {
    return (
      this.renewedAt !== null &&
      this.clock.monotonicMs() - this.renewedAt < this.timing.renewDeadlineMs
    );
  }

  /** records `l` as seen now; returns for how long (ms) this keeper has seen it unchanged */
  private observe(l: LeaseView | null): number {
    const mono = this.clock.monotonicMs();
    if (l === null) {
      this.observed = null;
      return 0;
    }
    const key = leaseRecordKey(l);
    if (this.observed?.key !== key) {
      if (this.observed !== null && l.holder !== this.me && l.holder !== '') this.sawRenewal = true;
      this.observed = { key, at: mono };
    }
    return mono - this.observed.at;
  }

  /**
   * Reads the Lease and decides (lease-decision.ts). A write that meets 409 is never re-applied:
   * the Lease is read again and the decision made again — another run may have taken it.
   */
  async acquire(): Promise<AcquireResult> {
    let holder = '';
    for (let attempt = 1; attempt <= CONFLICT_ATTEMPTS; attempt++) {
      const sent = this.clock.monotonicMs();
      const current = await this.edge.read();
      const d = decideLease(current, this.me, this.observe(current));
      const now = this.clock.now();
      if (d.kind === 'wait')
        return {
          held: false,
          holder: d.holder,
          until: new Date(now.getTime() + d.remainingMs),
          watch: current !== null && looksAbandoned(current, now) && !this.sawRenewal,
        };
      const spec = leaseSpecFor(d, current, this.me, this.timing.durationSeconds, now);
      if (await this.edge.write(spec, current === null ? null : current.resourceVersion)) {
        this.renewedAt = sent;
        this.sawRenewal = false;
        return { held: true, previous: d.kind === 'take-over' ? d.previous : null };
      }
      holder = current?.holder ?? '';
    }
    // Another writer won every race: not ours, and no expiry known yet.
    return { held: false, holder, until: null, watch: false };
  }

  async renew(): Promise<RenewResult> {
    if (this.renewedAt === null) return { result: 'lost', message: 'not holding the Lease' };
    let outcome: RenewResult = { result: 'failed', message: 'not renewed' };
    try {
      for (let attempt = 1; attempt <= CONFLICT_ATTEMPTS; attempt++) {
        const sent = this.clock.monotonicMs();
        const current = await this.edge.read();
        this.observe(current);
        if (current === null || current.holder !== this.me) {
          this.renewedAt = null;
          const who = current === null ? 'the Lease was deleted' : `held by ${current.holder}`;
          return { result: 'lost', message: who };
        }
        const spec = leaseSpecFor(
          { kind: 'renew' },
          current,
          this.me,
          this.timing.durationSeconds,
          this.clock.now(),
        );
        if (await this.edge.write(spec, current.resourceVersion)) {
          this.renewedAt = sent;
          return { result: 'renewed' };
        }
        // 409: someone wrote the Lease since we read it — read it again and decide again
        outcome = { result: 'failed', message: 'conflict (409): the Lease kept changing' };
      }
    } catch (e) {
      outcome = { result: 'failed', message: (e as Error).message };
    }
    if (this.holds()) return outcome;
    this.renewedAt = null;
    return { result: 'lost', message: `no renewal for the renew deadline: ${outcome.message}` };
  }

  /**
   * Stops acting first, then clears the holder if the Lease is still ours. Returns whether it
   * released it (false: someone else holds it, or it is gone).
   */
  async release(): Promise<boolean> {
    this.renewedAt = null;
    const current = await this.edge.read();
    if (current === null || current.holder !== this.me) return false;
    const at = this.clock.now().toISOString().replace('Z', '000Z');
    return this.edge.write(
      {
        holderIdentity: '',
        leaseDurationSeconds: 1,
        acquireTime: at,
        renewTime: at,
        leaseTransitions: current.transitions,
      },
      current.resourceVersion,
    );
  }
}

/** how long a run that does not hold the Lease waits before asking again */
export function waitBeforeRetry(until: Date | null, now: Date, timing: LeaseTiming): number {
  if (until === null) return timing.renewEveryMs;
  return Math.min(Math.max(until.getTime() - now.getTime(), 1000), timing.renewEveryMs);
}
