// `certdrift rotate --apply --watch` as the in-cluster Deployment runs it, against the API
// emulation with the rotator's ServiceAccount and shipped RBAC, on virtual time (hours of leases
// and drains in milliseconds; every HTTPS call is real):
// - two rotator instances: only the Lease holder acts; the other waits;
// - a drain held up by a PodDisruptionBudget for 20 minutes, inside long steps: the holder keeps
//   renewing, the Lease never expires, the other never takes over;
// - the holder killed (no release, no renewal): the other takes over only once the Lease expired,
//   and resumes the half-done drain without repeating a call;
// - a holder whose Lease was taken, or that cannot renew within the renew deadline, makes no
//   further call — before the Lease expires for anyone else;
// - `--wait` (rotateDrive) holds and renews the Lease through a blocked drain, finishes, releases;
//   a Lease taken mid-run ends it `stopped` with no further call.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RotateClient } from '../../src/adapters/kube/rotate-client.js';
import { leaseEdgeOf, LEASE_NAME, LEASE_NAMESPACE } from '../../src/adapters/kube/rotate-lock.js';
import { DEFAULT_POLICY } from '../../src/fleet/plan-policy.js';
import {
  leaseTimingFor,
  rotateDrive,
  rotateWatch,
  type DriveRunResult,
  type LeaseEdge,
  type RotateEdge,
  type RotatorEvent,
} from '../../src/rotate/index.js';
import { haveKubectl, type KubeEmulator } from '../support/kube-emulator/index.js';
import { raw } from '../support/kube-emulator/testing.js';
import { VirtualTime } from '../support/virtual-time.js';
import { readyCondition } from '../support/kube-emulator/controllers.js';
import { startRotatorCluster, type RotatorLab } from './rotator-cluster.js';

const skip = !haveKubectl() && !process.env.CI;
const LEASE_S = 60;
const TIMING = leaseTimingFor(LEASE_S); // renew every 8 s, stop acting after 40 s without
const INTERVAL = 30_000;
const MIN = 60_000;

let lab: RotatorLab;
let emu: KubeEmulator;
before(async () => {
  if (skip) return;
  lab = await startRotatorCluster(['drain']);
  emu = lab.emu;
});
after(async () => {
  if (!skip) await emu.stop();
});

const never = new Promise<never>(() => undefined);

interface Instance {
  name: string;
  events: (RotatorEvent & { t: number })[];
  stop: AbortController;
  done: Promise<unknown>;
  /** the process dies: no further call returns, nothing is released */
  kill(): void;
  /** the Lease calls fail (the rest works): a holder cut off from renewing */
  breakLease(): void;
  requests(): { method: string; path: string; code: number }[];
  /** mode `wait`: how the drive ended */
  driven?: Promise<DriveRunResult>;
}

/**
 * A rotator instance. `slowStepMs`: each step that drains spends this long listing the pods
 * before it acts — a long step, as one waiting inside on a budget or a replacement. `mode`:
 * `watch` (rotateWatch, the Deployment) or `wait` (rotateDrive, `--apply --wait`).
 */
