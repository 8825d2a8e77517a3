// The Lease keeper's decisions over time, against a hand-written Lease store that answers as the
// API server does (409 on a stale resourceVersion): renew, fail and recover, lose it at the renew
// deadline, release only what is ours. The emulation runs the same code in rotator-watch.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LeaseKeeper,
  leaseTimingFor,
  rotateOnce,
  waitBeforeRetry,
  type LeaseEdge,
  type LeaseView,
  type RotateEdge,
} from '../../src/rotate/index.js';
import { DEFAULT_POLICY } from '../../src/fleet/plan-policy.js';
import { EMPTY_STATE } from '../../src/rotate/index.js';
import { OPTIONS } from './fixtures.js';

const T0 = Date.parse('2026-11-25T10:00:00Z');
const at = (s: number): Date => new Date(T0 + s * 1000);

/**
 * A wall clock and a monotonic one, as a machine has: `at(s, f)` moves both to second `s` (the
 * monotonic one never back) and calls `f`; `jumpWall` moves the wall clock alone (NTP, `date -s`).
 */
class TwoClocks {
  wallOffsetS = 0;
  s = 0;
  now = (): Date => at(this.s + this.wallOffsetS);
  monotonicMs = (): number => this.s * 1000;
  at<T>(s: number, f: () => T): T {
    assert.ok(s >= this.s, 'monotonic time only moves forward');
    this.s = s;
    return f();
  }
  jumpWall(s: number): void {
    this.wallOffsetS += s;
  }
}

class LeaseStore implements LeaseEdge {
  lease: LeaseView | null = null;
  rv = 0;
  down = false;
  writes = 0;

  /** the stored Lease, as a call (not narrowed by earlier checks) */
  current(): LeaseView | null {
    return this.lease;
  }

  read(): Promise<LeaseView | null> {
    if (this.down) return Promise.reject(new Error('connect ECONNREFUSED'));
    return Promise.resolve(this.lease && { ...this.lease });
  }

  write(spec: Record<string, unknown>, resourceVersion: string | null): Promise<boolean> {
    if (this.down) return Promise.reject(new Error('connect ECONNREFUSED'));
    const stale =
      resourceVersion === null
        ? this.lease !== null
        : this.lease?.resourceVersion !== resourceVersion;
    if (stale) return Promise.resolve(false);
    this.writes++;
    const time = (v: unknown): Date | null => (typeof v === 'string' ? new Date(v) : null);
    this.lease = {
      holder: String(spec.holderIdentity),
      durationSeconds: Number(spec.leaseDurationSeconds),
      renewTime: time(spec.renewTime),
      acquireTime: time(spec.acquireTime),
      transitions: Number(spec.leaseTransitions),
      resourceVersion: String(++this.rv),
    };
    return Promise.resolve(true);
  }
}

test("timing: client-go's proportions (15 s lease: 10 s renew deadline, 2 s retry period)", () => {
  assert.deepEqual(leaseTimingFor(15), {
    durationSeconds: 15,
    renewEveryMs: 2000,
    renewDeadlineMs: 10_000,
  });
  assert.deepEqual(leaseTimingFor(300), {
    durationSeconds: 300,
    renewEveryMs: 40_000,
    renewDeadlineMs: 200_000,
  });
});

test('acquire, renew, a failed renewal within the deadline, lost after it', async () => {
  const c = new TwoClocks();
  const store = new LeaseStore();
  const k = new LeaseKeeper(store, 'me', leaseTimingFor(60), c);
  assert.deepEqual(await c.at(0, () => k.acquire()), { held: true, previous: null });
  assert.deepEqual(await c.at(8, () => k.renew()), { result: 'renewed' });
  assert.equal(store.current()?.renewTime?.getTime(), at(8).getTime());
  store.down = true;
  const failed = await c.at(16, () => k.renew());
  assert.equal(failed.result, 'failed');
  assert.ok(
    c.at(47, () => k.holds()),
    'still acting until the deadline after the last renewal',
  );
  assert.ok(!c.at(48, () => k.holds()), 'not at the deadline');
  const lost = await c.at(48, () => k.renew());
  assert.deepEqual(lost, {
    result: 'lost',
    message: 'no renewal for the renew deadline: connect ECONNREFUSED',
  });
  // Back: the Lease still names us (nobody took it), so acquiring again is a renewal.
  store.down = false;
  assert.deepEqual(await c.at(50, () => k.acquire()), { held: true, previous: null });
  assert.equal(store.current()?.transitions, 0);
});

test('the renew deadline is monotonic: our wall clock jumping back does not keep us acting', async () => {
  const c = new TwoClocks();
  const store = new LeaseStore();
  const k = new LeaseKeeper(store, 'me', leaseTimingFor(60), c);
  await c.at(0, () => k.acquire());
  store.down = true;
  c.jumpWall(-3600);
  assert.ok(!c.at(40, () => k.holds()), 'the deadline (40 s) passed, whatever the wall says');
});

