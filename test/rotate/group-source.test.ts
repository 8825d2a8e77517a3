// Where a node's group comes from in `certdrift rotate` (issue #21, review finding 3): its
// Machine (status.nodeRef) or NodeClaim (status.nodeName) — objects its kubelet cannot write —
// over its labels; and a node with a rotation record counts in the group the record names,
// whatever its labels say now (a node cannot leave its group to free a slot). Pure.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linkNodes, machineOf, nodeClaimOf } from '../../src/adapters/kube/rotate-client.js';
import { formatRecord, planStep } from '../../src/rotate/index.js';
import { parseState } from '../../src/rotate/rotation-state.js';
import { fleetOf, liveNode, NOW, OPTIONS, policyOf } from './fixtures.js';

const apiMachine = (name: string, node: string, owner: string, ns = 'team-a'): unknown => ({
  metadata: {
    namespace: ns,
    name,
    labels: { 'cluster.x-k8s.io/set-name': owner },
    ownerReferences: [{ kind: 'MachineSet', name: owner, controller: true, uid: 'u' }],
  },
  status: { nodeRef: { name: node } },
});

test('the group comes from the Machine or NodeClaim that names the node, not from its labels', () => {
  const machines = [
    apiMachine('md-0-a', 'm1', 'md-0'),
    // two Machines naming one node: neither is trusted
    apiMachine('md-1-a', 'm2', 'md-1'),
    apiMachine('md-2-a', 'm2', 'md-2', 'team-b'),
  ].map(machineOf);
  const claims = [
    {
      metadata: { name: 'c-1', labels: { 'karpenter.sh/nodepool': 'default' } },
      status: { nodeName: 'k1', providerID: 'p1' },
    },
    // a NodeClaim naming a node outside this list: ignored
    {
      metadata: { name: 'c-2', labels: { 'karpenter.sh/nodepool': 'spot' } },
      status: { nodeName: 'elsewhere' },
    },
  ].map(nodeClaimOf);
  const { links, problems } = linkNodes(['m1', 'm2', 'k1', 'plain'], machines, claims);
  assert.deepEqual(
    [...links].map(([n, l]) => [n, l.group, l.machine?.name]),
    [
      ['m1', 'capi/md-0', 'md-0-a'],
      ['k1', 'karpenter/default', undefined],
    ],
  );
  assert.deepEqual(problems, [
    'm2: Machines team-a/md-1-a, team-b/md-2-a all name it in status.nodeRef: its group is read from its labels',
  ]);
});

test('a node with a rotation record counts in its recorded group, whatever its labels say now', () => {
  // a (draining, recorded in eks/g) relabelled itself into eks/h; b is due in eks/g, c in eks/h
  const a = liveNode('a', { 'eks.amazonaws.com/nodegroup': 'h' }, {}, { unschedulable: true });
  const b = liveNode('b', { 'eks.amazonaws.com/nodegroup': 'g' });
  const c = liveNode('c', { 'eks.amazonaws.com/nodegroup': 'h' });
  const record = {
    ...(JSON.parse(
      formatRecord({ plan: 'p-test', state: 'cordoned', since: NOW.toISOString() }),
    ) as object),
    uid: a.uid,
    group: 'eks/g',
  };
  const nodes = [a, b, c];
  const run = (state: ReturnType<typeof parseState>) =>
    planStep({
      fleet: fleetOf(nodes),
      facts: [],
      policy: policyOf({ maxInFlight: 10 }),
      planId: 'p-test',
      nodes,
      state,
      now: NOW,
      options: OPTIONS,
      pods: [],
      nodeClaims: [],
    });
  const s = run(parseState(JSON.stringify({ records: { a: record }, baselines: {} })));
  const state = (n: string) => s.work.find((w) => w.node === n);
  assert.equal(state('a')?.group, 'eks/g');
  assert.equal(state('b')?.state, 'over-limit', 'eks/g still has a in flight');
  assert.equal(state('c')?.state, 'start', 'a takes no slot of eks/h');
  assert.ok(
    s.reports.includes(
      'a: now in group eks/h, its rotation record says eks/g: counted in eks/g until its record ends',
    ),
  );
  // a record of another node of that name (another UID) pins nothing
  const other = run(
    parseState(JSON.stringify({ records: { a: { ...record, uid: 'uid-old' } }, baselines: {} })),
  );
  assert.equal(other.work.find((w) => w.node === 'b')?.state, 'start');
});
