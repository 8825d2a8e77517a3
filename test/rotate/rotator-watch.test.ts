// `certdrift rotate --apply --watch` as the in-cluster Deployment runs it, on the REAL control
// plane with the rotator's ServiceAccount and shipped RBAC, on virtual time for the product
// (leases and steps: test/support/virtual-time.ts) while the cluster runs in real time (pods take
// their real 1 s grace period to go: the clock is advanced in 30 s slices with a real pause):
// - two rotator instances: only the Lease holder acts; the other waits;
// - a drain held up by a real PodDisruptionBudget for 20 minutes, inside long steps: the holder
//   keeps renewing, the Lease never expires, the other never takes over;
// - the holder killed (no release, no renewal): the other takes over only once the Lease expired,
//   and resumes the half-done drain without repeating a call (the audit log per user agent);
// - a holder whose Lease was taken, or that cannot renew within the renew deadline, makes no
//   further call — before the Lease expires for anyone else;
// - `--wait` (rotateDrive) holds and renews the Lease through a blocked drain, finishes, releases;
//   a Lease taken mid-run ends it `stopped` with no further call.
// Runs on the shared control plane of test/support/control-plane.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { RotateClient } from '../../src/adapters/kube/rotate-client.js';
import { leaseEdgeOf } from '../../src/adapters/kube/rotate-lock.js';
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
import { VirtualTime } from '../support/virtual-time.js';
import { budgetSettled, deployment, pdb, pods, readyPods, scale } from './cluster-workloads.js';
import { recordOf, rotatorLab, unschedulable, type RotatorLab } from './rotator-cluster.js';

const LEASE_S = 60;
const TIMING = leaseTimingFor(LEASE_S); // renew every 8 s, stop acting after 40 s without
const INTERVAL = 30_000;
const MIN = 60_000;

const never = new Promise<never>(() => undefined);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Call {
  verb: string;
  path: string;
  code: number;
}

interface Instance {
  name: string;
  events: (RotatorEvent & { t: number })[];
  stop: AbortController;
  done: Promise<unknown>;
  /** the process dies: no further call returns, nothing is released */
  kill(): void;
  /** the Lease calls fail (the rest works): a holder cut off from renewing */
  breakLease(): void;
  /** its calls as the API server's audit log has them (by its user agent) */
  requests(): Promise<Call[]>;
  /** mode `wait`: how the drive ended */
  driven?: Promise<DriveRunResult>;
}

interface Scene {
  lab: RotatorLab;
  apps: string;
  d1: string;
  d2: string;
  mark: number;
  web: Record<string, string>;
}

/**
 * d1 runs the only replica of `web` (its budget: minAvailable 1, so never evictable until a
 * second replica is Ready elsewhere); d2, with `api`, only when `second`.
 */
async function scene(t: TestContext, budget: boolean, second: boolean): Promise<Scene | undefined> {
  const lab = await rotatorLab(t, ['drain']);
  if (!lab) return undefined;
  const { cp } = lab;
  const apps = await cp.namespace(t, 'shop');
  const web = { 'certdrift.test/web': lab.label };
  const d1 = lab.name('d1');
  const d2 = lab.name('d2');
  await lab.oldNode(d1, { labels: web });
  await deployment(cp, apps, 'web', { replicas: 1, nodeSelector: web });
  await readyPods(cp, apps, 'app=web', 1);
  if (budget) {
    await pdb(cp, apps, 'web', { minAvailable: 1 });
    await budgetSettled(cp, apps, 'web', 0);
  }
  if (second) {
    await lab.oldNode(d2);
    await deployment(cp, apps, 'api', {
      replicas: 1,
      nodeSelector: { 'kubernetes.io/hostname': d2 },
    });
    await readyPods(cp, apps, 'app=api', 1);
  }
  return { lab, apps, d1, d2, mark: cp.auditMark(), web };
}

/** a second replica of `web` Ready on a new node (not due): the budget allows one eviction */
async function secondReplica(s: Scene): Promise<void> {
  await s.lab.node(s.lab.name('spare'), { labels: s.web });
  await scale(s.lab.cp, s.apps, 'web', 2);
}

/**
 * A rotator instance. `slowStepMs`: each step that drains spends this long listing the pods
 * before it acts — a long step, as one waiting inside on a budget or a replacement. `mode`:
 * `watch` (rotateWatch, the Deployment) or `wait` (rotateDrive, `--apply --wait`).
 */
