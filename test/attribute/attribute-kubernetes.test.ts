// `certdrift attribute --kubernetes KUBECONFIG` against the API emulation (RBAC and the CRD from
// the rendered deploy/base): agents publish their reports — each with its node's ledger — with
// the agent's own service account; an on-call user bound to the shipped certdrift-reader
// ClusterRole runs the real CLI on an API-server log and gets, without any --scan file:
//  - a kube-proxy whose container still sees the old certificate (stale single-file mount),
//  - a kube-proxy that loaded its certificate before the rotation (not reloaded: only the
//    ledger knows the serial it holds),
//  - an unknown serial → unattributed,
//  - a serial that exists on a node but from another CA (AKID differs) → not blamed on it,
//  - a report its agent stopped updating → said as a warning.
// The agent's own token may not list reports: the same run then says which role is missing.
// Certificates are issued at test time (with key identifiers, as kubeadm's and kops' are).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCertificateDer } from '../../src/certs/x509.js';
import { publishNodeStatus } from '../../src/adapters/kube/publish.js';
import { publishedLedger } from '../../src/ledger/publish-ledger.js';
import type { Ledger } from '../../src/ledger/types.js';
import { updateLedger } from '../../src/ledger/update-ledger.js';
import type { CertFacts, CertSummary, Inventory } from '../../src/model/index.js';
import { issue, type Issued } from '../support/certs.js';
import { cert, inventory } from '../support/inventory.js';
import { haveKubectl, renderDeploy, type Manifest } from '../support/kube-emulator/index.js';
import { BIN } from '../support/scan.js';
import { compare, container, fileView, mount } from '../support/workloads.js';
import { needKubectl, startCluster, type ClusterLab } from '../cluster/setup.js';
import { statusSpec } from '../cluster/spec.js';

const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);
const ago = (ms: number): Date => new Date(NOW.getTime() - ms);
const H = 3_600_000;
const D = 24 * H;
const KP = '/var/lib/kube-proxy/kubeconfig';

interface Certs {
  ca: Issued;
  otherCa: Issued;
  staleOld: Issued;
  staleNew: Issued;
  reloadOld: Issued;
  reloadNew: Issued;
  collide: Issued;
}

const facts = (c: Issued): CertFacts => {
  const r = parseCertificateDer(c.der);
  assert.ok(r.ok);
  return r.facts;
};

const summary = (c: Issued): CertSummary => {
  const f = facts(c);
  return {
    subject: f.subject,
    serial: f.serial,
    notBefore: f.notBefore,
    notAfter: f.notAfter,
    fingerprintSha256: f.fingerprintSha256,
    isCA: false,
    ...(f.subjectKeyId !== undefined ? { subjectKeyId: f.subjectKeyId } : {}),
    ...(f.authorityKeyId !== undefined ? { authorityKeyId: f.authorityKeyId } : {}),
  };
};

/** A node scan: the kubeconfig on disk holds `onDisk`; kube-proxy sees `seen` through `kind`. */
function scanOf(
  onDisk: Issued,
  seen: Issued,
  kind: 'file' | 'dir',
  ctime: Date,
  startedAt: Date,
): Inventory {
  const inv = inventory([cert({ ...facts(onDisk), path: KP, component: 'kube-proxy' })]);
  const view = (c: Issued): ReturnType<typeof fileView> => ({
    ...fileView({ ctime, sha256: c.fingerprint }),
    certificates: [summary(c)],
  });
  inv.workloads = [
    container({
      id: (kind === 'file' ? 'a' : 'b').repeat(64),
      component: 'kube-proxy',
      startedAt,
      mounts: [mount({ kind, files: [compare(view(onDisk), view(seen))] })],
    }),
  ];
  return inv;
}

let lab: ClusterLab;
let started = false;
let certs: Certs;
let dir = '';

async function publish(node: string, ledger: Ledger, at: Date): Promise<void> {
  lab.emu.seed('', 'nodes', { metadata: { name: node }, status: { conditions: [] } });
  const spec = statusSpec([], at, node);
  await publishNodeStatus(
    lab.client(),
    node,
    { ...spec, report: { ...spec.report, ledger: publishedLedger(ledger) } },
    at,
  );
}

