// Windows bound every disruptive call, not only a node's start (issue 21 item 6): a drain in
// flight when its window ends makes no further eviction until the next window — between steps
// (state `window-ended`) and within a step (the injectable clock passes the window's end while
// the step runs: the remaining evictions are skipped, asked again before each retry). Its drain
// timeout keeps running, so a drain that cannot finish ends stuck. The policy check refuses a
// --drain-timeout longer than perNode unless told. Pure cases first, then the REAL control plane
// (real evictions, a real PodDisruptionBudget holding the second one).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_POLICY, type PlanPolicy } from '../../src/fleet/plan-policy.js';
import {
  formatRecord,
  planStep,
  ROTATION_ANNOTATION,
  runStep,
  type LivePod,
} from '../../src/rotate/index.js';
import { defaultDrainTimeoutMs, drainTimeoutProblem } from '../../src/rotate/drain-window.js';
import { fleetOf, liveNode, OPTIONS, pod, recordsToState } from './fixtures.js';
import { budgetSettled, deployment, pdb, readyPods } from './cluster-workloads.js';
import { recordOf, rotatorLab, unschedulable } from './rotator-cluster.js';

const MIN = 60_000;
/** every day 10:00–11:00 UTC */
const windowed = (perNodeMs = 20 * MIN): PlanPolicy => ({
  ...DEFAULT_POLICY,
  perNodeMs,
  windows: [{ days: [0, 1, 2, 3, 4, 5, 6], startMinute: 600, endMinute: 660, timeZone: 'UTC' }],
});

test('pure: a cordoned drain evicts inside its window; past its end it is window-ended with no action; its timeout still makes it stuck', () => {
  const since = new Date('2026-11-25T10:05:00Z');
  // the record as the state object holds it (recordsToState: the node is cordoned with it)
  const { nodes, state } = recordsToState([
    liveNode(
      'a',
      {},
      {
        [ROTATION_ANNOTATION]: formatRecord({
          plan: 'p',
          state: 'cordoned',
          since: since.toISOString(),
        }),
      },
    ),
  ]);
  const pods: LivePod[] = [pod('a', 'web-1')];
  const at = (iso: string, drainTimeoutMs = 3 * 3_600_000) =>
    planStep({
      fleet: fleetOf(nodes),
      facts: [],
      policy: windowed(),
      planId: 'p',
      nodes,
      state,
      now: new Date(iso),
      options: { ...OPTIONS, drainTimeoutMs },
      pods,
      nodeClaims: [],
    });
  const inside = at('2026-11-25T10:30:00Z');
  assert.equal(inside.work[0]?.state, 'continue');
  assert.deepEqual(
    inside.actions.map((x) => x.step),
    ['evict'],
  );
  const after = at('2026-11-25T11:00:00Z');
  const ended = after.work[0];
  assert.equal(ended?.state, 'window-ended');
  assert.match(ended.note, /window ended/);
  assert.deepEqual(after.actions, []);
  // past --force-after as well: no pod deletion outside the window either
  const forced = planStep({
    fleet: fleetOf(nodes),
    facts: [],
    policy: windowed(),
    planId: 'p',
    nodes,
    state,
    now: new Date('2026-11-25T12:00:00Z'),
    options: { ...OPTIONS, drainTimeoutMs: 3 * 3_600_000, forceAfterMs: 10 * MIN },
    pods,
    nodeClaims: [],
  });
  assert.deepEqual(forced.actions, []);
  // the drain timeout runs on outside the window: stuck (a record write, not a disruption)
  const stuck = at('2026-11-25T11:30:00Z', 20 * MIN);
  assert.equal(stuck.work[0]?.state, 'stuck');
  assert.deepEqual(
    stuck.actions.map((x) => x.step),
    ['record-stuck'],
  );
  // the next window: evicting again
  assert.deepEqual(
    at('2026-11-26T10:00:00Z', 48 * 3_600_000).actions.map((x) => x.step),
    ['evict'],
  );
});

