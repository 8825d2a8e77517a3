// The pure rotation step: which nodes start, continue, wait or stay untouched, and the exact
// calls — table tests over real plans from the planner.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatRecord,
  planIdOf,
  planStep,
  ROTATION_ANNOTATION,
  type LiveNode,
  type RotateStep,
} from '../../src/rotate/index.js';
import type { PlanPolicy } from '../../src/fleet/plan-policy.js';
import type { LiveMachine, LiveMachineHealthCheck } from '../../src/rotate/rotate-types.js';
import { fleetOf, liveNode, NOW, OPTIONS, pod, policyOf, recordsToState } from './fixtures.js';

const ID = 'p-test';
const rec = (state: 'cordoned' | 'handed-over' | 'drained', since = NOW, plan = ID) => ({
  [ROTATION_ANNOTATION]: formatRecord({ plan, state, since: since.toISOString() }),
});
const kops = (name: string, ann: Record<string, string> = {}) =>
  liveNode(name, { 'kops.k8s.io/instancegroup': 'nodes' }, ann);
const plain = (name: string, ann: Record<string, string> = {}) => liveNode(name, {}, ann);

function step(given: LiveNode[], policy: Partial<PlanPolicy> = {}, extra: object = {}): RotateStep {
  const { nodes, state } = recordsToState(given);
  return planStep({
    fleet: fleetOf(nodes),
    facts: [],
    policy: policyOf(policy),
    planId: ID,
    nodes,
    state,
    now: NOW,
    options: OPTIONS,
    pods: [],
    nodeClaims: [],
    ...extra,
  });
}
const states = (s: RotateStep) => Object.fromEntries(s.work.map((w) => [w.node, w.state]));

const cases: {
  name: string;
  nodes: LiveNode[];
  policy?: Partial<PlanPolicy>;
  want: Record<string, string>;
}[] = [
  {
    name: 'a fresh kops group: one at a time (kops default maxUnavailable 1); the rest in later waves',
    nodes: [kops('a'), kops('b'), kops('c')],
    want: { a: 'start', b: 'not-yet', c: 'not-yet' },
  },
  {
    name: 'group policy maxUnavailable 2: two start',
    nodes: [kops('a'), kops('b'), kops('c')],
    policy: { groups: { 'kops/nodes': { maxUnavailable: { count: 2 } } } },
    want: { a: 'start', b: 'start', c: 'not-yet' },
  },
  {
    name: 'a node handed over to kops is waited on and holds the group slot; never marked twice',
    nodes: [kops('a', rec('handed-over')), kops('b')],
    want: { a: 'waiting-replacement', b: 'over-limit' },
  },
  {
    name: 'resume: a drained node of this plan is finished; still present (cordoned) it holds the slot',
    nodes: [plain('a', rec('drained')), plain('b')],
    want: { a: 'drained', b: 'over-limit' },
  },
  {
    name: "another plan's records are reported and never acted on (neither continued nor started over)",
    nodes: [plain('a', rec('drained', NOW, 'p-old')), plain('b', rec('cordoned', NOW, 'p-old'))],
    want: { a: 'stuck', b: 'stuck' },
  },
  {
    name: 'a drain past its timeout is stuck, stays in flight, and blocks the group',
    nodes: [plain('a', rec('cordoned', new Date(NOW.getTime() - 2 * 3_600_000))), plain('b')],
    want: { a: 'stuck', b: 'over-limit' },
  },
  {
    name: 'maxSurge adds concurrency for kops, which surges',
    nodes: [kops('a'), kops('b'), kops('c')],
    policy: { groups: { 'kops/nodes': { maxSurge: { count: 2 } } } },
    want: { a: 'start', b: 'start', c: 'not-yet' },
  },
  {
    name: 'maxSurge adds nothing to a drain, which removes capacity first',
    nodes: [plain('a'), plain('b'), plain('c')],
    policy: { groups: { none: { maxSurge: { count: 2 } } } },
    // the planner schedules with maxSurge for every group; rotate caps
    want: { a: 'start', b: 'over-limit', c: 'not-yet' },
  },
  {
    name: 'a node cordoned by someone else is left alone and takes the group slot',
    nodes: [plain('a'), { ...plain('b'), unschedulable: true }],
    want: { a: 'over-limit', b: 'not-yet' },
  },
  {
    name: 'a due node cordoned by someone else is reported blocked and never started',
    nodes: [{ ...plain('a'), unschedulable: true }],
    want: { a: 'blocked' },
  },
  {
    name: 'a NotReady node counts against the group: nothing else starts meanwhile',
    nodes: [plain('a'), { ...plain('b'), ready: false }],
    want: { a: 'over-limit', b: 'not-yet' },
  },
  {
    name: 'maxInFlight caps across groups',
    nodes: [kops('a'), plain('b')],
    policy: { maxInFlight: 1 },
    want: { a: 'start', b: 'not-yet' },
  },
  {
    name: 'maxInFlight counts nodes in flight in other groups',
    nodes: [kops('a', rec('handed-over')), plain('b')],
    policy: { maxInFlight: 1 },
    want: { a: 'waiting-replacement', b: 'over-limit' },
  },
  {
    name: 'an unreadable record is never started over, and its node counts as unavailable',
    nodes: [plain('a', { [ROTATION_ANNOTATION]: '{"plan":' }), plain('b')],
    want: { a: 'stuck', b: 'over-limit' },
  },
  {
    name: 'outside every window nothing starts (window Saturday only; NOW is a Wednesday)',
    nodes: [plain('a')],
    policy: { windows: [{ days: [6], startMinute: 0, endMinute: 600, timeZone: 'UTC' }] },
    want: { a: 'not-yet' },
  },
  {
    name: 'inside a window with the perNode time left: starts',
    nodes: [plain('a')],
    policy: { windows: [{ days: [3], startMinute: 540, endMinute: 720, timeZone: 'UTC' }] },
    want: { a: 'start' },
  },
  {
    name: 'a Cluster API node without its Machine is stuck, not skipped silently',
    nodes: [liveNode('m', {}, { 'cluster.x-k8s.io/owner-name': 'md-0' })],
    want: { m: 'stuck' },
  },
];

