// The real CLI on the "Done when" fleet of issue #12 and on hostile or broken input.
// Needs `npm run build` (the test gate builds first).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { REPO, runCli } from '../support/scan.js';
import { checkPlan, type RefReplacement } from './check-plan.js';
import { AT, buildDoneWhenFleet, writeDoneWhenFleet, fleetArgs } from './done-when-fleet.js';
import { kopsNode, nodeList, plainNode, report, daysFrom } from './fleet-fixtures.js';

const DAY = 86_400_000;
const MIN = 60_000;

interface PlanDoc {
  kind: string;
  schemaVersion: number;
  summary: {
    nodes: number;
    due: number;
    scheduled: number;
    late: number;
    expiring: number;
    notDue: number;
    exitCode: number;
  };
  groups: {
    group: string;
    kind: string;
    concurrency: number;
    due: number;
    waves: { wave: number; nodes: string[] }[];
  }[];
  schedule: (RefReplacement & {
    reason: string;
    deadlineSource: string | null;
    wave: number;
    risk: string;
  })[];
  unsavable: { node: string; cause: string; expiresFirst: boolean; statement: string }[];
  problems: { source: string; message: string }[];
}

const plan = (args: string[]): { status: number; doc: PlanDoc; stderr: string } => {
  const r = runCli(['plan', ...args, '-o', 'json']);
  return { status: r.status, doc: JSON.parse(r.stdout) as PlanDoc, stderr: r.stderr };
};

/** the referee's due dates, read from the input files themselves */
function expectedDue(nodesFile: string, reportsFile: string): Map<string, number> {
  type Item = {
    metadata: { name: string; creationTimestamp: string; labels: Record<string, string> };
    status?: { deadline?: string };
  };
  const nodes = (JSON.parse(readFileSync(nodesFile, 'utf8')) as { items: Item[] }).items;
  const reports = (JSON.parse(readFileSync(reportsFile, 'utf8')) as { items: Item[] }).items;
  const deadline = new Map(
    reports.map((r) => [r.metadata.name, Date.parse(r.status?.deadline ?? '')]),
  );
  const out = new Map<string, number>();
  for (const n of nodes) {
    const created = Date.parse(n.metadata.creationTimestamp);
    const kops = 'kops.k8s.io/instancegroup' in n.metadata.labels;
    const d = deadline.get(n.metadata.name) ?? (kops ? created + 455 * DAY : null);
    const due = Math.min(created + 365 * DAY, d === null ? Infinity : d - 14 * DAY);
    if (due <= AT.getTime() + 90 * DAY) out.set(n.metadata.name, due);
  }
  return out;
}

test('the Done-when fleet: a schedule that satisfies every rule, exit 2 for the expired node', () => {
  const f = writeDoneWhenFleet();
  const { status, doc } = plan(fleetArgs(f, AT));
  assert.equal(status, 2);
  assert.equal(doc.kind, 'ReplacementPlan');
  assert.equal(doc.schemaVersion, 1);
  assert.equal(doc.summary.nodes, 38);
  const conc: Record<string, number> = {
    'kops/nodes-us-east-1a': 3,
    'kops/control-plane-us-east-1a': 1,
    'capi/prod-md-0-7d9f8c6b5': 1,
    'eks/ng-general': 2,
  };
  const dur: Record<string, number> = {
    'kops/control-plane-us-east-1a': 45,
    'capi/prod-md-0-7d9f8c6b5': 30,
  };
  const due = expectedDue(f.nodes, f.reports);
  const violations = checkPlan(doc.schedule, {
    now: AT.getTime(),
    windows: [
      {
        days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'],
        start: '09:00',
        end: '17:00',
        timeZone: 'America/New_York',
      },
    ],
    maxInFlight: 6,
    concurrency: (g) => conc[g] ?? 1,
    perNodeMs: (g) => (dur[g] ?? 20) * MIN,
    expectedDue: due,
  });
  assert.deepEqual(violations, []);
  assert.equal(doc.summary.due, due.size);
  // Every kind of group is recognised; Karpenter's young nodes are not due.
  assert.deepEqual(
    doc.groups.map((g) => `${g.kind}:${g.group}:${g.concurrency}`),
    [
      'capi:capi/prod-md-0-7d9f8c6b5:1',
      'eks:eks/ng-general:2',
      'karpenter:karpenter/default:1',
      'kops:kops/control-plane-us-east-1a:1',
      'kops:kops/nodes-us-east-1a:3',
      'none:none:1',
    ],
  );
  assert.equal(doc.groups.find((g) => g.kind === 'karpenter')?.due, 0);
  // The expired node is stated as such and sets exit 2; the past-due ones are late, still valid.
  const expired = doc.unsavable.find((u) => u.node === 'i-0a7f3b2c9d1e5109');
  assert.equal(expired?.cause, 'expired');
  assert.equal(expired.expiresFirst, true);
  assert.ok(doc.unsavable.filter((u) => u.cause === 'past-due').length >= 1);
  assert.equal(doc.summary.expiring, 1);
  // The expired node goes first: nothing is more urgent.
  assert.equal(
    doc.schedule.find((r) => r.node === 'i-0a7f3b2c9d1e5109')?.start,
    doc.schedule[0]?.start,
  );
  // A kops node without a report falls back to creation + 455 days.
  assert.equal(
    doc.schedule.find((r) => r.node === 'i-0a7f3b2c9d1e5104')?.deadlineSource,
    'kops-assumed',
  );
  // Waves name exactly the scheduled nodes.
  assert.equal(
    doc.groups.flatMap((g) => g.waves.flatMap((w) => w.nodes)).length,
    doc.schedule.length,
  );
});

