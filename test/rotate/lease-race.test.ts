// Two Lease keepers racing over the real kube-apiserver (the rotator's own RBAC): the server's
// 409 on a stale resourceVersion is the only arbiter, and a keeper that meets it reads the Lease
// again and decides again — it never re-applies its write, and never acts on a Lease another
// run took between its read and its write. The clocks are monotonic readings set by the test.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leaseEdgeOf, LEASE_SECONDS } from '../../src/adapters/kube/rotate-lock.js';
import { LeaseKeeper, leaseTimingFor, type LeaseEdge } from '../../src/rotate/index.js';
import { rotatorLab } from './rotator-cluster.js';

test('two keepers racing on the real API server: the loser of the 409 re-reads and does not hold the Lease; a renewal racing a take-over is lost at once', async (t) => {
  const lab = await rotatorLab(t, []);
  if (!lab) return;
  const client = lab.client();
  const real = leaseEdgeOf(client, lab.namespace);
  let sec = 0;
  const clock = {
    now: () => new Date(Date.UTC(2026, 11, 8) + sec * 1000),
    monotonicMs: () => sec * 1000,
  };
  const timing = leaseTimingFor(LEASE_SECONDS);
  const b = new LeaseKeeper(real, 'keeper-b', timing, clock);
  // A's edge lets B acquire between A's read and A's write: A's create meets the server's 409.
  let race: (() => Promise<unknown>) | null = () => b.acquire();
  const writes: number[] = [];
  const racing: LeaseEdge = {
    read: async () => {
      const l = await real.read();
      const r = race;
      race = null;
      if (r) await r();
      return l;
    },
    write: async (spec, rv) => {
      const ok = await real.write(spec, rv);
      writes.push(ok ? 200 : 409);
      return ok;
    },
  };
  const a = new LeaseKeeper(racing, 'keeper-a', timing, clock);
  const got = await a.acquire();
  assert.equal(got.held, false, 'B won the create');
  assert.deepEqual(writes, [409], 'one write, answered 409 by the server; never re-applied');
  assert.ok(!a.holds());
  assert.equal((await lab.lease())?.holderIdentity, 'keeper-b');
  assert.ok(b.holds());

  // B renews; A takes the Lease over (an admin hand-off: B's record is released) between B's
  // read and B's write: B's write meets 409, and B reads again — held by A — and stops acting.
  sec = 10;
  const bEdge: LeaseEdge = {
    read: async () => {
      const l = await real.read();
      const r = race;
      race = null;
      if (r) await r();
      return l;
    },
    write: (spec, rv) => real.write(spec, rv),
  };
  const b2 = new LeaseKeeper(bEdge, 'keeper-b', timing, clock);
  assert.equal((await b2.acquire()).held, true, 'B (same identity) renews its own Lease');
  race = async () => {
    const path = `/apis/coordination.k8s.io/v1/namespaces/${lab.namespace}/leases/certdrift-rotate`;
    const cur = await lab.get(path);
    assert.ok(cur);
    const put = await lab.cp.admin.request('PUT', path, {
      ...cur,
      spec: { ...(cur.spec as object), holderIdentity: '' },
    });
    assert.equal(put.status, 200);
    assert.equal((await a.acquire()).held, true, 'A takes the released Lease');
  };
  sec = 20;
  const r = await b2.renew();
  assert.deepEqual(r, { result: 'lost', message: 'held by keeper-a' });
  assert.ok(!b2.holds(), 'B no longer acts, within its renew deadline or not');
  assert.equal((await lab.lease())?.holderIdentity, 'keeper-a');

  // A third candidate whose wall clock jumps an hour forward between two looks (NTP, `date -s`):
  // its expiry runs on the monotonic reading, so one second later A's Lease is still A's.
  let mono = 0;
  let wallJump = 0;
  const skewed = {
    now: () => new Date(Date.UTC(2026, 11, 8) + mono + wallJump),
    monotonicMs: () => mono,
  };
  const c = new LeaseKeeper(real, 'keeper-c', timing, skewed);
  assert.equal((await c.acquire()).held, false);
  wallJump = 3_600_000;
  mono = 1000;
  const later = await c.acquire();
  assert.equal(later.held, false, 'not stolen by a wall clock jump');
  assert.equal((await lab.lease())?.holderIdentity, 'keeper-a');
});