for (const c of cases)
  test(`choose work: ${c.name}`, () => {
    assert.deepEqual(states(step(c.nodes, c.policy)), c.want);
  });

test('a window ending before perNode is over is not used; one with perNode left is', () => {
  // 09:00–10:10 UTC Wednesdays; now 10:00, perNode 20 min: does not fit.
  const narrow = { windows: [{ days: [3], startMinute: 540, endMinute: 610, timeZone: 'UTC' }] };
  assert.equal(states(step([plain('a')], narrow)).a, 'not-yet', 'the planner places it next week');
  const wide = { windows: [{ days: [3], startMinute: 540, endMinute: 620, timeZone: 'UTC' }] };
  assert.equal(states(step([plain('a')], wide)).a, 'start', 'exactly perNode left: fits');
});

test('drain actions: the record first (state object), then the cordon, evict only evictable pods; the finish waits for a fresh list', () => {
  const s = step(
    [plain('a')],
    {},
    {
      pods: [
        pod('a', 'web-1'),
        pod('a', 'ds', { daemonSet: true }),
        pod('a', 'static', { mirror: true }),
        pod('a', 'job', { finished: true }),
        pod('b', 'elsewhere'),
      ],
    },
  );
  assert.deepEqual(
    s.actions.map((a) => `${a.step} ${a.call?.method} ${a.call?.path}`),
    [
      'record-cordoned undefined undefined',
      'cordon PATCH /api/v1/nodes/a',
      'evict POST /api/v1/namespaces/shop/pods/web-1/eviction',
    ],
    'no mark-drained in the step that evicts: the pods may still be terminating',
  );
  const [record, cordon, evict] = s.actions;
  assert.deepEqual(record?.state?.records, [
    {
      node: 'a',
      expect: null,
      next: {
        plan: ID,
        state: 'cordoned',
        since: NOW.toISOString(),
        uid: 'uid-a',
        group: 'none',
        groupSize: 1,
      },
    },
  ]);
  assert.deepEqual(record.state.baselines, [{ group: 'none', next: ['a'] }]);
  assert.deepEqual(cordon?.call?.body, { spec: { unschedulable: true } }, 'no annotation');
  assert.match(JSON.stringify(cordon), /"contentType":"application\/strategic-merge-patch\+json"/);
  assert.equal(evict?.call?.eviction, true);
});

test('resume of a cordoned node: no second cordon, only the remaining evictions; --after-drain delete-node once drained (Karpenter: its finalizer replaces it)', () => {
  const resume = (pods: ReturnType<typeof pod>[], node = 'a') =>
    step(
      [liveNode(node, { 'karpenter.sh/nodepool': 'default' }, rec('cordoned'))],
      {},
      { options: { ...OPTIONS, afterDrain: 'delete-node' }, pods },
    ).actions.map((a) => `${a.step} ${a.call?.method} ${a.call?.path}`);
  assert.deepEqual(resume([pod('a', 'web-2')]), [
    'evict POST /api/v1/namespaces/shop/pods/web-2/eviction',
  ]);
  // evicted and still terminating: neither evicted again nor finished
  assert.deepEqual(resume([pod('a', 'web-2', { terminating: true })]), []);
  // only DaemonSet and mirror pods left: drained
  assert.deepEqual(
    resume([pod('a', 'ds', { daemonSet: true }), pod('a', 'static', { mirror: true })]),
    ['delete-node DELETE /api/v1/nodes/a'],
  );
  // a plain node: deleting its Node replaces nothing, so the finished drain is only recorded
  const plainDone = step(
    [plain('b', rec('cordoned'))],
    {},
    { options: { ...OPTIONS, afterDrain: 'delete-node' }, pods: [] },
  ).actions;
  assert.deepEqual(
    plainDone.map((a) => a.step),
    ['mark-drained'],
  );
  assert.match(plainDone[0]?.summary ?? '', /not deleted: .*does not replace its machine/);
});