function start(
  vt: VirtualTime,
  name: string,
  slowStepMs = 0,
  mode: 'watch' | 'wait' = 'watch',
): Instance {
  const client: RotateClient = lab.client(`certdrift/test-${name}`);
  let dead = false;
  let leaseBroken = false;
  const io = <T>(f: () => Promise<T>): Promise<T> => (dead ? never : vt.track(f));
  const edge: RotateEdge = {
    readFleet: () => io(() => client.readFleet()),
    listPods: async (nodes) => {
      if (slowStepMs > 0 && nodes.size > 0)
        await vt.sleep(slowStepMs, new AbortController().signal);
      return io(() => client.listPods(nodes));
    },
    listNodeClaims: () => io(() => client.listNodeClaims()),
    listMachines: () => io(() => client.listMachines()),
    execute: (call) => io(() => client.execute(call)),
  };
  const le = leaseEdgeOf(client);
  const refused = (): Promise<never> => Promise.reject(new Error('connect ECONNREFUSED'));
  const lease: LeaseEdge = {
    read: () => (leaseBroken ? refused() : io(() => le.read())),
    write: (spec, rv) => (leaseBroken ? refused() : io(() => le.write(spec, rv))),
  };
  const events: Instance['events'] = [];
  const stop = new AbortController();
  const deps = {
    edge,
    lease,
    now: vt.now,
    sleep: (ms: number, signal: AbortSignal) => (dead ? never : vt.sleep(ms, signal)),
    report: (e: RotatorEvent) => events.push({ ...e, t: vt.ms() }),
  };
  const settings = {
    step: {
      policy: { ...DEFAULT_POLICY, maxNodeAgeMs: 1000 },
      planId: 'p-watch',
      options: { afterDrain: 'none' as const, drainTimeoutMs: 3 * 3_600_000 },
      apply: true,
    },
    me: name,
    timing: TIMING,
    intervalMs: INTERVAL,
  };
  const driven =
    mode === 'wait'
      ? rotateDrive(deps, settings, { pollMs: INTERVAL, deferTimeoutMs: 3_600_000 }, stop.signal)
      : undefined;
  const done = driven ?? rotateWatch(deps, settings, stop.signal);
  return {
    name,
    events,
    stop,
    done,
    ...(driven ? { driven } : {}),
    kill: () => {
      dead = true;
    },
    breakLease: () => {
      leaseBroken = true;
    },
    requests: () =>
      emu.requests
        .filter((q) => q.userAgent === `certdrift/test-${name}`)
        .map((q) => ({ method: q.method, path: q.path, code: q.code })),
  };
}

const leaseSpec = () =>
  emu.find('coordination.k8s.io', 'leases', LEASE_NAME, LEASE_NAMESPACE)?.spec as
    { holderIdentity: string; renewTime: string; leaseTransitions: number } | undefined;
const writes = (i: Instance, match: (path: string) => boolean = () => true) =>
  i.requests().filter((q) => q.method !== 'GET' && match(q.path));
