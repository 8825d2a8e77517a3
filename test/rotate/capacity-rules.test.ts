// The capacity and hand-over rules of issue #21's review (findings 4, 5, 6, 10), pure: the real
// planner and step planner over hand-built live views. Each case states what must and must not
// happen; the real control plane runs the same rules in capacity-cluster.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatRecord,
  planStep,
  ROTATION_ANNOTATION,
  type LiveNode,
  type RotateStep,
} from '../../src/rotate/index.js';
import type { PlanPolicy } from '../../src/fleet/plan-policy.js';
import type {
  Departing,
  LiveMachine,
  LiveNodeClaim,
  LivePod,
  RotateOptions,
} from '../../src/rotate/rotate-types.js';
import { departingOf } from '../../src/adapters/kube/rotate-client.js';
import { fleetOf, liveNode, NOW, OPTIONS, pod, policyOf, recordsToState } from './fixtures.js';

const ID = 'p-cap';
const rec = (state: 'cordoned' | 'handed-over' | 'drained') => ({
  [ROTATION_ANNOTATION]: formatRecord({ plan: ID, state, since: NOW.toISOString() }),
});
const eks = (name: string, ann: Record<string, string> = {}, extra: Partial<LiveNode> = {}) =>
  liveNode(name, { 'eks.amazonaws.com/nodegroup': 'ng' }, ann, extra);
const kops = (name: string, ann: Record<string, string> = {}, extra: Partial<LiveNode> = {}) =>
  liveNode(name, { 'kops.k8s.io/instancegroup': 'nodes' }, ann, extra);

function step(
  given: LiveNode[],
  o: {
    policy?: Partial<PlanPolicy>;
    options?: Partial<RotateOptions>;
    pods?: LivePod[];
    nodeClaims?: LiveNodeClaim[];
    departing?: Departing[];
  } = {},
): RotateStep {
  const { nodes, state } = recordsToState(given);
  return planStep({
    // the planner sees the selected nodes only; capacity sees every node
    fleet: fleetOf(nodes.filter((n) => n.selected !== false)),
    facts: [],
    policy: policyOf(o.policy ?? {}),
    planId: ID,
    nodes,
    state,
    now: NOW,
    options: { ...OPTIONS, ...o.options },
    pods: o.pods ?? [],
    nodeClaims: o.nodeClaims ?? [],
    ...(o.departing ? { departing: o.departing } : {}),
  });
}
const stateOf = (s: RotateStep, n: string) => s.work.find((w) => w.node === n)?.state ?? '-';
const noteOf = (s: RotateStep, n: string) => s.work.find((w) => w.node === n)?.note ?? '';
const stepsOf = (s: RotateStep, n: string) =>
  s.actions.filter((a) => a.node === n).map((a) => a.step);
const ONE = { groups: { 'eks/ng': { maxUnavailable: { count: 1 } } } };

test('--selector (4): an unselected drained node of the group holds its slot; it is never acted on', () => {
  const a = eks('a', rec('drained'), { selected: false });
  const s = step([a, eks('b'), eks('c')], { policy: ONE });
  assert.equal(stateOf(s, 'b'), 'over-limit', JSON.stringify(s.work));
  assert.match(noteOf(s, 'b'), /group 1\/1/);
  assert.equal(stateOf(s, 'a'), '-', 'no work for a node outside the selection');
  assert.deepEqual(
    s.actions.filter((x) => x.step === 'prune-records'),
    [],
    'its record and the group baseline are kept',
  );
  // without the unselected node's drain, one of the two starts
  const free = step([eks('a', {}, { selected: false }), eks('b'), eks('c')], { policy: ONE });
  assert.equal(stateOf(free, 'b'), 'start');
  assert.equal(stateOf(free, 'a'), '-');
});

test('--selector (4): an unselected node in flight is never continued, even when its drain could go on', () => {
  const a = eks('a', rec('cordoned'), { selected: false });
  const s = step([a, eks('b')], { pods: [pod('a', 'web-1')], policy: ONE });
  assert.deepEqual(stepsOf(s, 'a'), []);
  assert.equal(stateOf(s, 'b'), 'over-limit');
});

