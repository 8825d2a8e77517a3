// Bad input never stops a scan and never hides other certificates: each broken thing becomes an
// item error with its reason code, while every good certificate in the same run is reported.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { daysFrom, issue, type Issued } from '../support/certs.js';
import { kubeconfig } from '../support/kubeconfig.js';
import { NOW } from '../support/nodes.js';
import { runCli, runCliAs, scanTree } from '../support/scan.js';
import { HostTree } from '../support/tree.js';
import type { Inventory } from '../../src/model/index.js';
import { REASON_CODES } from '../../src/model/reasons.js';

const D = '/etc/kubernetes/pki';
let tree: HostTree;
let outside: string;
let good: Issued;
let good2: Issued;
let ca: Issued;
let inv: Inventory;

before(async () => {
  tree = new HostTree('certdrift-bad-');
  chmodSync(tree.root, 0o755);
  ca = await issue({
    cn: 'bad-test-ca',
    notBefore: daysFrom(NOW, -10),
    notAfter: daysFrom(NOW, 3000),
    isCA: true,
  });
  good = await issue({
    cn: 'good-one',
    notBefore: daysFrom(NOW, -10),
    notAfter: daysFrom(NOW, 300),
    issuer: ca,
  });
  good2 = await issue({
    cn: 'good-two',
    notBefore: daysFrom(NOW, -10),
    notAfter: daysFrom(NOW, 301),
    issuer: ca,
  });
  tree.write(`${D}/good.crt`, good.pem);
  tree.write(`${D}/empty.crt`, '');
  tree.write(`${D}/truncated.crt`, good.pem.slice(0, 200));
  tree.write(
    `${D}/random.crt`,
    Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7919 + 13) % 251)),
  );
  const broken = '-----BEGIN CERTIFICATE-----\n@@@ not base64 @@@\n-----END CERTIFICATE-----\n';
  const notACert = `-----BEGIN CERTIFICATE-----\n${Buffer.from('hello, I am not DER').toString('base64')}\n-----END CERTIFICATE-----\n`;
  tree.write(`${D}/mixed.pem`, good.pem + broken + good2.pem + notACert + good.keyPem);
  tree.write(
    '/etc/kubernetes/bad-yaml.conf',
    'apiVersion: v1\nclusters: [\n  - {name: x\nusers:\n',
  );
  tree.write(
    '/etc/kubernetes/invalid.conf',
    'apiVersion: v1\nkind: Config\nclusters: 5\nusers:\n- name: u\n  user: {}\n',
  );
  tree.write(
    '/etc/kubernetes/bad-b64.conf',
    kubeconfig({ ca, cert: good, user: 'u' }).replace(
      /client-certificate-data: \S+/,
      'client-certificate-data: not*base64*at*all',
    ),
  );
  tree.write(
    '/etc/kubernetes/ref-missing.conf',
    kubeconfig({ ca, cert: { file: '/srv/missing.crt' }, key: 'none', user: 'ghost' }),
  );
  tree.write(`${D}/huge.crt`, '');
  truncateSync(tree.abs(`${D}/huge.crt`), 5 * 1024 * 1024);
  tree.link(`${D}/dangling.crt`, '/does/not/exist.crt');
  tree.link(`${D}/loop-a.crt`, 'loop-b.crt');
  tree.link(`${D}/loop-b.crt`, 'loop-a.crt');
  // A link whose target exists on this machine but outside the host root must not escape it.
  outside = mkdtempSync(join(tmpdir(), 'certdrift-outside-'));
  const secret = await issue({
    cn: 'outside-the-root',
    notBefore: daysFrom(NOW, -1),
    notAfter: daysFrom(NOW, 30),
  });
  writeFileSync(join(outside, 'out.crt'), secret.pem);
  tree.link(`${D}/escape.crt`, join(outside, 'out.crt'));
  tree.link(`${D}/escape-rel.crt`, `../../../../../../../../../..${join(outside, 'out.crt')}`);
  execFileSync(
    'mkfifo',
    [tree.abs('/srv/fifo.crt')].map((p) => (tree.mkdir('/srv'), p)),
  );
  inv = await scanTree(tree.root, {
    paths: ['/srv/fifo.crt', '/srv/absent.crt'],
    maxFileSize: 1024 * 1024,
  });
});

after(() => {
  tree.remove();
  rmSync(outside, { recursive: true, force: true });
});

function reasonsAt(path: string): string[] {
  return inv.errors.filter((e) => e.path === path).map((e) => e.reason);
}

