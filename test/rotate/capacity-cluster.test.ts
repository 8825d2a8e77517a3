// Capacity and hand-overs as the real tools behave (issue #21 review findings 4, 5, 6), on the
// REAL control plane through the project's client as the rotator's ServiceAccount with the RBAC
// deploy/rotator ships:
//  - --selector chooses only the nodes acted on: a 3-node group with maxUnavailable 1 whose
//    unselected node is drained already starts nothing, and the group's baseline and the
//    drained node's record stay in the state object; once that node is back, exactly one of the
//    selected two starts;
//  - a hand-over (kops' mark) is refused for the pods kubectl drain refuses — an unmanaged pod
//    without --force — with the pod named, nothing marked or recorded; with --force the record
//    is written before the mark (the audit log's order) and the pods were listed with
//    `fieldSelector=spec.nodeName=`.
// Runs on the shared control plane of test/support/control-plane; capacity is counted over this
// test's nodes (lab.client's fleet selector).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_POLICY, type PlanPolicy } from '../../src/fleet/plan-policy.js';
import { runStep, type StepRun } from '../../src/rotate/index.js';
import { barePod } from './cluster-workloads.js';
import { recordOf, removeRecord, rotatorLab, unschedulable } from './rotator-cluster.js';

const OPTIONS = { afterDrain: 'none' as const, drainTimeoutMs: 3_600_000 };
const stateOf = (r: StepRun, n: string): string =>
  r.step.work.find((w) => w.node === n)?.state ?? '-';

test('--selector acts on its nodes only; capacity, records and baselines stay the whole group’s', async (t) => {
  const lab = await rotatorLab(t, ['drain']);
  if (!lab) return;
  const ng = lab.name('ng');
  const group = `eks/${ng}`;
  const pick = { 'certdrift.test/pick': lab.label };
  const [a, b, c] = [lab.name('a'), lab.name('b'), lab.name('c')];
  const labels = { 'eks.amazonaws.com/nodegroup': ng };
  const na = await lab.oldNode(a, { labels, unschedulable: true });
  await lab.oldNode(b, { labels: { ...labels, ...pick } });
  await lab.oldNode(c, { labels: { ...labels, ...pick } });
  // a: drained by an earlier run of the whole group (the rotator's own record and baseline)
  const seeded = await lab.client().writeState({
    records: [
      {
        node: a,
        expect: null,
        next: {
          plan: 'p-sel',
          state: 'drained',
          since: new Date().toISOString(),
          uid: String(na.metadata?.uid),
          group,
        },
      },
    ],
    baselines: [{ group, next: [a, b, c].sort() }],
  });
  assert.equal(seeded.result, 'done', seeded.message);
  const policy: PlanPolicy = {
    ...DEFAULT_POLICY,
    maxInFlight: 3,
    groups: { [group]: { maxUnavailable: { count: 1 } } },
  };
  const selected = lab.client(undefined, `${lab.selector},certdrift.test/pick=${lab.label}`);
  // the fixture's nodes are all due by their reports only, at once: trusted (report-jump.ts)
  const options = { ...OPTIONS };
  const mark = lab.cp.auditMark();
  const run = await runStep(
    selected,
    { policy, planId: 'p-sel', options, apply: true },
    new Date(),
  );
  // the first due of the two waits for the group's one slot (the other is staggered behind it)
  const starts = (r: StepRun): string[] =>
    r.step.work.filter((w) => w.state === 'start').map((w) => w.node);
  assert.deepEqual(starts(run), [], JSON.stringify(run.step.work));
  const waiting = run.step.work.filter((w) => w.state === 'over-limit');
  assert.equal(waiting.length, 1, JSON.stringify(run.step.work));
  assert.match(waiting[0]?.note ?? '', /group 1\/1/);
  assert.equal(stateOf(run, a), '-', 'the unselected node has no work: never acted on');
  const writes = (await lab.cp.audit(lab.user, mark)).filter(
    (e) => !['get', 'list', 'watch'].includes(e.verb),
  );
  assert.deepEqual(
    writes.map((e) => `${e.verb} ${e.objectRef?.resource ?? ''}`),
    [],
    'nothing cordoned, nothing recorded, no baseline pruned',
  );
  assert.equal(await recordOf(lab, a), 'drained');
  assert.equal(await unschedulable(lab, b), false);
  assert.equal(await unschedulable(lab, c), false);
  const { state } = await selected.readState();
  assert.deepEqual(state.baselines[group], [a, b, c].sort(), 'the group baseline is kept');

  // a replaced and back (its record removed by a person, uncordoned): one slot, one start
  await removeRecord(lab, a);
  await lab.cp.admin.patch(`/api/v1/nodes/${a}`, { spec: { unschedulable: false } });
  const dry = await runStep(
    selected,
    { policy, planId: 'p-sel', options, apply: false },
    new Date(),
  );
  assert.equal(starts(dry).length, 1, JSON.stringify(dry.step.work));
  assert.ok([b, c].includes(starts(dry)[0] ?? ''));
  assert.equal(stateOf(dry, a), '-');
});