test('exit 1 when late nodes still hold valid certificates, 0 when nothing is late', () => {
  const f = writeDoneWhenFleet();
  const reports = JSON.parse(readFileSync(f.reports, 'utf8')) as {
    items: { metadata: { name: string } }[];
  };
  reports.items = reports.items.filter((r) => r.metadata.name !== 'i-0a7f3b2c9d1e5109');
  writeFileSync(f.reports, JSON.stringify(reports));
  const one = plan(fleetArgs(f, AT));
  assert.equal(one.status, 1);
  assert.ok(one.doc.summary.late > 0);
  assert.equal(one.doc.summary.expiring, 0);
  // A young fleet: nothing late.
  const young = join(f.dir, 'young.json');
  writeFileSync(
    young,
    JSON.stringify(
      nodeList([
        kopsNode('i-0young', 'nodes', daysFrom(AT, -10)),
        plainNode('w1', daysFrom(AT, -300)),
      ]),
    ),
  );
  const zero = plan(['--nodes', young, '--policy', f.policy, '--at', AT.toISOString()]);
  assert.equal(zero.status, 0);
  assert.deepEqual(
    zero.doc.schedule.map((r) => r.node),
    ['w1'],
  );
});

test('-o yaml carries the same document; YAML node lists are read too', () => {
  const f = writeDoneWhenFleet();
  const args = ['--reports', f.reports, '--policy', f.policy, '--at', AT.toISOString()];
  const json = runCli(['plan', '--nodes', f.nodes, ...args, '-o', 'json']);
  const yamlNodes = join(f.dir, 'nodes.yaml');
  writeFileSync(yamlNodes, toYaml(buildDoneWhenFleet().nodes));
  const yaml = runCli(['plan', '--nodes', yamlNodes, ...args, '-o', 'yaml']);
  const a = JSON.parse(json.stdout) as { sources: string[] };
  const b = parseYaml(yaml.stdout) as { sources: string[] };
  a.sources = b.sources = [];
  assert.deepEqual(b, a);
  assert.equal(yaml.status, json.status);
});

test('table: per group, waves with dates, in the windows time zone, late nodes first', () => {
  const f = writeDoneWhenFleet();
  const r = runCli(['plan', ...fleetArgs(f, AT)]);
  assert.equal(r.status, 2);
  assert.match(r.stdout, /Cannot be replaced in time: 4 node\(s\)/);
  assert.match(r.stdout, /✗ EXPIRES i-0a7f3b2c9d1e5109 \(kops\/nodes-us-east-1a\) \[expired\]/);
  assert.match(
    r.stdout,
    /^kops\/control-plane-us-east-1a {2}3 nodes, 3 due, 1 at a time, 45m each$/m,
  );
  // The first window opens Wednesday 09:00 New York time (14:00 UTC).
  assert.match(r.stdout, /^ {2}1 +Wed 2026-11-25 +09:00–/m);
  assert.ok(r.stdout.indexOf('Cannot be replaced') < r.stdout.indexOf('WAVE'));
  assert.doesNotMatch(r.stdout, /\x1b/);
});

