// The pure parts that make a rotation wait and stop: timeouts that end in a `stuck` record,
// --force-after, validation between nodes (the `kops validate` idea), the KubeadmControlPlane
// knob, a NodeClaim already being deleted, and the progress line and events.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  baselineOf,
  etaOf,
  formatRecord,
  planStep,
  progressEvent,
  progressLine,
  ROTATION_ANNOTATION,
  ttyFrame,
  validateGroup,
  type LiveNode,
  type RotateOptions,
  type RotateStep,
} from '../../src/rotate/index.js';
import type { PlanPolicy } from '../../src/fleet/plan-policy.js';
import { linkNodes, machineOf } from '../../src/adapters/kube/rotate-client.js';
import { fleetOf, liveNode, NOW, OPTIONS, pod, policyOf, recordsToState } from './fixtures.js';

const ID = 'p-test';
const MIN = 60_000;
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const rec = (
  state: 'cordoned' | 'handed-over' | 'drained' | 'stuck',
  since = NOW,
  was?: 'cordoned' | 'handed-over',
) => ({
  [ROTATION_ANNOTATION]: formatRecord({
    plan: ID,
    state,
    since: since.toISOString(),
    ...(was ? { was } : {}),
  }),
});
const kops = (name: string, ann: Record<string, string> = {}, extra: Partial<LiveNode> = {}) =>
  liveNode(name, { 'kops.k8s.io/instancegroup': 'nodes' }, ann, extra);
const plain = (name: string, ann: Record<string, string> = {}) => liveNode(name, {}, ann);

function step(
  given: LiveNode[],
  extra: {
    options?: Partial<RotateOptions>;
    policy?: Partial<PlanPolicy>;
    [k: string]: unknown;
  } = {},
): RotateStep {
  const { options, policy, ...rest } = extra;
  const lifted = recordsToState(given);
  const nodes = lifted.nodes;
  return planStep({
    fleet: fleetOf(nodes),
    facts: [],
    policy: policyOf(policy ?? {}),
    planId: ID,
    nodes,
    state: lifted.state,
    now: NOW,
    options: { ...OPTIONS, ...options },
    pods: [],
    nodeClaims: [],
    ...rest,
  });
}
const work = (s: RotateStep, node: string) => s.work.find((w) => w.node === node);
const calls = (s: RotateStep) =>
  s.actions.map((a) => `${a.node} ${a.step} ${a.call?.method ?? ''} ${a.call?.path ?? ''}`.trim());

test('a handed-over node still present past the replace timeout is recorded stuck, once', () => {
  // marked by kops' annotation (confirmed) and cordoned (the hand-over cordons before its mark):
  // nothing is repeated while it waits
  const mark = { 'kops.k8s.io/needs-update': '' };
  const handed = { ...rec('handed-over', ago(59 * MIN)), ...mark };
  const before = step([kops('a', handed, { unschedulable: true })], {
    options: { replaceTimeoutMs: 60 * MIN },
  });
  assert.equal(work(before, 'a')?.state, 'waiting-replacement');
  assert.deepEqual(
    calls(before).filter((c) => !c.includes('kops-rolling-update')),
    [],
  );

  const past = step([kops('a', rec('handed-over', ago(61 * MIN))), kops('b')], {
    options: { replaceTimeoutMs: 60 * MIN },
  });
  assert.equal(work(past, 'a')?.state, 'stuck');
  assert.equal(work(past, 'b')?.state, 'over-limit', 'a stuck node keeps its group slot');
  assert.deepEqual(calls(past), ['a record-stuck']);
  assert.deepEqual(past.actions[0]?.state?.records[0]?.next, {
    plan: ID,
    state: 'stuck',
    since: NOW.toISOString(),
    was: 'handed-over',
    uid: 'uid-a',
    group: 'kops/nodes',
    groupSize: 2,
  });
  assert.equal(past.actions[0].state.records[0].expect?.state, 'handed-over');

  // The next step reads the stuck record: reported, no call, slot still held.
  const after = step([kops('a', rec('stuck', NOW, 'handed-over')), kops('b')]);
  assert.equal(work(after, 'a')?.state, 'stuck');
  assert.match(
    work(after, 'a')?.note ?? '',
    /was handed-over.*remove its entry from certdrift-rotation-state/,
  );
  assert.equal(work(after, 'b')?.state, 'over-limit');
  assert.deepEqual(calls(after), []);
});

