// Parsing what kubectl and certdrift print: node lists from every provider the planner groups,
// NodeCertificateReports, scan documents — and random input that must never throw.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseNodeList } from '../../src/fleet/parse-node-list.js';
import { parseReportList, parseScanDocument } from '../../src/fleet/parse-certificate-facts.js';
import { readPolicy } from '../../src/fleet/read-policy.js';
import { splitScanArgument } from '../../src/cli/commands/plan-file-source.js';
import {
  aksNode,
  capiNode,
  daysFrom,
  eksNode,
  gkeNode,
  karpenterNode,
  kopsNode,
  node,
  nodeList,
  plainNode,
  report,
} from './fleet-fixtures.js';

const AT = new Date('2026-11-25T12:00:00Z');

test('groups from the labels and annotations each provisioner sets', () => {
  const created = daysFrom(AT, -30);
  const rows: [Record<string, unknown>, string][] = [
    [kopsNode('i-0a1b2c3d4e5f60718', 'nodes-us-east-1a', created), 'kops/nodes-us-east-1a'],
    [
      kopsNode('i-0c1a9e0f6b2d4a801', 'control-plane-us-east-1a', created, true),
      'kops/control-plane-us-east-1a',
    ],
    [
      capiNode('prod-md-0-7d9f8c6b5-x2k4p', 'prod-md-0-7d9f8c6b5', created),
      'capi/prod-md-0-7d9f8c6b5',
    ],
    [
      karpenterNode('ip-10-0-32-17.us-west-2.compute.internal', 'default', created),
      'karpenter/default',
    ],
    [
      eksNode('ip-192-168-10-40.us-west-2.compute.internal', 'ng-general', created),
      'eks/ng-general',
    ],
    [gkeNode('gke-prod-default-pool-1a2b3c4d-x7k9', 'default-pool', created), 'gke/default-pool'],
    [aksNode('aks-nodepool1-12345678-vmss000000', 'nodepool1', created), 'aks/nodepool1'],
    [plainNode('metal-worker-1', created), 'none'],
    // Precedence: an instance-group label wins over a Karpenter one (kops manages that node).
    [
      node({
        name: 'both',
        created,
        labels: { 'karpenter.sh/nodepool': 'p', 'kops.k8s.io/instancegroup': 'ig' },
      }),
      'kops/ig',
    ],
    // An empty label value names no group.
    [node({ name: 'empty', created, labels: { 'eks.amazonaws.com/nodegroup': '' } }), 'none'],
  ];
  const { nodes, problems } = parseNodeList(nodeList(rows.map(([n]) => n)), 'nodes.json');
  assert.deepEqual(problems, []);
  assert.deepEqual(
    nodes.map((n) => n.group),
    rows.map(([, g]) => g),
  );
  assert.equal(nodes[0]?.createdAt?.toISOString(), created.toISOString());
});

test('bad items are reported and skipped; the others still count', () => {
  const good = plainNode('ok-1', AT);
  const noTime = plainNode('no-time', AT);
  delete (noTime.metadata as Record<string, unknown>).creationTimestamp;
  const { nodes, problems } = parseNodeList(
    {
      kind: 'NodeList',
      items: [good, { kind: 'Pod', metadata: { name: 'p' } }, { metadata: {} }, 42, good, noTime],
    },
    'n.json',
  );
  assert.deepEqual(
    nodes.map((n) => [n.name, n.createdAt === null]),
    [
      ['ok-1', false],
      ['no-time', true],
    ],
  );
  assert.deepEqual(
    problems.map((p) => p.source),
    [
      'n.json: items[1]',
      'n.json: items[2]',
      'n.json: items[3]',
      'n.json: items[4]',
      'n.json: items[5]',
    ],
  );
  assert.match(problems[3]?.message ?? '', /listed twice/);
  // One Node (kubectl get node NAME -o json) is a fleet of one.
  assert.equal(parseNodeList(good, 'one').nodes.length, 1);
});

test('NodeCertificateReports: status.deadline per node; bad times reported', () => {
  const r = report('n1', new Date('2027-03-01T00:00:00Z'), AT);
  const noStatus = { kind: 'NodeCertificateReport', metadata: { name: 'n2' } };
  const bad = report('n3', AT, AT);
  (bad.status as Record<string, unknown>).deadline = 'soon';
  const { facts, problems } = parseReportList(
    { kind: 'List', items: [r, noStatus, bad] },
    'r.json',
  );
  assert.deepEqual(
    facts.map((f) => [f.node, f.deadline?.toISOString() ?? null, f.source]),
    [
      ['n1', '2027-03-01T00:00:00.000Z', 'report'],
      ['n2', null, 'report'],
    ],
  );
  assert.match(problems[0]?.message ?? '', /n3.*not an RFC 3339 time/);
});

test('scan documents: node from NODE=FILE or the kubelet client certificate', () => {
  const doc = {
    kind: 'NodeScan',
    node: { deadline: '2027-02-03T12:00:00.000Z' },
    certificates: [{ component: 'kubelet-client', commonName: 'system:node:ip-10-0-1-7' }],
  };
  assert.equal(parseScanDocument(doc, 's.json', null).facts[0]?.node, 'ip-10-0-1-7');
  assert.equal(parseScanDocument(doc, 's.json', 'given').facts[0]?.node, 'given');
  const anon = { ...doc, certificates: [] };
  assert.match(
    parseScanDocument(anon, 's.json', null).problems[0]?.message ?? '',
    /--scan NODE=FILE/,
  );
  assert.deepEqual(splitScanArgument('ip-10-0-1-7.ec2.internal=scans/a.json'), {
    node: 'ip-10-0-1-7.ec2.internal',
    file: 'scans/a.json',
  });
  assert.deepEqual(splitScanArgument('./odd=name.json'), { node: null, file: './odd=name.json' });
  assert.deepEqual(splitScanArgument('scan.json'), { node: null, file: 'scan.json' });
});

test('parsers never throw, whatever they are given', () => {
  fc.assert(
    fc.property(fc.anything({ withNullPrototype: true, maxDepth: 4 }), (v) => {
      parseNodeList(v, 'x');
      parseNodeList(
        {
          items: [
            v,
            { metadata: v },
            { metadata: { name: 'n', labels: v, annotations: v, creationTimestamp: v } },
          ],
        },
        'x',
      );
      parseReportList({ items: [v, { metadata: { name: 'n' }, status: v }] }, 'x');
      parseScanDocument({ kind: 'NodeScan', node: v, certificates: [v] }, 'x', null);
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string(),
        fc.string({ unit: 'binary' }),
        fc.jsonValue().map((j) => JSON.stringify(j)),
      ),
      (text) => {
        const { problems } = readPolicy(text);
        for (const p of problems) assert.equal(typeof p.message, 'string');
      },
    ),
    { numRuns: 300 },
  );
});
