// No control character from the data reaches the terminal: escape sequences and newlines put in
// file names, certificate subjects and SANs, kubeconfig entry names and manifest names come out
// as visible escapes (`\x1b`) in scan, audit and fix text output; JSON keeps the exact values.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { daysFrom, issue } from '../support/certs.js';
import { kubeconfig } from '../support/kubeconfig.js';
import { NOW } from '../support/nodes.js';
import { BIN, runCli } from '../support/scan.js';
import { HostTree } from '../support/tree.js';
import { escapeTerminal } from '../../src/model/escape.js';

const ESC_TITLE = '\x1b]0;pwned\x07';
const CLEAR = '\x1b[2J\x1b[H';
/** Anything a terminal would act on: C0 but newline, DEL, C1, bidi overrides. */
const RAW = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

function assertClean(out: string, what: string): void {
  const m = RAW.exec(out);
  assert.equal(m, null, `${what}: raw ${JSON.stringify(m?.[0])} at ${m?.index ?? -1}`);
}

test('escapeTerminal: C0, DEL, C1, bidi controls and the backslash become visible escapes; text stays', () => {
  assert.equal(
    escapeTerminal(`a${CLEAR}b\nc\td\x7fe\x9bf\u202eg\u061c\\ é 证`),
    'a\\x1b[2J\\x1b[Hb\\x0ac\\x09d\\x7fe\\x9bf\\u{202e}g\\u{61c}\\\\ é 证',
  );
});

test('scan: escapes in a file name, a subject, SANs and a kubeconfig user name never reach the terminal', async () => {
  const tree = new HostTree('certdrift-ansi-');
  const cert = await issue({
    cn: `evil${CLEAR}cn`,
    notBefore: daysFrom(NOW, -10),
    notAfter: daysFrom(NOW, 5),
    sans: [`DNS:san${ESC_TITLE}.example`],
  });
  tree.write(`/certs/a${ESC_TITLE}\nsplit.crt`, cert.pem);
  tree.write(
    '/certs/kube.kubeconfig',
    kubeconfig({ user: '"kc\\e[31mred\\nline"', cert, ca: cert }),
  );
  const args = [
    'scan',
    '--host-root',
    tree.root,
    '--preset',
    'none',
    '--path',
    '/certs/**',
    '--runtime-endpoint',
    'none',
  ];
  const table = runCli(args);
  assert.ok(table.status >= 1 && table.status <= 2, table.stderr);
  assertClean(table.stdout, 'scan table');
  assertClean(table.stderr, 'scan stderr');
  assert.match(table.stdout, /evil\\x1b\[2J\\x1b\[Hcn/);
  assert.match(table.stdout, /a\\x1b\]0;pwned\\x07\\x0asplit\.crt/);
  assert.match(table.stdout, /kc\\x1b\[31mred\\x0aline/);
  // JSON is for programs: the exact values, escaped by JSON itself.
  const json = runCli([...args, '-o', 'json']);
  const doc = JSON.parse(json.stdout) as { certificates: { path: string; commonName: string }[] };
  assert.ok(doc.certificates.some((c) => c.commonName === `evil${CLEAR}cn`));
  assert.ok(doc.certificates.some((c) => c.path.endsWith(`a${ESC_TITLE}\nsplit.crt`)));
});

test('audit and fix: escapes in manifest names and file names are shown escaped', () => {
  const tree = new HostTree('certdrift-ansi-audit-');
  const manifest = `kind: Pod
metadata:
  name: "kp\\e]0;pwned\\a"
spec:
  containers:
  - name: "c\\e[2J"
    volumeMounts:
    - name: kc
      mountPath: /var/lib/kube-proxy/kubeconfig
  volumes:
  - name: kc
    hostPath:
      path: /var/lib/kube-proxy/kubeconfig
`;
  const file = tree.write(`/etc/kubernetes/manifests/x${CLEAR}\n.yaml`, manifest);
  tree.write('/var/lib/kube-proxy/kubeconfig', 'x');
  const audit = runCli(['audit', file, '--color', 'always']);
  assert.equal(audit.status, 2, audit.stderr);
  // Our own colours are the only escapes left: remove them, then nothing raw may remain.
  const visible = audit.stdout.replace(/\x1b\[(1|2|22|31|32|33|39)m/g, '');
  assertClean(visible, 'audit table');
  assert.match(visible, /kp\\x1b\]0;pwned\\x07/);
  assert.match(visible, /x\\x1b\[2J\\x1b\[H\\x0a\.yaml/);
  const stdin = spawnSync(process.execPath, [BIN, 'audit', '-'], {
    input: manifest,
    encoding: 'utf8',
  });
  assertClean(stdin.stdout, 'audit from stdin');
  const fix = runCli([
    'fix',
    '--host-root',
    tree.root,
    '--preset',
    'none',
    '--runtime-endpoint',
    'none',
  ]);
  assert.equal(fix.status, 1, fix.stderr);
  assertClean(fix.stdout, 'fix plan');
  assert.match(fix.stdout, /x\\x1b\[2J\\x1b\[H\\x0a\.yaml/);
});