test('a kops hand-over is refused for an unmanaged pod (named); with --force it is recorded before the mark', async (t) => {
  const lab = await rotatorLab(t, ['drain']);
  if (!lab) return;
  const { cp } = lab;
  const apps = await cp.namespace(t, 'shop');
  const k = lab.name('k');
  await lab.oldNode(k, { labels: { 'kops.k8s.io/instancegroup': lab.name('ig') } });
  await barePod(cp, apps, 'solo', k);
  const client = lab.client();
  const settings = { policy: DEFAULT_POLICY, planId: 'p-kops', apply: true };
  const mark = cp.auditMark();
  const refused = await runStep(client, { ...settings, options: OPTIONS }, new Date());
  const w = refused.step.work.find((x) => x.node === k);
  assert.equal(w?.state, 'blocked', JSON.stringify(refused.step.work));
  assert.match(w.note, new RegExp(`hand-over to kops refused: ${apps}/solo has no controller`));
  const calls = await cp.audit(lab.user, mark);
  assert.ok(
    calls.some(
      (e) =>
        e.verb === 'list' &&
        e.objectRef?.resource === 'pods' &&
        decodeURIComponent(e.requestURI).includes(`fieldSelector=spec.nodeName=${k}`),
    ),
    'the node’s pods were listed before the hand-over',
  );
  assert.deepEqual(
    calls.filter((e) => !['get', 'list', 'watch'].includes(e.verb)).map((e) => e.verb),
    [],
    'nothing marked or recorded',
  );
  assert.equal(await recordOf(lab, k), '-');

  // --force (kubectl's flag for unmanaged pods): the record first, then kops' mark
  const mark2 = cp.auditMark();
  const forced = await runStep(
    client,
    { ...settings, options: { ...OPTIONS, force: true } },
    new Date(),
  );
  assert.equal(forced.step.work.find((x) => x.node === k)?.state, 'start');
  const writes = (await cp.audit(lab.user, mark2))
    .filter((e) => !['get', 'list', 'watch'].includes(e.verb))
    .map((e) => `${e.verb} ${e.objectRef?.resource ?? ''}`);
  const record = writes.findIndex((x) => /^(create|update) configmaps$/.test(x));
  const marked = writes.indexOf('patch nodes');
  assert.ok(record >= 0 && marked > record, `record before the mark: ${writes.join(', ')}`);
  assert.equal(await recordOf(lab, k), 'handed-over');
  const node = await lab.get(`/api/v1/nodes/${k}`);
  const ann = (node?.metadata as { annotations?: Record<string, string> }).annotations ?? {};
  assert.ok('kops.k8s.io/needs-update' in ann);
});

test('a node cordoned as "kubelet" (managedFields, as the real server records them: the writer names its manager) is named, and counted as any cordon; a person\'s cordon too', async (t) => {
  const lab = await rotatorLab(t, ['drain']);
  if (!lab) return;
  const self = lab.name('self');
  const admin = lab.name('admin');
  const other = lab.name('o');
  for (const n of [self, admin])
    await lab.oldNode(n, { labels: { 'eks.amazonaws.com/nodegroup': lab.name('ng') } });
  await lab.oldNode(other, { labels: { 'eks.amazonaws.com/nodegroup': lab.name('ng') } });
  // the cordon, written as its writer's field manager: the API server keeps it in managedFields
  const cordon = (node: string, manager: string) =>
    lab.cp.admin.ok(
      'PATCH',
      `/api/v1/nodes/${node}?fieldManager=${manager}`,
      { spec: { unschedulable: true } },
      'application/strategic-merge-patch+json',
    );
  await cordon(self, 'kubelet');
  const client = lab.client();
  const live = (await client.readFleet()).live;
  assert.equal(live.find((n) => n.name === self)?.cordonedBy, 'kubelet');
  const settings = {
    policy: { ...DEFAULT_POLICY, maxInFlight: 1 },
    planId: 'p-self',
    options: OPTIONS,
    apply: false,
  };
  const s1 = await runStep(client, settings, new Date());
  assert.equal(stateOf(s1, self), 'blocked');
  assert.match(
    s1.step.work.find((w) => w.node === self)?.note ?? '',
    /cordoned by the node itself \(spec\.unschedulable set by kubelet, by its managedFields\)/,
  );
  // the admin identity wrote that cordon naming "kubelet": managedFields are the writer's word,
  // so the cordon holds maxInFlight 1 as any other does
  assert.deepEqual(
    s1.step.work.filter((w) => w.state === 'start').map((w) => w.node),
    [],
    JSON.stringify(s1.step.work),
  );
  // the node whose turn it is now is held by that cordon, and the note says whose it looks like
  const held = s1.step.work.filter((w) => w.state === 'over-limit');
  assert.equal(held.length, 1, JSON.stringify(s1.step.work));
  assert.match(held[0]?.note ?? '', /cluster 1\/1 .*1 of them cordoned by the node itself/);
  // a person's cordon (kubectl's manager) holds the only slot
  await cordon(admin, 'kubectl-cordon');
  const s2 = await runStep(client, settings, new Date());
  assert.match(s2.step.work.find((w) => w.node === admin)?.note ?? '', /cordoned by someone else/);
  assert.deepEqual(
    s2.step.work.filter((w) => w.state === 'start').map((w) => w.node),
    [],
    JSON.stringify(s2.step.work),
  );
});