test('a drain past --drain-timeout is recorded stuck and left cordoned; past --force-after its pods are deleted', () => {
  const node = plain('a', rec('cordoned', ago(70 * MIN)));
  const pods = { pods: [pod('a', 'web-1'), pod('a', 'web-2', { terminating: true })] };
  const stuck = step([node], { ...pods, options: { drainTimeoutMs: 60 * MIN } });
  assert.equal(work(stuck, 'a')?.state, 'stuck');
  assert.deepEqual(calls(stuck), ['a record-stuck'], 'the record changes; the cordon stays');

  const forced = step([node], {
    ...pods,
    options: { drainTimeoutMs: 120 * MIN, forceAfterMs: 30 * MIN },
  });
  assert.equal(work(forced, 'a')?.state, 'continue');
  assert.deepEqual(calls(forced), ['a delete-pod DELETE /api/v1/namespaces/shop/pods/web-1']);
  assert.equal(forced.actions[0]?.call?.absentIsDone, true);

  const early = step([plain('a', rec('cordoned', ago(20 * MIN)))], {
    ...pods,
    options: { drainTimeoutMs: 120 * MIN, forceAfterMs: 30 * MIN },
  });
  assert.deepEqual(calls(early), ['a evict POST /api/v1/namespaces/shop/pods/web-1/eviction']);
});

test('validation between nodes: a node turned NotReady halts the group; a missing replacement waits', () => {
  const a = kops('a');
  const b = kops('b');
  const base = baselineOf([a, b, plain('x')]);
  assert.deepEqual(base.ready, { 'kops/nodes': ['a', 'b'], none: ['x'] });
  assert.equal(validateGroup('kops/nodes', [a, b], base), null);
  assert.deepEqual(validateGroup('kops/nodes', [a, { ...b, ready: false }], base)?.state, 'halted');
  // a is gone (replaced) and its replacement has not joined: 1 of 2
  assert.deepEqual(validateGroup('kops/nodes', [b], base), {
    state: 'validating',
    note: 'validation: waiting for replacements (1 of 2 nodes)',
  });
  // the replacement joined but is not Ready yet
  const r = kops('nodes-r1', {}, { ready: false });
  assert.equal(validateGroup('kops/nodes', [b, r], base)?.state, 'validating');
  assert.equal(validateGroup('kops/nodes', [b, { ...r, ready: true }], base), null);
  // a node in the rotation's hands (any record) counts and is not judged
  const handed = kops('a', rec('handed-over'), { ready: false });
  assert.equal(validateGroup('kops/nodes', [handed, b], base, '', new Set(['a'])), null);
  assert.equal(
    validateGroup('kops/nodes', [handed, b], base)?.state,
    'halted',
    'a node annotation is no record: only the state object says a node is the rotation’s',
  );
  // without a baseline (a single step): a NotReady node makes it wait, never halt
  assert.equal(
    validateGroup('kops/nodes', [a, { ...b, ready: false }], undefined)?.state,
    'validating',
  );

  const s = step([kops('c'), { ...kops('d'), ready: false }], {
    baseline: { ready: { 'kops/nodes': ['c', 'd'] } },
  });
  assert.equal(work(s, 'c')?.state, 'halted');
  assert.deepEqual(s.actions, []);
});