test('a renewal that meets another holder is lost at once; a 409 is read again and decided again', async () => {
  const c = new TwoClocks();
  const store = new LeaseStore();
  const k = new LeaseKeeper(store, 'me', leaseTimingFor(60), c);
  await c.at(0, () => k.acquire());
  // Someone bumps the Lease between every read and write (still ours): each 409 is decided again,
  // and after the attempts the renewal is a failed one — not lost, not re-applied.
  const read = store.read.bind(store);
  store.read = async () => {
    const l = await read();
    store.rv++;
    if (store.lease) store.lease.resourceVersion = String(store.rv);
    return l;
  };
  assert.equal((await c.at(8, () => k.renew())).result, 'failed');
  assert.ok(
    c.at(8, () => k.holds()),
    'within the renew deadline',
  );
  // A single 409: the next read decides again and renews.
  let bumps = 1;
  store.read = async () => {
    const l = await read();
    if (bumps-- > 0 && store.lease) store.lease.resourceVersion = String(++store.rv);
    return l;
  };
  assert.deepEqual(await c.at(9, () => k.renew()), { result: 'renewed' });
  // The 409 came from a new holder that took the Lease between our read and our write: read
  // again, it is not ours — lost at once, no further acting, even within the renew deadline.
  store.read = async () => {
    const l = await read();
    store.read = read;
    assert.ok(store.lease);
    store.lease = { ...store.lease, holder: 'other', resourceVersion: String(++store.rv) };
    return l;
  };
  const r = await c.at(16, () => k.renew());
  assert.deepEqual(r, { result: 'lost', message: 'held by other' });
  assert.ok(!c.at(17, () => k.holds()));
  assert.equal(store.current()?.holder, 'other', 'our write was never re-applied');
});

test('acquire: a 409 from a run that took the Lease first ends with us not holding it', async () => {
  const c = new TwoClocks();
  const store = new LeaseStore();
  const k = new LeaseKeeper(store, 'me', leaseTimingFor(60), c);
  const read = store.read.bind(store);
  // No Lease when we read; another run creates it before our create lands (409).
  store.read = async () => {
    const l = await read();
    store.read = read;
    store.lease = {
      holder: 'other',
      durationSeconds: 60,
      renewTime: at(0),
      acquireTime: at(0),
      transitions: 0,
      resourceVersion: String(++store.rv),
    };
    return l;
  };
  const got = await c.at(0, () => k.acquire());
  assert.deepEqual(got, { held: false, holder: 'other', until: at(60), watch: false });
  assert.ok(!k.holds());
  assert.equal(store.current()?.holder, 'other');
  // A take-over of a record unchanged for a whole duration races the holder's own renewal: the
  // 409 is decided again on the renewed record — alive, so we wait instead of taking it.
  const k2 = new LeaseKeeper(store, 'third', leaseTimingFor(60), c);
  assert.equal((await c.at(1, () => k2.acquire())).held, false);
  store.read = async () => {
    const l = await read();
    store.read = read;
    assert.ok(store.lease);
    store.lease = { ...store.lease, renewTime: at(61), resourceVersion: String(++store.rv) };
    return l;
  };
  const late = await c.at(61, () => k2.acquire());
  assert.deepEqual(late, { held: false, holder: 'other', until: at(121), watch: false });
  assert.equal(store.current()?.holder, 'other');
  assert.equal(store.current()?.transitions, 0);
});

test('release clears only our own Lease: holder empty, 1 s, transitions kept', async () => {
  const c = new TwoClocks();
  const store = new LeaseStore();
  const k = new LeaseKeeper(store, 'me', leaseTimingFor(60), c);
  await c.at(0, () => k.acquire());
  assert.equal(await c.at(5, () => k.release()), true);
  assert.equal(store.current()?.holder, '');
  assert.equal(store.current()?.durationSeconds, 1);
  assert.equal(store.current()?.transitions, 0);
  assert.ok(!c.at(5, () => k.holds()));
  // Another run takes it at once (released, not expired), counting a transition.
  const other = new LeaseKeeper(store, 'other', leaseTimingFor(60), c);
  assert.deepEqual(await c.at(6, () => other.acquire()), { held: true, previous: '' });
  assert.equal(store.current()?.transitions, 1);
  const writes = store.writes;
  assert.equal(await c.at(7, () => k.release()), false, 'not ours: left alone');
  assert.equal(store.writes, writes);
  assert.equal(store.current()?.holder, 'other');
});

test('a waiting run asks again at expiry, or every retry period, never in a busy loop', () => {
  const timing = leaseTimingFor(60);
  assert.equal(waitBeforeRetry(at(3), at(0), timing), 3000);
  assert.equal(waitBeforeRetry(at(600), at(0), timing), timing.renewEveryMs);
  assert.equal(waitBeforeRetry(null, at(0), timing), timing.renewEveryMs);
  assert.equal(waitBeforeRetry(at(0.2), at(0), timing), 1000);
});