test('kops: the record, then the cordon, then the annotation, then one rolling-update command per instance group', () => {
  const nodes = [kops('a'), kops('b')];
  const s = step(
    nodes,
    { groups: { 'kops/nodes': { maxUnavailable: { count: 2 } } } },
    {
      options: { ...OPTIONS, kopsCluster: 'prod.k8s.local' },
    },
  );
  assert.deepEqual(
    s.actions.map((a) => a.step),
    [
      'record-handed-over',
      'cordon',
      'kops-annotate',
      'record-handed-over',
      'cordon',
      'kops-annotate',
      'kops-rolling-update',
    ],
  );
  assert.deepEqual(s.actions[2]?.call?.body, {
    metadata: { annotations: { 'kops.k8s.io/needs-update': '' } },
  });
  assert.equal(s.actions[0]?.state?.records[0]?.next?.state, 'handed-over');
  assert.equal(
    s.actions[6]?.command,
    'kops rolling-update cluster --name prod.k8s.local --instance-group nodes --yes',
  );
});

test('Cluster API: remediate the Machine whose status.nodeRef is the node (never the one its annotations name), recorded first; Karpenter: delete its NodeClaim, recorded first', () => {
  const m = liveNode(
    'm',
    {},
    {
      'cluster.x-k8s.io/owner-name': 'md-0',
      'cluster.x-k8s.io/machine': 'md-0-abc',
      'cluster.x-k8s.io/cluster-namespace': 'team-a',
    },
  );
  const k = liveNode('k', { 'karpenter.sh/nodepool': 'default' });
  const machine: LiveMachine = {
    namespace: 'team-a',
    name: 'md-0-abc',
    nodeName: 'm',
    providerID: '',
    remediating: false,
    deleting: false,
    clusterName: 'c1',
    labels: { 'cluster.x-k8s.io/cluster-name': 'c1', 'cluster.x-k8s.io/set-name': 'md-0' },
    owner: { kind: 'MachineSet', name: 'md-0' },
  };
  const healthChecks: LiveMachineHealthCheck[] = [
    {
      namespace: 'team-a',
      name: 'md-0',
      clusterName: 'c1',
      selector: { matchLabels: { 'cluster.x-k8s.io/set-name': 'md-0' } },
      paused: false,
    },
  ];
  // the node's annotations name md-0-abc; a Machine of that name in team-b is not linked to it
  const decoy: LiveMachine = { ...machine, namespace: 'team-b', nodeName: 'other' };
  const s = step(
    [m, k],
    {},
    {
      nodeClaims: [{ name: 'default-x1', providerID: k.providerID, nodeName: k.name }],
      machines: [decoy, machine],
      healthChecks,
    },
  );
  assert.deepEqual(
    s.actions.map((a) => `${a.step} ${a.call?.method} ${a.call?.path}`),
    [
      'record-handed-over undefined undefined',
      'karpenter-delete DELETE /apis/karpenter.sh/v1/nodeclaims/default-x1',
      'record-handed-over undefined undefined',
      'cordon PATCH /api/v1/nodes/m',
      'capi-remediate PATCH /apis/cluster.x-k8s.io/v1beta1/namespaces/team-a/machines/md-0-abc',
    ],
  );
  assert.deepEqual(s.actions[4]?.call?.body, {
    metadata: { annotations: { 'cluster.x-k8s.io/remediate-machine': '' } },
  });
  // an interrupted run marked it already: only the record (and the cordon); no such Machine: stuck
  const again = step([m], {}, { machines: [{ ...machine, remediating: true }], healthChecks });
  assert.deepEqual(
    again.actions.map((a) => a.step),
    ['record-handed-over', 'cordon'],
  );
  const none = step([m], {}, { machines: [] });
  assert.equal(none.work[0]?.state, 'stuck');
  // only the annotations point at a Machine (a kubelet can write them): stuck, nothing patched
  const forged = step([m], {}, { machines: [{ ...machine, nodeName: 'n', providerID: 'x' }] });
  assert.equal(forged.work[0]?.state, 'stuck');
  assert.deepEqual(forged.actions, []);
  // found by providerID before Cluster API set status.nodeRef
  const byId = step(
    [m],
    {},
    { machines: [{ ...machine, nodeName: '', providerID: m.providerID }], healthChecks },
  );
  assert.equal(byId.actions[2]?.step, 'capi-remediate');
});

test('plan id: stable for a policy, different for another policy or run name', () => {
  assert.equal(planIdOf('{"a":1}'), planIdOf('{"a":1}'));
  assert.notEqual(planIdOf('{"a":1}'), planIdOf('{"a":2}'));
  assert.match(planIdOf('{"a":1}', 'nov'), /^nov-[0-9a-f]{8}$/);
});