function kubeconfig(token: string, name: string): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: emu\n  cluster:\n    server: ${lab.emu.url}\n    certificate-authority-data: ${Buffer.from(lab.emu.ca.pem).toString('base64')}`,
      'users:',
      `- name: u\n  user:\n    token: ${token}`,
      'contexts:',
      '- name: emu\n  context:\n    cluster: emu\n    user: u',
      'current-context: emu',
      '',
    ].join('\n'),
  );
  return file;
}

function runCli(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status: status ?? -1, stdout, stderr }));
  });
}

const rfc3339 = (d: Date): string => d.toISOString().replace('.000Z', 'Z');

/** kube-apiserver's line for a failing client certificate (1.21+ structured klog text). */
function failure(c: { serial: bigint; skid: string; akid: string; notAfter: Date }): string {
  const at = ago(60_000);
  const hhmmss = at.toISOString().slice(11, 19);
  const mmdd = at.toISOString().slice(5, 10).replace('-', '');
  const x509 = `x509: certificate has expired or is not yet valid: current time ${rfc3339(at)} is after ${rfc3339(c.notAfter)}`;
  return `E${mmdd} ${hhmmss}.000000       1 authentication.go:73] "Unable to authenticate the request" err="[${x509}, verifying certificate SN=${c.serial}, SKID=${c.skid}, AKID=${c.akid} failed: ${x509}]"`;
}

const logged = (c: Issued): Parameters<typeof failure>[0] => {
  const f = facts(c);
  return {
    serial: BigInt(`0x${f.serial}`),
    skid: f.subjectKeyId ?? '',
    akid: f.authorityKeyId ?? '',
    notAfter: f.notAfter,
  };
};

interface Row {
  serialHex?: string;
  attributed: boolean;
  node?: string;
  component?: string;
  match?: string;
  places: { residence: string; node: string }[];
  cause?: { code: string };
  identify?: string;
  otherCa?: { node: string }[];
}

before(async () => {
  if (!haveKubectl()) return;
  dir = mkdtempSync(join(tmpdir(), 'certdrift-attr-k8s-'));
  const mk = (cn: string, o: Partial<Parameters<typeof issue>[0]>): Promise<Issued> =>
    issue({
      cn,
      notBefore: ago(400 * D),
      notAfter: new Date(NOW.getTime() + 3000 * D),
      keyIds: true,
      ...o,
    });
  const ca = await mk('kubernetes-ca', { isCA: true });
  const otherCa = await mk('etcd-ca', { isCA: true });
  const client = (serial: string, expired: boolean, issuer = ca): Promise<Issued> =>
    mk('system:kube-proxy', {
      issuer,
      serial,
      eku: ['clientAuth'],
      notAfter: expired ? ago(2 * H) : new Date(NOW.getTime() + 365 * D),
      seed: `kube-proxy-${serial}`,
    });
  certs = {
    ca,
    otherCa,
    staleOld: await client('0a11', true),
    staleNew: await client('0b22', false),
    reloadOld: await client('0c33', true),
    reloadNew: await client('0d44', false),
    // the same serial as staleNew, issued by another CA
    collide: await client('0b22', true, otherCa),
  };
  // The on-call user may read reports: the documented binding of the shipped certdrift-reader.
  const binding: Manifest = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'certdrift-reader-oncall' },
    roleRef: {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'certdrift-reader',
    },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'oncall' }],
  };
  lab = await startCluster({ manifests: [...renderDeploy('base'), binding] });
  started = true;

  // node-stale: kube-proxy's single-file mount still shows the certificate replaced on disk
  const stale = updateLedger(
    null,
    scanOf(certs.staleNew, certs.staleOld, 'file', ago(2 * D), ago(10 * D)),
    'node-stale',
    ago(5 * 60_000),
  );
  await publish('node-stale', stale, ago(5 * 60_000));
  // node-reload: the file was renewed a day ago; kube-proxy (started 10 days ago) loads once
  let reload = updateLedger(
    null,
    scanOf(certs.reloadOld, certs.reloadOld, 'dir', ago(30 * D), ago(10 * D)),
    'node-reload',
    ago(2 * D),
  );
  reload = updateLedger(
    reload,
    scanOf(certs.reloadNew, certs.reloadNew, 'dir', ago(1 * D), ago(10 * D)),
    'node-reload',
    ago(5 * 60_000),
  );
  await publish('node-reload', reload, ago(5 * 60_000));
  // node-quiet: its agent stopped three hours ago
  const quiet = updateLedger(
    null,
    scanOf(certs.reloadNew, certs.reloadNew, 'dir', ago(30 * D), ago(1 * D)),
    'node-quiet',
    ago(3 * H),
  );
  await publish('node-quiet', quiet, ago(3 * H));

  writeFileSync(
    join(dir, 'apiserver.log'),
    [
      failure(logged(certs.staleOld)),
      failure(logged(certs.reloadOld)),
      failure(logged(certs.reloadOld)),
      failure({ ...logged(certs.reloadOld), serial: 0x0e55n }),
      failure(logged(certs.collide)),
      '',
    ].join('\n'),
  );
});

after(async () => {
  if (started) await lab.emu.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const hexOf = (c: Issued): string => facts(c).serial.replace(/^0+/, '');

test('attribute --kubernetes: every failing certificate named from the reports alone', async (t) => {
  if (!needKubectl(t)) return;
  const reader = lab.emu.tokens.issueUser('oncall', ['system:authenticated'], 3600);
  const r = await runCli([
    'attribute',
    '--log',
    join(dir, 'apiserver.log'),
    '--kubernetes',
    kubeconfig(reader, 'oncall.kubeconfig'),
    '--year',
    String(NOW.getUTCFullYear()),
    '-o',
    'json',
  ]);
  assert.equal(r.status, 2, r.stderr);
  const doc = JSON.parse(r.stdout) as {
    knowledge: { sources: string[]; problems: string[] };
    certificates: Row[];
  };
  const row = (hex: string, akidOf?: Issued): Row | undefined =>
    doc.certificates.find(
      (c) =>
        c.serialHex === hex &&
        (akidOf === undefined || (c as { akid?: string }).akid === facts(akidOf).authorityKeyId),
    );
  assert.match(doc.knowledge.sources.join(), /kubernetes .*oncall\.kubeconfig/);

  const stale = row(hexOf(certs.staleOld));
  assert.ok(stale?.attributed, JSON.stringify(doc, null, 1));
  assert.equal(stale.node, 'node-stale');
  assert.equal(stale.component, 'kube-proxy');
  assert.equal(stale.cause?.code, 'stale-single-file-mount');
  assert.equal(stale.places[0]?.residence, 'container-view');
  assert.equal(stale.match, 'serial+key-ids');

  const reload = row(hexOf(certs.reloadOld));
  assert.ok(reload?.attributed);
  assert.equal(reload.node, 'node-reload');
  assert.equal(reload.component, 'kube-proxy');
  assert.equal(reload.cause?.code, 'not-reloaded', 'known only through the ledger');
  assert.equal(reload.places[0]?.residence, 'process-memory');

  const unknown = row('E55');
  assert.ok(unknown && !unknown.attributed);
  assert.equal(unknown.node, undefined);
  assert.match(unknown.identify ?? '', /sourceIPs/);

  // serial 0B22 is node-stale's current kube-proxy certificate — but the failing one has
  // another CA's AKID: not blamed on node-stale
  const collide = row(hexOf(certs.collide), certs.otherCa);
  assert.ok(collide && !collide.attributed, JSON.stringify(collide));
  assert.equal(collide.otherCa?.[0]?.node, 'node-stale');
  assert.match(collide.identify ?? '', /another CA/);

  // the quiet node's report is stale: said, and still used
  assert.ok(
    doc.knowledge.problems.some((p) => /node-quiet.*last scan 3 hours ago/.test(p)),
    doc.knowledge.problems.join('\n'),
  );
  assert.match(r.stderr, /warning: .*node-quiet/);
  // the reader only listed reports
  const calls = lab.emu.requests.filter((q) => q.user === 'oncall');
  assert.deepEqual(
    [...new Set(calls.map((q) => `${q.verb} ${q.resource} ${q.code}`))],
    ['list nodecertificatereports 200'],
  );
});

test('attribute --kubernetes with the table: the lines an operator reads', async (t) => {
  if (!needKubectl(t)) return;
  const reader = lab.emu.tokens.issueUser('oncall', ['system:authenticated'], 3600);
  const r = await runCli([
    'attribute',
    '--log',
    join(dir, 'apiserver.log'),
    '--kubernetes',
    kubeconfig(reader, 'oncall-table.kubeconfig'),
    '--year',
    String(NOW.getUTCFullYear()),
  ]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stdout, /node-stale\s+kube-proxy\s+container view\s+stale-single-file-mount/);
  assert.match(r.stdout, /node-reload\s+kube-proxy\s+process memory\s+not-reloaded/);
  assert.match(r.stdout, /not this one: node-stale kube-proxy/);
  assert.match(r.stdout, /4 failing certificates \(5 failures\) · 2 attributed · 2 unattributed/);
  t.diagnostic(`\n${r.stdout}`);
});

test('the agent’s own token may not list reports: the run says which role is missing', async (t) => {
  if (!needKubectl(t)) return;
  const sa = lab.emu.tokens.issue('certdrift', 'certdrift', 3600);
  const r = await runCli([
    'attribute',
    '--log',
    join(dir, 'apiserver.log'),
    '--kubernetes',
    kubeconfig(sa, 'agent.kubeconfig'),
    '--year',
    String(NOW.getUTCFullYear()),
    '-o',
    'json',
  ]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /403 .*cannot list resource "nodecertificatereports".*certdrift-reader/);
  const doc = JSON.parse(r.stdout) as { summary: { attributed: number; unattributed: number } };
  assert.deepEqual(doc.summary.attributed, 0);
  assert.equal(doc.summary.unattributed, 4);
});

test('--kubernetes auto outside a pod is an operational error', async () => {
  const r = await runCli(['attribute', '--log', '-', '--kubernetes', 'auto']);
  assert.equal(r.status, 3);
  assert.match(r.stderr, /not running in a pod/);
});
