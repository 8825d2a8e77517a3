// Holding the rotation Lease over time, as client-go's leaderelection does
// (k8s.io/client-go/tools/leaderelection/leaderelection.go): acquire (lease-decision.ts decides),
// renew every `renewEveryMs` while working, and stop acting — no further writes — as soon as the
// Lease shows another holder or no renewal succeeded for `renewDeadlineMs`, which is shorter than
// the lease duration, so a holder cut off from the API server stops before anyone may take over.
// Released at the end (holder cleared, duration 1 s: client-go's release()), so the next run
// starts at once instead of waiting for the lease to expire.
// Every read and write goes through a narrow edge (cluster/rotate-lock.ts over the project's
// client); time is a parameter.

import {
  decideLease,
  leaseExpiry,
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

export class LeaseKeeper {
  /** when our last write of the Lease succeeded (ms); null while not holding */
  private renewedAt: number | null = null;
  /** client-go's observedRawRecord/observedTime: the record last seen and when it changed (local) */
  private observed: { key: string; at: number } | null = null;
  /** the record changed under another holder since the first one this keeper saw */
  private sawRenewal = false;

  constructor(
    private readonly edge: LeaseEdge,
    readonly me: string,
    readonly timing: LeaseTiming,
  ) {}

  /** whether this holder may act at `now`: it holds the Lease, renewed within the deadline */
  holds(now: Date): boolean {
    return this.renewedAt !== null && now.getTime() - this.renewedAt < this.timing.renewDeadlineMs;
  }

  /** records `l` as seen at `now`; returns when this keeper first saw the record as it is now */
  private observe(l: LeaseView | null, now: Date): Date {
    if (l === null) {
      this.observed = null;
      return now;
    }
    const key = leaseRecordKey(l);
    if (this.observed?.key !== key) {
      if (this.observed !== null && l.holder !== this.me && l.holder !== '') this.sawRenewal = true;
      this.observed = { key, at: now.getTime() };
    }
    return new Date(this.observed.at);
  }

  async acquire(now: Date): Promise<AcquireResult> {
    const current = await this.edge.read();
    const observedAt = this.observe(current, now);
    const d = decideLease(current, this.me, now, observedAt);
    if (d.kind === 'wait')
      return {
        held: false,
        holder: d.holder,
        until: d.until,
        watch: current !== null && looksAbandoned(current, now) && !this.sawRenewal,
      };
    const spec = leaseSpecFor(d, current, this.me, this.timing.durationSeconds, now);
    if (await this.edge.write(spec, current === null ? null : current.resourceVersion)) {
      this.renewedAt = now.getTime();
      this.sawRenewal = false;
      return { held: true, previous: d.kind === 'take-over' ? d.previous : null };
    }
    // Another run won the race (409): report who holds it now.
    const again = await this.edge.read();
    const seen = this.observe(again, now);
    return {
      held: false,
      holder: again?.holder ?? '',
      until: again === null ? null : leaseExpiry(again, seen),
      watch: false,
    };
  }

  async renew(now: Date): Promise<RenewResult> {
    if (this.renewedAt === null) return { result: 'lost', message: 'not holding the Lease' };
    let outcome: RenewResult;
    try {
      const current = await this.edge.read();
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
        now,
      );
      if (await this.edge.write(spec, current.resourceVersion)) {
        this.renewedAt = now.getTime();
        return { result: 'renewed' };
      }
      outcome = { result: 'failed', message: 'conflict (409): the Lease changed while renewing' };
    } catch (e) {
      outcome = { result: 'failed', message: (e as Error).message };
    }
    if (this.holds(now)) return outcome;
    this.renewedAt = null;
    return { result: 'lost', message: `no renewal for the renew deadline: ${outcome.message}` };
  }

  /**
   * Stops acting first, then clears the holder if the Lease is still ours. Returns whether it
   * released it (false: someone else holds it, or it is gone).
   */
  async release(now: Date): Promise<boolean> {
    this.renewedAt = null;
    const current = await this.edge.read();
    if (current === null || current.holder !== this.me) return false;
    const at = now.toISOString().replace('Z', '000Z');
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