test('hand-overs (5): kops, Karpenter refused for the pods a drain refuses, named; the flags apply alike', () => {
  const k = kops('k');
  const bare = pod('k', 'solo', { controlled: false });
  const s = step([k], { pods: [bare] });
  assert.equal(stateOf(s, 'k'), 'blocked');
  assert.match(noteOf(s, 'k'), /hand-over to kops refused: shop\/solo has no controller/);
  assert.deepEqual(stepsOf(s, 'k'), []);
  // --force: kubectl's flag for unmanaged pods
  const forced = step([k], { pods: [bare], options: { force: true } });
  assert.deepEqual(stepsOf(forced, 'k'), [
    'record-handed-over',
    'cordon',
    'kops-annotate',
    'kops-rolling-update',
  ]);
  // do-not-disrupt: no flag overrides the owner's word
  const dnd = pod('k', 'db', { annotations: { 'karpenter.sh/do-not-disrupt': 'true' } });
  const never = step([k], { pods: [dnd], options: { force: true, deleteEmptyDirData: true } });
  assert.equal(stateOf(never, 'k'), 'blocked');
  assert.match(noteOf(never, 'k'), /karpenter\.sh\/do-not-disrupt/);
  // Karpenter: an emptyDir pod without --delete-emptydir-data
  const r = liveNode('r', { 'karpenter.sh/nodepool': 'default' });
  const claims = [{ name: 'default-r', providerID: r.providerID, nodeName: 'r' }];
  const tmp = pod('r', 'cache', { emptyDir: true });
  const kr = step([r], { pods: [tmp], nodeClaims: claims });
  assert.equal(stateOf(kr, 'r'), 'blocked');
  assert.match(noteOf(kr, 'r'), /hand-over to karpenter refused: shop\/cache uses emptyDir/);
  assert.deepEqual(stepsOf(kr, 'r'), []);
  const ok = step([r], { pods: [tmp], nodeClaims: claims, options: { deleteEmptyDirData: true } });
  assert.deepEqual(stepsOf(ok, 'r'), ['record-handed-over', 'karpenter-delete']);
});

test('record before call (6a): a crash between the two leaves the node in flight and its call is repeated', () => {
  // recorded handed-over, the kops mark never made (the crash): in flight, the mark again
  const crashed = step([kops('k', rec('handed-over')), kops('j')]);
  assert.equal(stateOf(crashed, 'k'), 'waiting-replacement');
  assert.deepEqual(stepsOf(crashed, 'k'), ['cordon', 'kops-annotate', 'kops-rolling-update']);
  assert.equal(stateOf(crashed, 'j'), 'over-limit', 'the recorded node holds the slot');
  // the mark is there (confirmed): the mark is not repeated; the cordon is, while it is missing
  const marked = step([kops('k', { ...rec('handed-over'), 'kops.k8s.io/needs-update': '' })]);
  assert.deepEqual(stepsOf(marked, 'k'), ['cordon', 'kops-rolling-update']);
  // a refused pod arrived meanwhile: not handed on, named
  const held = step([kops('k', rec('handed-over'))], {
    pods: [pod('k', 'solo', { controlled: false })],
  });
  assert.deepEqual(stepsOf(held, 'k'), []);
  assert.match(noteOf(held, 'k'), /refused pods \(not handed on\): shop\/solo/);
  assert.ok(
    !held.actions.some((x) => x.step === 'kops-rolling-update'),
    'kops would drain it: its command is not printed',
  );
  // Karpenter: the NodeClaim not yet deleting: the delete again; deleting: nothing
  const r = liveNode('r', { 'karpenter.sh/nodepool': 'default' }, rec('handed-over'));
  const claim = { name: 'default-r', providerID: r.providerID, nodeName: 'r' };
  assert.deepEqual(stepsOf(step([r], { nodeClaims: [claim] }), 'r'), ['karpenter-delete']);
  assert.deepEqual(stepsOf(step([r], { nodeClaims: [{ ...claim, deleting: true }] }), 'r'), []);
});