const isLease = (p: string): boolean => p.includes('/leases');
const pod = (name: string, node: string, app: string, ready: boolean) => ({
  metadata: { name, namespace: 'shop', labels: { app } },
  spec: { nodeName: node },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

function reset(): void {
  for (const [group, resource, ns] of [
    ['', 'nodes', ''],
    ['', 'pods', 'shop'],
    ['policy', 'poddisruptionbudgets', 'shop'],
    ['coordination.k8s.io', 'leases', LEASE_NAMESPACE],
  ] as const)
    for (const o of emu.store.list(emu.type(group, resource), ns))
      emu.store.delete(emu.type(group, resource), ns, o.metadata.name);
}

test('two rotators: one acts, renews through a 20-minute PDB-blocked drain, the other takes over only after the killed holder’s Lease expired and repeats nothing', async (t) => {
  if (skip) return t.skip('kubectl is not installed (renders deploy/)');
  reset();
  // Ready: a group is validated before each node starts (a NotReady d2 would hold d1 back)
  emu.seed('', 'nodes', { metadata: { name: 'd1' }, status: readyCondition() });
  emu.seed('', 'nodes', { metadata: { name: 'd2' }, status: readyCondition() });
  const pods = emu.type('', 'pods');
  emu.store.create(pods, pod('web-1', 'd1', 'web', true));
  emu.store.create(pods, pod('web-2', 'elsewhere', 'web', false));
  emu.store.create(pods, pod('api-1', 'd2', 'api', true));
  emu.seed('policy', 'poddisruptionbudgets', {
    metadata: { name: 'web', namespace: 'shop' },
    spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } },
  });
  const vt = new VirtualTime(emu.now() + MIN);
  const t0 = vt.ms();

  // A starts first and takes the Lease; B starts and waits.
  const a = start(vt, 'rotator-a', 5 * MIN);
  await vt.runUntil(t0);
  assert.equal(leaseSpec()?.holderIdentity, 'rotator-a');
  const b = start(vt, 'rotator-b');
  let renewals = 0;
  let lastRenew = '';
  await vt.runUntil(t0 + 20 * MIN, () => {
    const l = leaseSpec();
    assert.equal(l?.holderIdentity, 'rotator-a', 'only A ever holds the Lease');
    assert.ok(l);
    if (l.renewTime !== lastRenew) renewals++;
    lastRenew = l.renewTime;
    // The Lease never lapses while A lives, though each of A's steps lasts over 5 minutes.
    assert.ok(
      Date.parse(l.renewTime) + LEASE_S * 1000 > vt.ms(),
      `the Lease is fresh at ${new Date(vt.ms()).toISOString()}`,
    );
  });
  assert.ok(renewals >= (20 * MIN) / TIMING.renewEveryMs - 2, `A renewed ${renewals} times`);
  assert.deepEqual(writes(b), [], 'B wrote nothing, not even the Lease');
  assert.ok(b.events.some((e) => e.kind === 'waiting' && e.holder === 'rotator-a'));
  assert.equal(b.events.filter((e) => e.kind === 'acquired').length, 0);
  const cordons = writes(a, (p) => p === '/api/v1/nodes/d1');
  assert.equal(cordons.length, 1, 'one cordon (with the record)');
  const evictions = writes(a, (p) => p.endsWith('/web-1/eviction'));
  assert.ok(evictions.length >= 3, `A kept trying (${evictions.length})`);
  assert.ok(
    evictions.every((q) => q.code === 429),
    'the budget held every time',
  );
  assert.ok(emu.find('', 'pods', 'web-1', 'shop'));

  // A dies (its node was drained under it, or OOM-killed); web-2 becomes Ready.
  a.kill();
  const aCalls = a.requests().length;
  const renewedAt = Date.parse(leaseSpec()?.renewTime ?? '');
  const ready = await raw(emu, 'PATCH', '/api/v1/namespaces/shop/pods/web-2/status', {
    token: lab.admin,
    body: { status: { conditions: [{ type: 'Ready', status: 'True' }] } },
    contentType: 'application/strategic-merge-patch+json',
  });
  assert.equal(ready.status, 200);
  await vt.runUntil(vt.ms() + 5 * MIN, () => {
    if (leaseSpec()?.holderIdentity === 'rotator-b')
      assert.ok(vt.ms() >= renewedAt + LEASE_S * 1000, 'not before the Lease expired');
  });
  const took = b.events.find((e) => e.kind === 'acquired');
  assert.ok(took);
  assert.equal(took.previous, 'rotator-a');
  assert.ok(
    took.t >= renewedAt + LEASE_S * 1000 && took.t <= renewedAt + LEASE_S * 1000 + 1000,
    `B took over at expiry: ${took.t - renewedAt} ms after A's last renewal`,
  );
  assert.equal(leaseSpec()?.leaseTransitions, 1);
  assert.equal(a.requests().length, aCalls, 'the dead holder made no call');

  // B resumed: d1's drain finished (no second cordon), then d2 drained — each call once.
  assert.deepEqual(
    writes(b, (p) => !isLease(p)).map((q) => `${q.method} ${q.path} ${q.code}`),
    [
      'POST /api/v1/namespaces/shop/pods/web-1/eviction 201',
      'PATCH /api/v1/nodes/d1 200',
      'PATCH /api/v1/nodes/d2 200',
      'POST /api/v1/namespaces/shop/pods/api-1/eviction 201',
      'PATCH /api/v1/nodes/d2 200',
    ],
  );
  for (const n of ['d1', 'd2'])
    assert.match(
      emu.find('', 'nodes', n)?.metadata.annotations?.['certdrift.io/rotation'] ?? '',
      /"state":"drained"/,
    );
  b.stop.abort();
  await vt.runUntil(vt.ms());
  await b.done;
  assert.equal(leaseSpec()?.holderIdentity, '', 'B released the Lease on stop');
});