function start(
  vt: VirtualTime,
  s: Scene,
  name: string,
  slowStepMs = 0,
  mode: 'watch' | 'wait' = 'watch',
): Instance {
  const ua = `certdrift/test-${name}`;
  const client: RotateClient = s.lab.client(ua);
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
    listMachineHealthChecks: () => io(() => client.listMachineHealthChecks()),
    execute: (call, guard) => io(() => client.execute(call, guard)),
    readState: () => io(() => client.readState()),
    writeState: (change) => io(() => client.writeState(change)),
  };
  const le = leaseEdgeOf(client, s.lab.namespace);
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
    monotonicMs: () => vt.ms(),
    sleep: (ms: number, signal: AbortSignal) => (dead ? never : vt.sleep(ms, signal)),
    report: (e: RotatorEvent) => events.push({ ...e, t: vt.ms() }),
  };
  const settings = {
    step: {
      policy: DEFAULT_POLICY,
      planId: 'p-watch',
      // the fixture's nodes are due by their reports only, all at once (report-jump.ts)
      options: {
        afterDrain: 'none' as const,
        drainTimeoutMs: 3 * 3_600_000,
      },
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
    requests: async () =>
      (await s.lab.cp.audit(s.lab.user, s.mark, 100))
        .filter((e) => e.userAgent === ua)
        .map((e) => ({
          verb: e.verb,
          path: e.requestURI.split('?')[0] ?? '',
          code: e.responseStatus?.code ?? 0,
        })),
  };
}

/** virtual time in slices of one poll interval, each with a real pause: pods really go */
async function advance(
  vt: VirtualTime,
  ms: number,
  check?: () => void | Promise<void>,
): Promise<void> {
  const end = vt.ms() + ms;
  while (vt.ms() < end) {
    await vt.runUntil(Math.min(end, vt.ms() + INTERVAL), check);
    await sleep(150);
  }
}

const writes = async (i: Instance, match: (path: string) => boolean = () => true) =>
  (await i.requests()).filter((q) => !['get', 'list', 'watch'].includes(q.verb) && match(q.path));
const isLease = (p: string): boolean => p.includes('/leases');

async function takeLease(s: Scene, at: number): Promise<void> {
  const path = `/apis/coordination.k8s.io/v1/namespaces/${s.lab.namespace}/leases/certdrift-rotate`;
  const l = await s.lab.cp.admin.get(path);
  await s.lab.cp.admin.ok('PUT', path, {
    ...l,
    spec: {
      ...(l.spec as object),
      holderIdentity: 'intruder',
      leaseDurationSeconds: 3600,
      renewTime: new Date(at).toISOString().replace('Z', '000Z'),
    },
  });
}

