// --warn-ratio / --critical-ratio through the real CLI, next to the day thresholds: on a kops node
// 400 days into its ~472-day certificates (about 15 % left, 70 days) the day thresholds say ok
// and the share says warning, or critical; the JSON document and the table say which thresholds
// were in force; bad values are refused with the flag (or variable) named and exit code 3.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildKopsNode, NOW, type BuiltNode } from '../support/nodes.js';
import { runCli, type CliResult } from '../support/scan.js';

let kops: BuiltNode;
before(async () => {
  kops = await buildKopsNode();
});
after(() => {
  kops.tree.remove();
});

const scan = (args: string[], env: Record<string, string> = {}): CliResult =>
  runCli(
    [
      'scan',
      '--runtime-endpoint',
      'none',
      '--no-probe',
      '--host-root',
      kops.tree.root,
      '--at',
      NOW.toISOString(),
      ...args,
    ],
    { env },
  );

interface Doc {
  thresholds: Record<string, number>;
  summary: { byStatus: Record<string, number>; exitCode: number };
  certificates: { component: string; status: string }[];
  findings: { code: string; severity: string; title: string; evidence: Record<string, string> }[];
  node: { replaceBy: string };
}
const statuses = (d: Doc): string[] =>
  d.certificates.map((c) => `${c.component} ${c.status}`).sort();

test('days alone: 70 days left is ok', () => {
  const res = scan(['-o', 'json']);
  assert.equal(res.status, 0, res.stderr);
  const d = JSON.parse(res.stdout) as Doc;
  assert.deepEqual(d.thresholds, { warningDays: 30, criticalDays: 7 });
  assert.equal(d.summary.byStatus.warning, 0);
});

test('--warn-ratio 0.33: less than a third of the lifetime left is warning, the CA is not', () => {
  const res = scan(['--warn-ratio', '0.33', '-o', 'json']);
  assert.equal(res.status, 1, res.stderr);
  const d = JSON.parse(res.stdout) as Doc;
  assert.deepEqual(d.thresholds, { warningDays: 30, criticalDays: 7, warningRatio: 0.33 });
  assert.deepEqual(statuses(d), [
    'ca ok',
    'ca ok',
    'ca ok',
    'kube-proxy warning',
    'kubelet-client warning',
    'kubelet-serving warning',
  ]);
  const proxy = d.findings.find((f) => f.code === 'CERT_EXPIRING' && /kube-proxy/.test(f.title));
  assert.equal(proxy?.evidence.lifetimeLeft, '14.8%');
  assert.match(proxy.title, /expires in 70\.0 days \(14\.8% of its lifetime left\)/);
  // kops: the node is due for replacement once a third of its certificates' life is left
  // (deadline 2027-02-03 minus a third of 472 days), long before deadline − 30 days
  assert.ok(d.findings.some((f) => f.code === 'NODE_REPLACEMENT_DUE' && f.severity === 'warning'));
  assert.ok(d.node.replaceBy < NOW.toISOString(), d.node.replaceBy);
});

test('--critical-ratio from CERTDRIFT_CRITICAL_RATIO: 14.8 % left is critical, 15.4 % warning', () => {
  const res = scan(['--warn-ratio', '0.33', '-o', 'json'], { CERTDRIFT_CRITICAL_RATIO: '0.15' });
  assert.equal(res.status, 2, res.stderr);
  const d = JSON.parse(res.stdout) as Doc;
  assert.deepEqual(statuses(d).slice(3), [
    'kube-proxy critical',
    'kubelet-client warning',
    'kubelet-serving warning',
  ]);
});

test('the table says which thresholds are in force', () => {
  const res = scan(['--warn-ratio', '0.33', '--critical-ratio', '0.1']);
  assert.equal(res.status, 1, res.stderr);
  assert.match(
    res.stdout,
    /warning < 30d or < 33% of lifetime left, critical < 7d or < 10% of lifetime left/,
  );
  assert.match(scan([]).stdout, /warning < 30d, critical < 7d\n/);
});

test('bad ratios are refused, naming the flag or variable, exit 3', () => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [
      ['--warn-ratio', '1.5'],
      {},
      /--warn-ratio \(warning ratio\): expected a fraction of the lifetime greater than 0 and less than 1 .*got "1.5"/,
    ],
    [
      ['--critical-ratio', '0'],
      {},
      /--critical-ratio( \(critical ratio\))?: expected a fraction .*got "0"/,
    ],
    [['--warn-ratio', 'third'], {}, /--warn-ratio \(warning ratio\).*got "third"/],
    [[], { CERTDRIFT_WARN_RATIO: '33' }, /CERTDRIFT_WARN_RATIO \(warning ratio\).*got "33"/],
    [
      ['--warn-ratio', '0.1', '--critical-ratio', '0.2'],
      {},
      /--critical-ratio \(0.2\) must not exceed --warn-ratio \(0.1\)/,
    ],
  ];
  for (const [args, env, re] of cases) {
    const res = scan(args, env);
    assert.equal(res.status, 3, `${args.join(' ')}: ${res.stderr}`);
    assert.match(res.stderr, re);
  }
});

test('scan, agent and fleet document the flags in --help', () => {
  for (const cmd of ['scan', 'agent', 'fleet']) {
    const res = runCli([cmd, '--help']);
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /--warn-ratio FRACTION/, cmd);
    assert.match(res.stdout, /--critical-ratio FRACTION/, cmd);
    assert.match(res.stdout, /CERTDRIFT_WARN_RATIO/, cmd);
  }
});