test('a KubeadmControlPlane node is reported with rolloutBefore.certificatesExpiryDays, not remediated', () => {
  // The KCP is the controller ownerReference of the node's Machine (status.nodeRef), as the API
  // returns a Machine KCP made: never the node's owner-kind/owner-name annotations.
  const apiMachine = {
    apiVersion: 'cluster.x-k8s.io/v1beta1',
    kind: 'Machine',
    metadata: {
      namespace: 'prod',
      name: 'c1-control-plane-abc',
      labels: { 'cluster.x-k8s.io/control-plane': '' },
      ownerReferences: [
        {
          apiVersion: 'controlplane.cluster.x-k8s.io/v1beta1',
          kind: 'KubeadmControlPlane',
          name: 'c1-control-plane',
          uid: 'kcp-uid',
          controller: true,
        },
      ],
    },
    spec: { clusterName: 'c1' },
    status: { nodeRef: { kind: 'Node', name: 'cp-1' } },
  };
  const { links } = linkNodes(['cp-1'], [machineOf(apiMachine)], []);
  const link = links.get('cp-1');
  assert.ok(link?.machine);
  const cp: LiveNode = {
    ...liveNode('cp-1', {}),
    group: String(link.group),
    kind: 'capi',
    machine: link.machine,
  };
  const s = step([cp]);
  const w = work(s, 'cp-1');
  assert.equal(w?.state, 'native');
  assert.deepEqual(w.native && { ...w.native, advice: undefined }, {
    kind: 'KubeadmControlPlane',
    namespace: 'prod',
    name: 'c1-control-plane',
    field: 'spec.rolloutBefore.certificatesExpiryDays',
    advice: undefined,
  });
  assert.deepEqual(s.actions, []);
  // --actuator drain overrides: then it is drained like any node
  assert.equal(work(step([cp], { options: { actuator: 'drain' } }), 'cp-1')?.state, 'start');
  // A worker whose annotations claim another namespace's control plane gets no KCP answer: it
  // is a Cluster API node without a Machine, refused for that
  const forger = liveNode(
    'w-1',
    {},
    {
      'cluster.x-k8s.io/owner-kind': 'KubeadmControlPlane',
      'cluster.x-k8s.io/owner-name': 'c1-control-plane',
      'cluster.x-k8s.io/cluster-namespace': 'prod',
    },
  );
  const f = work(step([forger]), 'w-1');
  assert.equal(f?.state, 'stuck');
  assert.equal(f.native, undefined);
  assert.match(f.note, /no Machine whose status.nodeRef/);
});

test('a NodeClaim already being deleted (an interrupted run) gets only the record, no second delete', () => {
  const k = liveNode('k', { 'karpenter.sh/nodepool': 'default' });
  const claim = { name: 'default-x', providerID: k.providerID, nodeName: k.name };
  assert.deepEqual(
    step([k], { nodeClaims: [claim] }).actions.map((a) => a.step),
    ['record-handed-over', 'karpenter-delete'],
  );
  assert.deepEqual(
    step([k], { nodeClaims: [{ ...claim, deleting: true }] }).actions.map((a) => a.step),
    ['record-handed-over'],
  );
});

test('progress: counts, ETA from finished nodes, a terminal line with names escaped, JSON events', () => {
  assert.equal(etaOf([], 3, 1), null);
  assert.equal(etaOf([60_000, 120_000], 3, 1), 270_000);
  assert.equal(etaOf([60_000], 3, 2), 120_000, 'two waves of two');
  assert.equal(etaOf([60_000], 0, 1), 0);
  const p = {
    at: NOW,
    total: 5,
    done: 2,
    stuck: 1,
    current: 'evil\x1b[2J\u202enode evict done',
    etaMs: 125_000,
  };
  const line = progressLine(p);
  assert.equal(line, '[2/5] 1 stuck ETA 2m05s  evil\\x1b[2J\\u{202e}node evict done');
  assert.equal(ttyFrame(p), `\r${line}\x1b[K`);
  assert.equal(progressLine(p, 20).length, 20);
  const ev = progressEvent({ ...p, current: 'n\x85x\u2028y' });
  assert.ok(ev.endsWith('\n'));
  assert.doesNotMatch(ev.slice(0, -1), /[\x00-\x1f\x7f-\x9f\u2028\u202e]/);
  assert.deepEqual(JSON.parse(ev), {
    event: 'progress',
    at: NOW.toISOString(),
    done: 2,
    total: 5,
    stuck: 1,
    current: 'n\x85x\u2028y',
    etaSeconds: 125,
  });
});