test('a holder whose Lease was taken makes no further call; one that cannot renew stops before the Lease expires', async (t) => {
  if (skip) return t.skip('kubectl is not installed (renders deploy/)');
  // Part 1: someone else writes the Lease (an operator forcing it, a split brain).
  reset();
  emu.seed('', 'nodes', { metadata: { name: 'd1' } });
  emu.store.create(emu.type('', 'pods'), pod('web-1', 'd1', 'web', true));
  const vt = new VirtualTime(emu.now() + MIN);
  const a = start(vt, 'holder-1', 3 * MIN);
  await vt.runUntil(vt.ms() + 10_000);
  assert.equal(leaseSpec()?.holderIdentity, 'holder-1');
  assert.deepEqual(
    writes(a, (p) => !isLease(p)),
    [],
    'its first step is still reading',
  );
  const lease = emu.find('coordination.k8s.io', 'leases', LEASE_NAME, LEASE_NAMESPACE);
  assert.ok(lease);
  emu.store.write(emu.type('coordination.k8s.io', 'leases'), {
    ...lease,
    spec: {
      ...(lease.spec as object),
      holderIdentity: 'intruder',
      leaseDurationSeconds: 3600,
      renewTime: new Date(vt.ms()).toISOString().replace('Z', '000Z'),
    },
  });
  const taken = vt.ms();
  await vt.runUntil(taken + 10 * MIN);
  const lost = a.events.find((e) => e.kind === 'lost');
  assert.ok(lost, 'the holder noticed');
  assert.ok(lost.t - taken <= TIMING.renewEveryMs, 'at its next renewal');
  assert.deepEqual(
    writes(a, (p) => !isLease(p)),
    [],
    'the cordon and eviction its step came to after the loss were never sent',
  );
  assert.equal(
    (emu.find('', 'nodes', 'd1')?.spec as { unschedulable?: boolean } | undefined)?.unschedulable,
    undefined,
  );
  assert.ok(emu.find('', 'pods', 'web-1', 'shop'));
  const refused = a.events.filter((e) => e.kind === 'step');
  assert.ok(
    refused.some((e) =>
      e.run.outcomes.some((o) => o.result === 'failed' && /no longer held/.test(o.message ?? '')),
    ),
    'the step reports its calls refused',
  );
  assert.ok(
    a.events.some((e) => e.kind === 'waiting' && e.holder === 'intruder'),
    'back to waiting',
  );
  a.stop.abort();
  await vt.runUntil(vt.ms());
  await a.done;

  // Part 2: the holder cannot reach the Lease (renewals fail) while its other calls work.
  reset();
  emu.seed('', 'nodes', { metadata: { name: 'd1' } });
  emu.store.create(emu.type('', 'pods'), pod('web-1', 'd1', 'web', true));
  const vt2 = new VirtualTime(emu.now() + MIN);
  const h = start(vt2, 'holder-2', 2 * MIN);
  await vt2.runUntil(vt2.ms() + 5_000);
  assert.equal(leaseSpec()?.holderIdentity, 'holder-2');
  const renewed = Date.parse(leaseSpec()?.renewTime ?? '');
  h.breakLease();
  const other = start(vt2, 'other');
  await vt2.runUntil(vt2.ms() + 5 * MIN);
  const stopped = h.events.find((e) => e.kind === 'lost');
  assert.ok(stopped, 'the holder gave up');
  assert.ok(
    stopped.t <= renewed + TIMING.renewDeadlineMs + TIMING.renewEveryMs,
    'within a renewal of the renew deadline',
  );
  assert.ok(h.events.some((e) => e.kind === 'renew-failed'));
  // Its step came to act 2 minutes in, past the renew deadline: nothing was sent.
  assert.deepEqual(
    writes(h, (p) => !isLease(p)),
    [],
  );
  const took = other.events.find((e) => e.kind === 'acquired');
  assert.ok(took, 'the other rotator took over');
  assert.ok(took.t >= renewed + LEASE_S * 1000, 'only after the Lease expired');
  assert.ok(stopped.t < took.t, 'the old holder had stopped before');
  assert.equal(emu.find('', 'pods', 'web-1', 'shop'), undefined, 'the other finished the drain');
  for (const i of [h, other]) i.stop.abort();
  await vt2.runUntil(vt2.ms());
  await Promise.all([h.done, other.done]);
});