test('self-cordon (10): a note only — counted as any cordon, in its group and in maxInFlight (a writer names its own field manager); left alone; managedFields never make anything startable', () => {
  const self = { unschedulable: true, cordonedBy: 'kubelet' };
  const other = liveNode('o', { 'eks.amazonaws.com/nodegroup': 'other' });
  // maxInFlight 1: a node that cordoned itself holds the slot as any cordon does, and is named
  const s = step([eks('a', {}, self), other], { policy: { ...ONE, maxInFlight: 1 } });
  assert.equal(stateOf(s, 'a'), 'blocked');
  assert.match(
    noteOf(s, 'a'),
    /cordoned by the node itself \(spec\.unschedulable set by kubelet, by its managedFields\)/,
  );
  assert.equal(stateOf(s, 'o'), 'over-limit', 'the cordon holds the only slot');
  assert.match(noteOf(s, 'o'), /cluster 1\/1 .*1 of them cordoned by the node itself/);
  // its own group: it is unavailable, the group's limit is 1
  const g = step([eks('a', {}, self), eks('b')], { policy: { ...ONE, maxInFlight: 3 } });
  assert.equal(stateOf(g, 'b'), 'over-limit');
  assert.match(noteOf(g, 'b'), /group 1\/1.*cordoned by the node itself/);
  // the same cordon by someone else holds the cluster's slot (the rule as before)
  const admin = step([eks('a', {}, { unschedulable: true, cordonedBy: 'kubectl' }), other], {
    policy: { ...ONE, maxInFlight: 1 },
  });
  assert.match(noteOf(admin, 'a'), /cordoned by someone else/);
  assert.equal(stateOf(admin, 'o'), 'over-limit');
  // shared ownership with anyone else, or certdrift's own manager: not a self-cordon
  for (const by of ['kubelet,kubectl', 'certdrift']) {
    const x = step([eks('a', {}, { unschedulable: true, cordonedBy: by }), other], {
      policy: { ...ONE, maxInFlight: 1 },
    });
    assert.equal(stateOf(x, 'o'), 'over-limit', by);
    assert.deepEqual(stepsOf(x, 'a'), [], by);
  }
  // taken over only with the flag, as any cordon: it already holds the slot it takes
  const taken = step([eks('a', {}, self), other], {
    policy: { ...ONE, maxInFlight: 1 },
    options: { takeOverCordoned: true },
  });
  assert.equal(stateOf(taken, 'a'), 'start', JSON.stringify(taken.work));
  assert.notEqual(stateOf(taken, 'o'), 'start', 'one slot: the taken-over node holds it');
});

test('Karpenter claim-gone (7): the claim and the owners of its pods are recorded; finished when the claim is gone and none of their pods is Pending', () => {
  const r = liveNode('r', { 'karpenter.sh/nodepool': 'default' });
  const claim = { name: 'default-r', providerID: r.providerID, nodeName: 'r' };
  const web = pod('r', 'web-1', { ownerUid: 'rs-web' });
  const s = step([r], {
    pods: [web, pod('r', 'ds', { daemonSet: true, ownerUid: 'ds-x' })],
    nodeClaims: [claim],
  });
  const next = s.actions[0]?.state?.records[0]?.next;
  assert.equal(next?.claim, 'default-r');
  assert.deepEqual(next.owners, ['rs-web'], 'the evicted pods’ owners, not the DaemonSet’s');
  // the Node gone: its record, a group that shrank (Karpenter does not replace one for one)
  const gone = (o: { nodeClaims?: LiveNodeClaim[]; pendingPods?: LivePod[] }): RotateStep =>
    planStep({
      fleet: fleetOf([liveNode('z', { 'karpenter.sh/nodepool': 'default' })]),
      facts: [],
      policy: policyOf(),
      planId: ID,
      nodes: [liveNode('z', { 'karpenter.sh/nodepool': 'default' })],
      state: {
        records: {
          r: {
            plan: ID,
            state: 'handed-over',
            since: NOW.toISOString(),
            uid: 'uid-r',
            group: 'karpenter/default',
            groupSize: 2,
            claim: 'default-r',
            owners: ['rs-web'],
          },
        },
        baselines: { 'karpenter/default': ['r', 'z'] },
        invalid: {},
        problems: [],
      },
      now: NOW,
      options: OPTIONS,
      pods: [],
      nodeClaims: [
        ...(o.nodeClaims ?? []),
        { name: 'default-z', providerID: 'aws:///eu-west-1a/i-z', nodeName: 'z' },
      ],
      ...(o.pendingPods ? { pendingPods: o.pendingPods } : {}),
    });
  assert.equal(stateOf(gone({ nodeClaims: [claim] }), 'r'), 'waiting-replacement');
  const pending = pod('', 'web-2', { ownerUid: 'rs-web', pending: true });
  const waiting = gone({ pendingPods: [pending] });
  assert.equal(stateOf(waiting, 'r'), 'waiting-replacement');
  assert.match(noteOf(waiting, 'r'), /1 of its pods Pending \(shop\/web-2\)/);
  // a Pending pod already bound to a node (pulling its image) has its room: not waited for
  const bound = gone({ pendingPods: [{ ...pending, node: 'z' }] });
  assert.equal(stateOf(bound, 'r'), 'gone', JSON.stringify(bound.work));
  // another owner's Pending pod is not this node's business; the group stays one node short
  const done = gone({ pendingPods: [{ ...pending, ownerUid: 'rs-other' }] });
  assert.equal(stateOf(done, 'r'), 'gone', JSON.stringify(done.work));
  assert.ok(done.actions.some((a) => a.step === 'prune-records'));
  assert.equal(stateOf(done, 'z'), 'start', 'the group is not judged by its node count');
});

