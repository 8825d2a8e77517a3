// The Kubernetes → fleet mapping: a report is its Node's by the owner UID, never by name alone
// when the rotator reads it (requireOwner); groups from objects the node cannot write win.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeCertificateReport, NodeInfo } from '../model/cluster.js';
import { mapClusterFleet, selectedFleet } from './from-cluster.js';

const node = (name: string, labels: Record<string, string> = {}): NodeInfo => ({
  name,
  uid: `uid-${name}`,
  createdAt: '2026-01-01T00:00:00Z',
  labels,
  annotations: {},
  unschedulable: false,
  conditions: [],
});
const report = (name: string, nodeUid?: string): NodeCertificateReport => ({
  name,
  ...(nodeUid !== undefined ? { nodeUid } : {}),
  status: {
    scannedAt: '2026-12-01T00:00:00Z',
    deadline: '2026-12-10T00:00:00Z',
    worstSeverity: 'ok',
    certificates: 1,
    staleViews: 0,
    notReloaded: 0,
    findings: [],
  },
});

test('a report owned by another Node UID is reported and ignored; an ownerless one only when required', () => {
  const nodes = [node('a'), node('b'), node('c')];
  const reports = [report('a', 'uid-a'), report('b', 'uid-old-b'), report('c')];
  const plan = mapClusterFleet(nodes, reports);
  assert.deepEqual(
    plan.facts.map((f) => f.node),
    ['a', 'c'],
  );
  assert.match(
    plan.problems.map((p) => p.message).join('\n'),
    /"b" is owned by Node UID "uid-old-b", the live Node has "uid-b"/,
  );
  const rotate = selectedFleet(nodes, reports, undefined, { requireOwner: true });
  assert.deepEqual(
    rotate.facts.map((f) => f.node),
    ['a'],
  );
  assert.match(
    rotate.problems.map((p) => p.message).join('\n'),
    /"c" has no Node ownerReference: not matched to its Node by name alone/,
  );
});

test('a group from a Machine or NodeClaim wins over what the node labels say', () => {
  const nodes = [
    node('a', { 'karpenter.sh/nodepool': 'spot' }),
    node('b', { 'karpenter.sh/nodepool': 'spot' }),
  ];
  const fleet = mapClusterFleet(nodes, [], { groups: new Map([['a', 'karpenter/default']]) });
  assert.deepEqual(
    fleet.nodes.map((n) => [n.name, n.group]),
    [
      ['a', 'karpenter/default'],
      ['b', 'karpenter/spot'],
    ],
  );
});
