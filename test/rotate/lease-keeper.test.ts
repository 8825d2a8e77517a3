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
  const store = new LeaseStore();
  const k = new LeaseKeeper(store, 'me', leaseTimingFor(60));
  assert.deepEqual(await k.acquire(at(0)), { held: true, previous: null });
  assert.ok(k.holds(at(39)));
  assert.deepEqual(await k.renew(at(8)), { result: 'renewed' });
  assert.equal(store.current()?.renewTime?.getTime(), at(8).getTime());
  store.down = true;
  const failed = await k.renew(at(16));
  assert.equal(failed.result, 'failed');
  assert.ok(k.holds(at(47)), 'still acting until the deadline after the last renewal');
  assert.ok(!k.holds(at(48)), 'not at the deadline');
  const lost = await k.renew(at(48));
  assert.deepEqual(lost, {
    result: 'lost',
    message: 'no renewal for the renew deadline: connect ECONNREFUSED',
  });
  // Back: the Lease still names us (nobody took it), so acquiring again is a renewal.
  store.down = false;
  assert.deepEqual(await k.acquire(at(50)), { held: true, previous: null });
  assert.equal(store.current()?.transitions, 0);
});

test('a renewal that meets another holder is lost at once; a 409 is a failed attempt', async () => {
  const store = new LeaseStore();
  const k = new LeaseKeeper(store, 'me', leaseTimingFor(60));
  await k.acquire(at(0));
  // Someone wrote in between our read and our write: the write is refused (409), not lost.
  const read = store.read.bind(store);
  store.read = async () => {
    const l = await read();
    store.rv++;
    if (store.lease) store.lease.resourceVersion = String(store.rv);
    return l;
  };
  assert.equal((await k.renew(at(8))).result, 'failed');
  store.read = read;
  assert.ok(store.lease);
  store.lease = { ...store.lease, holder: 'other', resourceVersion: String(++store.rv) };
  const r = await k.renew(at(16));
  assert.deepEqual(r, { result: 'lost', message: 'held by other' });
  assert.ok(!k.holds(at(17)));
});

test('release clears only our own Lease: holder empty, 1 s, transitions kept', async () => {
  const store = new LeaseStore();
  const k = new LeaseKeeper(store, 'me', leaseTimingFor(60));
  await k.acquire(at(0));
  assert.equal(await k.release(at(5)), true);
  assert.equal(store.current()?.holder, '');
  assert.equal(store.current()?.durationSeconds, 1);
  assert.equal(store.current()?.transitions, 0);
  assert.ok(!k.holds(at(5)));
  // Another run takes it at once (released, not expired), counting a transition.
  const other = new LeaseKeeper(store, 'other', leaseTimingFor(60));
  assert.deepEqual(await other.acquire(at(6)), { held: true, previous: '' });
  assert.equal(store.current()?.transitions, 1);
  const writes = store.writes;
  assert.equal(await k.release(at(7)), false, 'not ours: left alone');
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
  const other = new LeaseKeeper(store, 'other', leaseTimingFor(60));
  // The other holder's clock runs an hour behind: its renewTime is "an hour ago" by ours, though
  // it wrote the record just now.
  assert.equal((await other.acquire(at(-3600))).held, true);
  const me = new LeaseKeeper(store, 'me', leaseTimingFor(60));
  const first = await me.acquire(at(0));
  assert.deepEqual(first, { held: false, holder: 'other', until: at(60), watch: true });
  assert.equal((await me.acquire(at(59))).held, false, 'not before a whole lease duration');
  // It renews (with its skewed clock): the record changed, so expiry moves with our observation.
  await other.renew(at(-3600 + 50));
  const renewed = await me.acquire(at(61));
  assert.deepEqual(renewed, { held: false, holder: 'other', until: at(121), watch: false });
  assert.equal((await me.acquire(at(120))).held, false);
  // It vanished: the record stayed the same for a whole duration since we saw it change.
  assert.deepEqual(await me.acquire(at(121)), { held: true, previous: 'other' });
  assert.equal(store.current()?.holder, 'me');
  assert.equal(store.current()?.transitions, 1);
});

test('a fresh record by its own clock is a live holder: a one-shot run does not watch it', async () => {
  const store = new LeaseStore();
  await new LeaseKeeper(store, 'other', leaseTimingFor(60)).acquire(at(0));
  const got = await new LeaseKeeper(store, 'me', leaseTimingFor(60)).acquire(at(10));
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
    await new LeaseKeeper(store, 'ghost', leaseTimingFor(60)).acquire(at(-3600));
    let t = 0;
    const events: string[] = [];
    const r = await rotateOnce(
      {
        edge: emptyEdge,
        lease: store,
        now: () => at(t),
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
