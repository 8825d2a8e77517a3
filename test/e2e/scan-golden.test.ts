// `-o json` and the table are public output: pinned by golden files. Certificates are issued
// deterministically (seeded Ed25519, fixed dates), so fingerprints and serials are real values.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildKopsNode, buildKubeadmNode, NOW, type BuiltNode } from '../support/nodes.js';
import { assertGolden } from '../support/golden.js';
import { runCli, type CliResult } from '../support/scan.js';

let kops: BuiltNode;
let kubeadm: BuiltNode;
before(async () => {
  kops = await buildKopsNode();
  kubeadm = await buildKubeadmNode();
});
after(() => {
  kops.tree.remove();
  kubeadm.tree.remove();
});

const scrub = (out: string, root: string): string => out.split(root).join('<host-root>');
/** Golden output must not depend on this machine's containers: the file scan only. */
const scan = (root: string, ...args: string[]): CliResult =>
  runCli([
    'scan',
    '--runtime-endpoint',
    'none',
    '--node-name',
    'golden-node',
    '--no-probe',
    '--host-root',
    root,
    ...args,
  ]);

test('kops node: JSON', () => {
  const res = scan(kops.tree.root, '--at', NOW.toISOString(), '-o', 'json');
  assert.equal(res.status, 0, res.stderr);
  assertGolden('scan-kops.json', scrub(res.stdout, kops.tree.root));
});

test('kops node: table, no colour when not a terminal', () => {
  const res = scan(kops.tree.root, '--at', NOW.toISOString());
  assert.equal(res.status, 0, res.stderr);
  assert.doesNotMatch(res.stdout, /\x1b\[/);
  assertGolden('scan-kops.txt', scrub(res.stdout, kops.tree.root));
});

test('kubeadm node: JSON, as of a date when leaves are close to expiry', () => {
  const res = scan(kubeadm.tree.root, '--at', '2027-05-05T12:00:00Z', '-o', 'json');
  assert.equal(res.status, 2, res.stderr);
  assertGolden('scan-kubeadm.json', scrub(res.stdout, kubeadm.tree.root));
});

test('YAML output carries the same document', () => {
  const json = scan(kops.tree.root, '--at', NOW.toISOString(), '-o', 'json');
  const yaml = scan(kops.tree.root, '--at', NOW.toISOString(), '-o', 'yaml');
  assert.match(
    yaml.stdout,
    /^apiVersion: certdrift.io\/v1alpha1\nkind: NodeScan\nschemaVersion: 1\n/,
  );
  const doc = JSON.parse(json.stdout) as { certificates: { fingerprintSha256: string }[] };
  for (const c of doc.certificates) assert.ok(yaml.stdout.includes(c.fingerprintSha256));
});

test('--color always paints statuses', () => {
  const res = scan(kops.tree.root, '--at', NOW.toISOString(), '--color', 'always');
  assert.match(res.stdout, /\x1b\[32mok\x1b\[39m/);
});