test("a skewed clock cannot steal the Lease early: expiry runs from when WE saw the record change (client-go's observedTime), not from its renewTime", async () => {
  const store = new LeaseStore();
  // The other holder's clock runs an hour behind: its renewTime is "an hour ago" by ours, though
  // it wrote the record just now.
  const theirs = new TwoClocks();
  theirs.jumpWall(-3600);
  const other = new LeaseKeeper(store, 'other', leaseTimingFor(60), theirs);
  assert.equal((await theirs.at(0, () => other.acquire())).held, true);
  const c = new TwoClocks();
  const me = new LeaseKeeper(store, 'me', leaseTimingFor(60), c);
  const first = await c.at(0, () => me.acquire());
  assert.deepEqual(first, { held: false, holder: 'other', until: at(60), watch: true });
  assert.equal((await c.at(59, () => me.acquire())).held, false, 'not before a whole duration');
  // It renews (with its skewed clock): the record changed, so expiry moves with our observation.
  await theirs.at(50, () => other.renew());
  const renewed = await c.at(61, () => me.acquire());
  assert.deepEqual(renewed, { held: false, holder: 'other', until: at(121), watch: false });
  assert.equal((await c.at(120, () => me.acquire())).held, false);
  // It vanished: the record stayed the same for a whole duration since we saw it change.
  assert.deepEqual(await c.at(121, () => me.acquire()), { held: true, previous: 'other' });
  assert.equal(store.current()?.holder, 'me');
  assert.equal(store.current()?.transitions, 1);
});

test('our own wall clock jumping forward an hour between two looks cannot steal the Lease early (the observed age is monotonic)', async () => {
  const store = new LeaseStore();
  const theirs = new TwoClocks();
  const other = new LeaseKeeper(store, 'other', leaseTimingFor(60), theirs);
  await theirs.at(0, () => other.acquire());
  const c = new TwoClocks();
  const me = new LeaseKeeper(store, 'me', leaseTimingFor(60), c);
  assert.equal((await c.at(1, () => me.acquire())).held, false);
  c.jumpWall(3600);
  const after = await c.at(2, () => me.acquire());
  assert.equal(after.held, false, 'one second later by the monotonic clock: still theirs');
  assert.deepEqual(after, { held: false, holder: 'other', until: at(3600 + 61), watch: true });
  assert.equal(store.current()?.holder, 'other');
  assert.equal((await c.at(60, () => me.acquire())).held, false);
  assert.deepEqual(await c.at(61, () => me.acquire()), { held: true, previous: 'other' });
});

test('a fresh record by its own clock is a live holder: a one-shot run does not watch it', async () => {
  const store = new LeaseStore();
  const c = new TwoClocks();
  await c.at(0, () => new LeaseKeeper(store, 'other', leaseTimingFor(60), c).acquire());
  const got = await c.at(10, () => new LeaseKeeper(store, 'me', leaseTimingFor(60), c).acquire());
  assert.deepEqual(got, { held: false, holder: 'other', until: at(70), watch: false });
});

test('a one-shot run watches a Lease whose record looks abandoned and takes it only after a whole duration unchanged; a holder that renews meanwhile makes it refuse', async () => {
  const emptyEdge: RotateEdge = {
    readFleet: () => Promise.resolve({ nodes: [], facts: [], problems: [], live: [] }),
    listPods: () => Promise.resolve([]),
    listNodeClaims: () => Promise.resolve([]),
    listMachines: () => Promise.resolve([]),
    listMachineHealthChecks: () => Promise.resolve({ healthChecks: [], pausedClusters: [] }),
    execute: () => Promise.reject(new Error('no calls expected')),
    readState: () => Promise.resolve({ state: EMPTY_STATE, outside: new Map<string, string>() }),
    writeState: () => Promise.reject(new Error('no writes expected')),
  };
  const run = async (renewAt: number | null) => {
    const store = new LeaseStore();
    // a holder whose record says it renewed an hour ago (vanished, or a skewed clock)
    const ghost = new TwoClocks();
    ghost.jumpWall(-3600);
    await new LeaseKeeper(store, 'ghost', leaseTimingFor(60), ghost).acquire();
    let t = 0;
    const events: string[] = [];
    const r = await rotateOnce(
      {
        edge: emptyEdge,
        lease: store,
        now: () => at(t),
        monotonicMs: () => t * 1000,
        sleep: async (ms) => {
          t += ms / 1000;
          if (renewAt !== null && t >= renewAt && store.lease?.holder === 'ghost') {
            store.lease = {
              ...store.lease,
              renewTime: at(t - 3600),
              resourceVersion: String(++store.rv),
            };
          }
          await Promise.resolve();
        },
        report: (e) => events.push(e.kind),
      },
      {
        step: { policy: DEFAULT_POLICY, planId: 'p', options: OPTIONS, apply: true },
        me: 'me',
        timing: leaseTimingFor(60),
        intervalMs: 60_000,
      },
      new AbortController().signal,
    );
    return { r, t, events };
  };
  const vanished = await run(null);
  assert.equal(vanished.r.held, true);
  assert.ok(vanished.t >= 60, `not before a whole duration (${vanished.t} s)`);
  assert.ok(vanished.events.includes('waiting'));
  const alive = await run(10);
  assert.equal(alive.r.held, false, 'the holder renewed while we watched: alive');
  assert.ok(alive.t < 60);
});