test('--wait under the Lease: renews through a 20-minute blocked drain, finishes and releases; a Lease taken mid-run ends it stopped, no further call', async (t) => {
  if (skip) return t.skip('kubectl is not installed (renders deploy/)');
  // Part 1: the drive holds the Lease throughout; a watching rotator waits, then takes over.
  reset();
  emu.seed('', 'nodes', { metadata: { name: 'd1' } });
  const pods = emu.type('', 'pods');
  emu.store.create(pods, pod('web-1', 'd1', 'web', true));
  emu.store.create(pods, pod('web-2', 'elsewhere', 'web', false));
  emu.seed('policy', 'poddisruptionbudgets', {
    metadata: { name: 'web', namespace: 'shop' },
    spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } },
  });
  const vt = new VirtualTime(emu.now() + MIN);
  const t0 = vt.ms();
  const a = start(vt, 'driver-a', 0, 'wait');
  await vt.runUntil(t0);
  assert.equal(leaseSpec()?.holderIdentity, 'driver-a');
  const b = start(vt, 'watcher-b');
  await vt.runUntil(t0 + 20 * MIN, () => {
    const l = leaseSpec();
    assert.equal(l?.holderIdentity, 'driver-a', 'only the drive holds the Lease');
    assert.ok(l);
    assert.ok(Date.parse(l.renewTime) + LEASE_S * 1000 > vt.ms(), 'the Lease is fresh');
  });
  assert.deepEqual(writes(b), [], 'the watcher wrote nothing');
  const evictions = writes(a, (p) => p.endsWith('/web-1/eviction'));
  assert.ok(evictions.length >= 10, `the drive kept trying (${evictions.length})`);
  assert.ok(evictions.every((q) => q.code === 429));
  const ready = await raw(emu, 'PATCH', '/api/v1/namespaces/shop/pods/web-2/status', {
    token: lab.admin, // the test plays the pod's controller
    body: { status: { conditions: [{ type: 'Ready', status: 'True' }] } },
    contentType: 'application/strategic-merge-patch+json',
  });
  assert.equal(ready.status, 200);
  await vt.runUntil(vt.ms() + 5 * MIN);
  const r = await a.driven;
  assert.ok(r?.held);
  assert.equal(r.lost, false);
  assert.equal(r.result.end, 'finished', r.result.message);
  assert.deepEqual(r.result.done, ['d1']);
  assert.match(
    emu.find('', 'nodes', 'd1')?.metadata.annotations?.['certdrift.io/rotation'] ?? '',
    /"state":"drained"/,
  );
  const released = a.events.find((e) => e.kind === 'released');
  assert.ok(released?.released === true, 'released');
  const took = b.events.find((e) => e.kind === 'acquired');
  assert.ok(took && took.t >= released.t, 'the watcher took the Lease once it was released');
  assert.deepEqual(
    writes(b, (p) => !isLease(p)),
    [],
    'and found nothing left to do',
  );
  b.stop.abort();
  await vt.runUntil(vt.ms());
  await b.done;

  // Part 2: someone else takes the Lease during the drive: it stops, no further call.
  reset();
  emu.seed('', 'nodes', { metadata: { name: 'd1' } });
  emu.store.create(pods, pod('web-1', 'd1', 'web', true));
  emu.store.create(pods, pod('web-2', 'elsewhere', 'web', false));
  emu.seed('policy', 'poddisruptionbudgets', {
    metadata: { name: 'web', namespace: 'shop' },
    spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } },
  });
  const vt2 = new VirtualTime(emu.now() + MIN);
  const d = start(vt2, 'driver-d', 0, 'wait');
  await vt2.runUntil(vt2.ms() + 5 * MIN);
  const lease = emu.find('coordination.k8s.io', 'leases', LEASE_NAME, LEASE_NAMESPACE);
  assert.ok(lease);
  assert.equal((lease.spec as { holderIdentity: string }).holderIdentity, 'driver-d');
  emu.store.write(emu.type('coordination.k8s.io', 'leases'), {
    ...lease,
    spec: {
      ...(lease.spec as object),
      holderIdentity: 'intruder',
      leaseDurationSeconds: 3600,
      renewTime: new Date(vt2.ms()).toISOString().replace('Z', '000Z'),
    },
  });
  const taken = vt2.ms();
  const before = writes(d, (p) => !isLease(p)).length;
  await vt2.runUntil(taken + 10 * MIN);
  const r2 = await d.driven;
  assert.ok(r2?.held);
  assert.equal(r2.lost, true);
  assert.equal(r2.result.end, 'stopped');
  const lost = d.events.find((e) => e.kind === 'lost');
  assert.ok(lost && lost.t - taken <= TIMING.renewEveryMs, 'noticed at its next renewal');
  assert.equal(writes(d, (p) => !isLease(p)).length, before, 'no call after the loss');
  assert.equal(leaseSpec()?.holderIdentity, 'intruder', 'the release left the new holder alone');
});