test('a hand-over is never repeated on a node recreated under its name (review: a reused IP-based name while the old pods are Pending)', () => {
  const record = {
    plan: ID,
    state: 'handed-over' as const,
    since: NOW.toISOString(),
    uid: 'uid-old',
    group: 'karpenter/default',
    groupSize: 2,
    claim: 'default-old',
    owners: ['rs-web'],
  };
  const fresh = liveNode('r', { 'karpenter.sh/nodepool': 'default' });
  const z = liveNode('z', { 'karpenter.sh/nodepool': 'default' });
  const s = planStep({
    fleet: fleetOf([fresh, z]),
    facts: [],
    policy: policyOf(),
    planId: ID,
    nodes: [fresh, z],
    state: {
      records: { r: record },
      baselines: { 'karpenter/default': ['r', 'z'] },
      invalid: {},
      problems: [],
    },
    now: NOW,
    options: OPTIONS,
    pods: [],
    nodeClaims: [
      { name: 'default-new', providerID: fresh.providerID, nodeName: 'r' },
      { name: 'default-z', providerID: z.providerID, nodeName: 'z' },
    ],
    pendingPods: [pod('', 'web-2', { ownerUid: 'rs-web', pending: true })],
  });
  assert.ok(
    !s.actions.some((a) => a.node === 'r' && a.call !== undefined),
    `no call on the new node r: ${JSON.stringify(s.actions)}`,
  );
  assert.ok(
    s.reports.some((m) => /recreated/.test(m)),
    JSON.stringify(s.reports),
  );
});

test('Machines and NodeClaims departing without their node count in their group, whoever deleted them (6b)', () => {
  const a = eks('a');
  const b = eks('b');
  const departing: Departing[] = [{ group: 'eks/ng', what: 'NodeClaim ng-x', node: 'x' }];
  const s = step([a, b], { departing });
  for (const n of ['a', 'b']) assert.notEqual(stateOf(s, n), 'start', JSON.stringify(s.work));
  const held = s.work.find((w) => w.state === 'over-limit');
  assert.match(held?.note ?? '', /group 1\/1, .*1 departing without its node \(NodeClaim ng-x\)/);
  // gone from the list (the replacement joined, the object was removed): the slot is free
  assert.equal(step([a, b]).work.filter((w) => w.state === 'start').length, 1);
  // what the client reads as departing: deleting or remediating, its node not among the nodes;
  // its group from the object, never from a node
  const m = (name: string, extra: Partial<LiveMachine>): LiveMachine => ({
    namespace: 'c',
    name,
    nodeName: name,
    providerID: '',
    remediating: false,
    deleting: false,
    owner: { kind: 'MachineSet', name: 'md-0' },
    ...extra,
  });
  const out = departingOf(
    new Set(['live']),
    [m('gone', { deleting: true }), m('live', { deleting: true }), m('idle', {})],
    [
      { name: 'c1', providerID: '', nodeName: 'away', nodePool: 'p', deleting: true },
      { name: 'c2', providerID: '', nodeName: 'away2', nodePool: 'p' },
    ],
  );
  assert.deepEqual(
    out.map((d) => d.what),
    ['Machine c/gone', 'NodeClaim c1'],
  );
  assert.equal(out[1]?.group, 'karpenter/p');
});