test('two rotators: one acts, renews through a 20-minute PDB-blocked drain, the other takes over only after the killed holder’s Lease expired and repeats nothing', async (t) => {
  const s = await scene(t, true, true);
  if (!s) return;
  const { lab } = s;
  const [web1] = await pods(lab.cp, s.apps, 'app=web');
  const [api1] = await pods(lab.cp, s.apps, 'app=api');
  assert.ok(web1 && api1);
  const vt = new VirtualTime(Date.now());
  const t0 = vt.ms();

  // A starts first and takes the Lease; B starts and waits.
  const a = start(vt, s, 'rotator-a', 5 * MIN);
  await vt.runUntil(t0);
  assert.equal((await lab.lease())?.holderIdentity, 'rotator-a');
  const b = start(vt, s, 'rotator-b');
  let renewals = 0;
  let lastRenew = '';
  await advance(vt, 20 * MIN, async () => {
    const l = await lab.lease();
    assert.equal(l?.holderIdentity, 'rotator-a', 'only A ever holds the Lease');
    if (l.renewTime !== lastRenew) renewals++;
    lastRenew = l.renewTime ?? '';
    // The Lease never lapses while A lives, though each of A's steps lasts over 5 minutes.
    assert.ok(
      Date.parse(lastRenew) + LEASE_S * 1000 > vt.ms(),
      `the Lease is fresh at ${new Date(vt.ms()).toISOString()}`,
    );
  });
  assert.ok(renewals >= (20 * MIN) / TIMING.renewEveryMs - 2, `A renewed ${renewals} times`);
  assert.deepEqual(await writes(b), [], 'B wrote nothing, not even the Lease');
  assert.ok(b.events.some((e) => e.kind === 'waiting' && e.holder === 'rotator-a'));
  assert.equal(b.events.filter((e) => e.kind === 'acquired').length, 0);
  assert.equal(
    (await writes(a, (p) => p === `/api/v1/nodes/${s.d1}`)).length,
    1,
    'one cordon (with the record)',
  );
  const evictions = await writes(a, (p) => p.endsWith(`/${web1.name}/eviction`));
  assert.ok(evictions.length >= 3, `A kept trying (${evictions.length})`);
  assert.ok(
    evictions.every((q) => q.code === 429),
    'the real budget held every time',
  );

  // A dies (its node was drained under it, or OOM-killed); web gets a second Ready replica.
  a.kill();
  const aCalls = (await a.requests()).length;
  const renewedAt = Date.parse((await lab.lease())?.renewTime ?? '');
  await secondReplica(s);
  await readyPods(lab.cp, s.apps, 'app=web', 2);
  await advance(vt, 10 * MIN, async () => {
    if ((await lab.lease())?.holderIdentity === 'rotator-b')
      assert.ok(vt.ms() >= renewedAt + LEASE_S * 1000, 'not before the Lease expired');
  });
  const took = b.events.find((e) => e.kind === 'acquired');
  assert.ok(took);
  assert.equal(took.previous, 'rotator-a');
  assert.ok(
    took.t >= renewedAt + LEASE_S * 1000 && took.t <= renewedAt + LEASE_S * 1000 + 1000,
    `B took over at expiry: ${took.t - renewedAt} ms after A's last renewal`,
  );
  assert.equal((await lab.lease())?.leaseTransitions, 1);
  assert.equal((await a.requests()).length, aCalls, 'the dead holder made no call');

  // B resumed: d1's drain finished (no second cordon), each call once. d2 does not start:
  // d1, drained and still present (--after-drain none), is unavailable and holds the group's
  // one slot until something replaces it (issue #21: capacity as Kubernetes sees it).
  assert.deepEqual(
    (await writes(b, (p) => !isLease(p))).map((q) => `${q.verb} ${q.path} ${q.code}`),
    [
      `create /api/v1/namespaces/${s.apps}/pods/${web1.name}/eviction 201`,
      `update /api/v1/namespaces/${lab.namespace}/configmaps/certdrift-rotation-state 200`,
    ],
  );
  assert.equal(await recordOf(lab, s.d1), 'drained');
  assert.equal(await recordOf(lab, s.d2), '-');
  assert.equal(await unschedulable(lab, s.d2), false, 'd2 never cordoned while d1 is out');
  b.stop.abort();
  await vt.runUntil(vt.ms());
  await b.done;
  assert.equal((await lab.lease())?.holderIdentity, '', 'B released the Lease on stop');
});

test('a holder whose Lease was taken makes no further call; one that cannot renew stops before the Lease expires', async (t) => {
  // Part 1: someone else writes the Lease (an operator forcing it, a split brain).
  const s = await scene(t, false, false);
  if (!s) return;
  const vt = new VirtualTime(Date.now());
  const a = start(vt, s, 'holder-1', 3 * MIN);
  await vt.runUntil(vt.ms() + 10_000);
  assert.equal((await s.lab.lease())?.holderIdentity, 'holder-1');
  assert.deepEqual(await writes(a, (p) => !isLease(p)), [], 'its first step is still reading');
  const taken = vt.ms();
  await takeLease(s, taken);
  await advance(vt, 10 * MIN);
  const lost = a.events.find((e) => e.kind === 'lost');
  assert.ok(lost, 'the holder noticed');
  assert.ok(lost.t - taken <= TIMING.renewEveryMs, 'at its next renewal');
  assert.deepEqual(
    await writes(a, (p) => !isLease(p)),
    [],
    'the cordon and eviction its step came to after the loss were never sent',
  );
  assert.equal(await unschedulable(s.lab, s.d1), false);
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
  const s2 = await scene(t, false, false);
  if (!s2) return;
  const [web1] = await pods(s2.lab.cp, s2.apps, 'app=web');
  assert.ok(web1);
  const vt2 = new VirtualTime(Date.now());
  const h = start(vt2, s2, 'holder-2', 2 * MIN);
  await vt2.runUntil(vt2.ms() + 5_000);
  assert.equal((await s2.lab.lease())?.holderIdentity, 'holder-2');
  const renewed = Date.parse((await s2.lab.lease())?.renewTime ?? '');
  h.breakLease();
  const other = start(vt2, s2, 'other');
  await advance(vt2, 5 * MIN);
  const stopped = h.events.find((e) => e.kind === 'lost');
  assert.ok(stopped, 'the holder gave up');
  assert.ok(
    stopped.t <= renewed + TIMING.renewDeadlineMs + TIMING.renewEveryMs,
    'within a renewal of the renew deadline',
  );
  assert.ok(h.events.some((e) => e.kind === 'renew-failed'));
  // Its step came to act 2 minutes in, past the renew deadline: nothing was sent.
  assert.deepEqual(await writes(h, (p) => !isLease(p)), []);
  const took = other.events.find((e) => e.kind === 'acquired');
  assert.ok(took, 'the other rotator took over');
  assert.ok(took.t >= renewed + LEASE_S * 1000, 'only after the Lease expired');
  assert.ok(stopped.t < took.t, 'the old holder had stopped before');
  assert.ok(
    !(await pods(s2.lab.cp, s2.apps, 'app=web')).some((p) => p.name === web1.name),
    'the other finished the drain',
  );
  for (const i of [h, other]) i.stop.abort();
  await vt2.runUntil(vt2.ms());
  await Promise.all([h.done, other.done]);
});