test('hostile node names: escaped on the terminal and in HTML', () => {
  const f = writeDoneWhenFleet();
  const evil = 'evil\x1b[2J\x1b]0;pwned\x07\u202e';
  const html = '<img src=x onerror=alert(1)>';
  const nodes = join(f.dir, 'evil.json');
  writeFileSync(
    nodes,
    JSON.stringify(
      nodeList([
        kopsNode(evil, 'ig\x1b[31m', daysFrom(AT, -400)),
        plainNode(html, daysFrom(AT, -400)),
      ]),
    ),
  );
  const t = runCli(['plan', '--nodes', nodes, '--at', AT.toISOString(), '--color', 'never']);
  assert.equal(t.status, 1);
  assert.doesNotMatch(t.stdout + t.stderr, /[\x00-\x09\x0b-\x1f\x7f\u202e]/);
  assert.match(t.stdout, /evil\\x1b\[2J\\x1b\]0;pwned\\x07\\u\{202e\}/);
  const h = runCli(['plan', '--nodes', nodes, '--at', AT.toISOString(), '-o', 'html']);
  assert.ok(!h.stdout.includes('<img'));
  assert.ok(h.stdout.includes('&lt;img src=x onerror=alert(1)&gt;'));
});

test('policy mistakes: every one reported with file, line and key; exit 3', () => {
  const f = writeDoneWhenFleet();
  const bad = join(f.dir, 'bad.yaml');
  writeFileSync(
    bad,
    [
      'maxNodeAge: 365',
      'margin: 14d',
      'perNode: 20m',
      'maxInFlight: 0',
      'windows:',
      '  - days: [Mon, Funday]',
      '    start: "9:00"',
      '    end: "17:00"',
      '    timeZone: America/Nowhere',
      'groups:',
      '  kops/nodes: { maxSurge: two, surge: 1 }',
      'rollout: fast',
      '',
    ].join('\n'),
  );
  const r = runCli(['plan', '--nodes', f.nodes, '--policy', bad]);
  assert.equal(r.status, 3);
  for (const line of [
    /bad\.yaml:1: maxNodeAge: expected a duration like 20m, 12h or 14d, got 365/,
    /bad\.yaml:4: maxInFlight: expected a whole number ≥ 1, got 0/,
    /bad\.yaml:6: windows\[0\]\.days: .*got "Funday"/,
    /bad\.yaml:7: windows\[0\]\.start: expected a local time "HH:MM"/,
    /bad\.yaml:9: windows\[0\]\.timeZone: expected an IANA time zone/,
    /bad\.yaml:11: groups\.kops\/nodes\.maxSurge: expected a whole number ≥ 0 or a percentage/,
    /bad\.yaml:11: groups\.kops\/nodes\.surge: unknown key/,
    /bad\.yaml:12: rollout: unknown key \(expected one of: maxNodeAge, margin, horizon, perNode, maxInFlight, windows, groups\)/,
  ])
    assert.match(r.stderr, line);
  const long = join(f.dir, 'long.yaml');
  writeFileSync(
    long,
    'perNode: 9h\nwindows:\n  - { days: [Sat], start: "00:00", end: "08:00", timeZone: UTC }\n',
  );
  const l = runCli(['plan', '--nodes', f.nodes, '--policy', long]);
  assert.equal(l.status, 3);
  assert.match(l.stderr, /long\.yaml:1: perNode: "9h" is longer than the longest window \(480m\)/);
});