test('policy check: a drain timeout longer than the shortest perNode is refused unless told; the default fits', () => {
  const p = windowed(20 * MIN);
  assert.equal(defaultDrainTimeoutMs(p), 20 * MIN);
  assert.equal(defaultDrainTimeoutMs({ ...p, perNodeMs: 3 * 3_600_000 }), 3_600_000);
  assert.equal(drainTimeoutProblem(p, 20 * MIN), null);
  assert.match(drainTimeoutProblem(p, 21 * MIN) ?? '', /longer than the policy's perNode 20m/);
  const grouped = { ...p, perNodeMs: 3_600_000, groups: { 'kops/a': { perNodeMs: 15 * MIN } } };
  assert.match(drainTimeoutProblem(grouped, 20 * MIN) ?? '', /perNode 15m/);
});

test('real control plane: a drain crossing its window end stops evicting (between steps and within one), and evicts again in the next window', async (t) => {
  const lab = await rotatorLab(t, ['drain']);
  if (!lab) return;
  const { cp } = lab;
  const apps = await cp.namespace(t, 'shop');
  const node = lab.name('w1');
  await lab.oldNode(node);
  await deployment(cp, apps, 'web', {
    replicas: 2,
    nodeSelector: { 'kubernetes.io/hostname': node },
  });
  await readyPods(cp, apps, 'app=web', 2);
  // One disruption at a time; the replacement cannot schedule on the cordoned node, so the
  // second eviction is held by the real budget (429) for as long as the test needs.
  await pdb(cp, apps, 'web', { minAvailable: 1 });
  await budgetSettled(cp, apps, 'web', 1);
  // Virtual times on a day after today: the node's certificates are due (expired yesterday).
  const day = new Date();
  day.setUTCDate(day.getUTCDate() + 1);
  const at = (hh: number, mm: number, plusDays = 0) =>
    new Date(
      Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate() + plusDays, hh, mm),
    );
  const step = (now: Date, clock: () => Date = () => now) =>
    runStep(
      lab.client(),
      {
        policy: windowed(),
        planId: 'p-window',
        options: { afterDrain: 'none', drainTimeoutMs: 48 * 3_600_000 },
        apply: true,
        clock,
      },
      now,
    );
  const evictions = async (mark: number) =>
    (await cp.audit(lab.user, mark)).filter(
      (e) => e.objectRef?.subresource === 'eviction' && e.verb === 'create',
    ).length;
  const outcome = (r: Awaited<ReturnType<typeof step>>) =>
    r.outcomes.map((o) => `${o.action.step} ${o.result}`);

  // 10:01, inside the window: cordon, one eviction done, the second held by the budget.
  const m1 = cp.auditMark();
  const first = await step(at(10, 1));
  assert.deepEqual(outcome(first), [
    'record-cordoned done',
    'cordon done',
    'evict done',
    'evict blocked',
  ]);
  assert.equal(await evictions(m1), 2);
  assert.equal(await recordOf(lab, node), 'cordoned');

  // 10:40 by the step's start, but the window ends while it runs (the clock passes 11:00):
  // the eviction it planned is skipped, never sent.
  const m2 = cp.auditMark();
  const crossing = await step(at(10, 40), () => at(11, 0));
  assert.equal(crossing.step.work.find((w) => w.node === node)?.state, 'continue');
  assert.deepEqual(outcome(crossing), ['evict skipped']);
  assert.match(crossing.outcomes[0]?.message ?? '', /maintenance window ended/);
  assert.equal(await evictions(m2), 0, 'no eviction reached the server');

  // 11:05, after the window: still in flight (cordoned, recorded), no action at all.
  const m3 = cp.auditMark();
  const after = await step(at(11, 5));
  const w = after.step.work.find((x) => x.node === node);
  assert.equal(w?.state, 'window-ended');
  assert.deepEqual(after.step.actions, []);
  assert.equal(await evictions(m3), 0);
  assert.equal(await unschedulable(lab, node), true, 'left cordoned');

  // The next day's window: the drain goes on (the budget still holds the pod: a real 429).
  const m4 = cp.auditMark();
  const next = await step(at(10, 2, 1));
  assert.deepEqual(outcome(next), ['evict blocked']);
  assert.equal(await evictions(m4), 1);
});