test('--wait under the Lease: renews through a 20-minute blocked drain, finishes and releases; a Lease taken mid-run ends it stopped, no further call', async (t) => {
  // Part 1: the drive holds the Lease throughout; a watching rotator waits, then takes over.
  const s = await scene(t, true, false);
  if (!s) return;
  const { lab } = s;
  const [web1] = await pods(lab.cp, s.apps, 'app=web');
  assert.ok(web1);
  const vt = new VirtualTime(Date.now());
  const t0 = vt.ms();
  const a = start(vt, s, 'driver-a', 0, 'wait');
  await vt.runUntil(t0);
  assert.equal((await lab.lease())?.holderIdentity, 'driver-a');
  const b = start(vt, s, 'watcher-b');
  await advance(vt, 20 * MIN, async () => {
    const l = await lab.lease();
    assert.equal(l?.holderIdentity, 'driver-a', 'only the drive holds the Lease');
    assert.ok(Date.parse(l.renewTime ?? '') + LEASE_S * 1000 > vt.ms(), 'the Lease is fresh');
  });
  assert.deepEqual(await writes(b), [], 'the watcher wrote nothing');
  const evictions = await writes(a, (p) => p.endsWith(`/${web1.name}/eviction`));
  assert.ok(evictions.length >= 10, `the drive kept trying (${evictions.length})`);
  assert.ok(evictions.every((q) => q.code === 429));
  await secondReplica(s);
  await readyPods(lab.cp, s.apps, 'app=web', 2);
  await advance(vt, 5 * MIN);
  const r = await a.driven;
  assert.ok(r?.held);
  assert.equal(r.lost, false);
  assert.equal(r.result.end, 'finished', r.result.message);
  assert.deepEqual(r.result.done, [s.d1]);
  assert.equal(await recordOf(lab, s.d1), 'drained');
  const released = a.events.find((e) => e.kind === 'released');
  assert.ok(released?.released === true, 'released');
  const took = b.events.find((e) => e.kind === 'acquired');
  assert.ok(took && took.t >= released.t, 'the watcher took the Lease once it was released');
  assert.deepEqual(await writes(b, (p) => !isLease(p)), [], 'and found nothing left to do');
  b.stop.abort();
  await vt.runUntil(vt.ms());
  await b.done;

  // Part 2: someone else takes the Lease during the drive: it stops, no further call.
  const s2 = await scene(t, true, false);
  if (!s2) return;
  const vt2 = new VirtualTime(Date.now());
  const d = start(vt2, s2, 'driver-d', 0, 'wait');
  await advance(vt2, 5 * MIN);
  assert.equal((await s2.lab.lease())?.holderIdentity, 'driver-d');
  const taken = vt2.ms();
  await takeLease(s2, taken);
  const before = (await writes(d, (p) => !isLease(p))).length;
  await advance(vt2, 10 * MIN);
  const r2 = await d.driven;
  assert.ok(r2?.held);
  assert.equal(r2.lost, true);
  assert.equal(r2.result.end, 'stopped');
  const lost = d.events.find((e) => e.kind === 'lost');
  assert.ok(lost && lost.t - taken <= TIMING.renewEveryMs, 'noticed at its next renewal');
  assert.equal((await writes(d, (p) => !isLease(p))).length, before, 'no call after the loss');
  assert.equal(
    (await s2.lab.lease())?.holderIdentity,
    'intruder',
    'the release left the new holder alone',
  );
});