test('scan files: the node named on the command line or read from the kubelet client certificate', () => {
  const f = writeDoneWhenFleet();
  const nodes = join(f.dir, 'scanned.json');
  // test/golden/scan-kops.json is `certdrift scan -o json` of kops node i-0abc123def4567890.
  writeFileSync(
    nodes,
    JSON.stringify(
      nodeList([
        kopsNode('i-0abc123def4567890', 'nodes', daysFrom(AT, -100)),
        plainNode('metal-2', daysFrom(AT, -100)),
      ]),
    ),
  );
  const scan = join(REPO, 'test/golden/scan-kops.json');
  const r = plan([
    '--nodes',
    nodes,
    '--scan',
    scan,
    '--scan',
    `metal-2=${scan}`,
    '--at',
    AT.toISOString(),
  ]);
  assert.equal(r.status, 0);
  const kops = r.doc.schedule.find((x) => x.node === 'i-0abc123def4567890');
  assert.equal(kops?.deadlineSource, 'scan');
  assert.equal(kops.deadline, '2027-02-03T12:00:00.000Z');
  assert.equal(
    r.doc.schedule.find((x) => x.node === 'metal-2')?.deadline,
    '2027-02-03T12:00:00.000Z',
  );
  // A report for a node the list does not have is a stated problem, not silence.
  const reports = join(f.dir, 'stray.json');
  writeFileSync(reports, JSON.stringify(nodeList([report('gone-node', daysFrom(AT, 30), AT)])));
  const s = plan(['--nodes', nodes, '--reports', reports, '--at', AT.toISOString()]);
  assert.match(JSON.stringify(s.doc.problems), /gone-node.*not in the node list/);
});

test('a scan without a kubelet client certificate is of the node `scan --node-name` recorded', () => {
  const f = writeDoneWhenFleet();
  const nodes = join(f.dir, 'recorded.json');
  writeFileSync(nodes, JSON.stringify(nodeList([plainNode('metal-3', daysFrom(AT, -100))])));
  const golden = JSON.parse(readFileSync(join(REPO, 'test/golden/scan-kops.json'), 'utf8')) as {
    nodeName: string;
    certificates: { component: string }[];
  };
  const scan = join(f.dir, 'metal-3.json');
  writeFileSync(
    scan,
    JSON.stringify({
      ...golden,
      nodeName: 'metal-3',
      certificates: golden.certificates.filter((c) => c.component !== 'kubelet-client'),
    }),
  );
  const r = plan(['--nodes', nodes, '--scan', scan, '--at', AT.toISOString()]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  const row = r.doc.schedule.find((x) => x.node === 'metal-3');
  assert.equal(row?.deadlineSource, 'scan');
  assert.equal(row.deadline, '2027-02-03T12:00:00.000Z');
});

test('--nodes given a report list (or a scan) is a mistake named with its flag, exit 3', () => {
  const f = writeDoneWhenFleet();
  const reports = join(f.dir, 'reports-as-nodes.json');
  writeFileSync(
    reports,
    JSON.stringify({ ...nodeList([report('n-1', daysFrom(AT, 30), AT)]), kind: 'List' }),
  );
  const r = runCli(['plan', '--nodes', reports, '--at', AT.toISOString()]);
  assert.equal(r.status, 3, r.stdout);
  assert.match(
    r.stderr,
    /reports-as-nodes\.json: not a list of Nodes \(kind "NodeCertificateReport"\): --nodes takes `kubectl get nodes -o json`; give this file as --reports/,
  );
  const s = runCli([
    'plan',
    '--nodes',
    join(REPO, 'test/golden/scan-kops.json'),
    '--at',
    AT.toISOString(),
  ]);
  assert.equal(s.status, 3);
  assert.match(s.stderr, /kind "NodeScan"\): .*give this file as --scan/);
  // an empty list is a fleet of none, not a mistake
  const empty = join(f.dir, 'empty.json');
  writeFileSync(empty, JSON.stringify(nodeList([])));
  assert.equal(runCli(['plan', '--nodes', empty, '--at', AT.toISOString()]).status, 0);
});

test('--kubernetes auto outside a pod and bad input exit 3', () => {
  const k = runCli(['plan', '--kubernetes', 'auto']);
  assert.equal(k.status, 3);
  assert.match(k.stderr, /not running in a pod/);
  assert.equal(runCli(['plan', '--kubernetes', 'auto', '--nodes', 'n.json']).status, 3);
  const none = runCli(['plan']);
  assert.equal(none.status, 3);
  assert.match(none.stderr, /--nodes FILE/);
  const f = writeDoneWhenFleet();
  const junk = join(f.dir, 'junk.json');
  writeFileSync(junk, '{"kind": "Pod"}');
  const j = runCli(['plan', '--nodes', junk]);
  assert.equal(j.status, 3);
  assert.match(j.stderr, /expected a v1 List of Nodes/);
  assert.equal(runCli(['plan', '--nodes', join(f.dir, 'missing.json')]).status, 3);
  assert.equal(runCli(['plan', '--nodes', f.nodes, '--at', 'yesterday']).status, 3);
});