test('each kind of bad input has its reason code', () => {
  const cases: [string, string[]][] = [
    [`${D}/empty.crt`, ['empty']],
    [`${D}/truncated.crt`, ['pem_truncated']],
    [`${D}/random.crt`, ['unrecognized_format']],
    [`${D}/mixed.pem`, ['pem_bad_base64', 'cert_parse_error']],
    ['/etc/kubernetes/bad-yaml.conf', ['yaml_parse_error']],
    ['/etc/kubernetes/invalid.conf', ['kubeconfig_invalid']],
    ['/etc/kubernetes/bad-b64.conf', ['kubeconfig_bad_base64']],
    [`${D}/huge.crt`, ['too_large']],
    [`${D}/dangling.crt`, ['dangling_symlink']],
    [`${D}/loop-a.crt`, ['symlink_loop']],
    [`${D}/loop-b.crt`, ['symlink_loop']],
    [`${D}/escape.crt`, ['dangling_symlink']],
    [`${D}/escape-rel.crt`, ['dangling_symlink']],
    ['/srv/fifo.crt', ['not_regular_file']],
    ['/srv/absent.crt', ['not_found']],
  ];
  for (const [path, reasons] of cases)
    assert.deepEqual(reasonsAt(path).sort(), reasons.sort(), path);
  for (const e of inv.errors) {
    assert.ok(REASON_CODES.includes(e.reason), `documented reason ${e.reason}`);
    assert.ok(e.message.length > 0);
  }
  // A credential a kubeconfig names and that cannot be read is not an error row: something
  // needs it (CREDENTIAL_MISSING, below).
  assert.deepEqual(reasonsAt('/etc/kubernetes/ref-missing.conf'), []);
  assert.deepEqual(
    inv.missing.map((m) => [m.path, m.reason, m.namedIn]),
    [['/srv/missing.crt', 'not_found', '/etc/kubernetes/ref-missing.conf']],
  );
});

test('good certificates in the same run are all reported', () => {
  const seen = inv.certificates
    .map((c) => `${c.location.path}#${c.location.index}:${c.commonName}`)
    .sort();
  assert.deepEqual(seen, [
    '/etc/kubernetes/bad-b64.conf#0:bad-test-ca',
    '/etc/kubernetes/pki/good.crt#0:good-one',
    '/etc/kubernetes/pki/mixed.pem#0:good-one',
    '/etc/kubernetes/pki/mixed.pem#1:good-two',
    '/etc/kubernetes/ref-missing.conf#0:bad-test-ca',
  ]);
  assert.ok(
    !inv.certificates.some((c) => c.commonName === 'outside-the-root'),
    'never leaves the host root',
  );
  const mixed = inv.files.find((f) => f.path === `${D}/mixed.pem`);
  assert.equal(mixed?.privateKeys, 1);
});

test('the CLI reports the errors and still exits by the good certificates', () => {
  const res = runCli([
    'scan',
    '--host-root',
    tree.root,
    '--at',
    NOW.toISOString(),
    '--max-file-size',
    '1Mi',
    '-o',
    'json',
    // a temp tree is not this machine's node: other test files' lab containers are not its own
    '--runtime-endpoint',
    'none',
  ]);
  // Exit 2 comes from the one real problem — a kubeconfig naming a file that is not there — and
  // not from any of the broken files, which are error rows.
  assert.equal(res.status, 2, res.stderr);
  const doc = JSON.parse(res.stdout) as {
    summary: { certificates: number; errors: number };
    errors: { reason: string }[];
    findings: { code: string; severity: string; subject: string }[];
  };
  assert.equal(doc.summary.certificates, 5);
  assert.ok(doc.errors.some((e) => e.reason === 'too_large'));
  assert.deepEqual(
    doc.findings.filter((f) => f.severity === 'critical').map((f) => [f.code, f.subject]),
    [['CREDENTIAL_MISSING', '/srv/missing.crt']],
  );
  assert.doesNotMatch(res.stdout, /PRIVATE KEY|client-key-data/, 'no key material in the output');
});

test('unreadable files and directories are permission_denied', async () => {
  const t = new HostTree('certdrift-perm-');
  try {
    chmodSync(t.root, 0o755);
    t.write(`${D}/readable.crt`, good.pem);
    t.write(`${D}/secret.crt`, good2.pem, 0o600);
    t.write(`${D}/locked/inner.crt`, good2.pem);
    chmodSync(t.abs(`${D}/locked`), 0o700);
    chmodSync(t.abs('/etc'), 0o755);
    let doc: { certificates: { commonName: string }[]; errors: { path: string; reason: string }[] };
    if (process.getuid?.() === 0) {
      // Root reads everything: run the real CLI as nobody, the way a non-root agent would.
      const res = runCliAs(65534, [
        'scan',
        '--host-root',
        t.root,
        '-o',
        'json',
        '--runtime-endpoint',
        'none',
      ]);
      rmSync(res.cleanup, { recursive: true, force: true });
      assert.ok(res.status === 0 || res.status === 1, res.stderr);
      doc = JSON.parse(res.stdout) as typeof doc;
    } else {
      const i = await scanTree(t.root);
      doc = { certificates: i.certificates, errors: i.errors };
    }
    assert.deepEqual(
      doc.certificates.map((c) => c.commonName),
      ['good-one'],
    );
    const reasons = Object.fromEntries(doc.errors.map((e) => [e.path, e.reason]));
    assert.equal(reasons[`${D}/secret.crt`], 'permission_denied');
    assert.equal(reasons[`${D}/locked`], 'permission_denied');
  } finally {
    t.remove();
  }
});
