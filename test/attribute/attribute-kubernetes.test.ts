// `certdrift attribute --kubernetes KUBECONFIG` against the real control plane (RBAC and the CRD
// from the rendered deploy/base, applied for real): agents publish their reports — each with its node's ledger — with
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

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
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
import { unique } from '../support/control-plane/index.js';
import { runCliAsync } from '../support/scan.js';
import { compare, container, fileView, mount } from '../support/workloads.js';
import { startCluster, testNode, type ClusterLab } from '../cluster/setup.js';
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
let certs: Certs;
let dir = '';
let oncall: { cert: string; key: string };
/** this run's Nodes: the cluster is shared */
const run = unique('attr');
const ONCALL = `oncall-${run}`;
const NODE = { stale: `${run}-stale`, reload: `${run}-reload`, quiet: `${run}-quiet` };

async function publish(t: TestContext, node: string, ledger: Ledger, at: Date): Promise<void> {
  await testNode(lab.cp, t, { kubelet: false, name: node });
  const spec = statusSpec([], at, node);
  await publishNodeStatus(
    lab.client(),
    node,
    { ...spec, report: { ...spec.report, ledger: publishedLedger(ledger) } },
    at,
  );
}

function kubeconfig(user: { token: string } | { cert: string; key: string }, name: string): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: emu\n  cluster:\n    server: ${lab.cp.url}\n    certificate-authority-data: ${Buffer.from(lab.cp.ca).toString('base64')}`,
      'users:',
      'token' in user
        ? `- name: u\n  user:\n    token: ${user.token}`
        : `- name: u\n  user:\n    client-certificate: ${user.cert}\n    client-key: ${user.key}`,
      'contexts:',
      '- name: emu\n  context:\n    cluster: emu\n    user: u',
      'current-context: emu',
      '',
    ].join('\n'),
  );
  return file;
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

/** Certificates, reports published by the agents, the log; false when the test skipped. */
async function setUp(t: TestContext): Promise<boolean> {
  const started = await startCluster(t, { kubelet: false });
  if (!started) return false;
  lab = started;
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
  // The on-call user may read reports: the documented binding of the shipped certdrift-reader
  // (kubectl create clusterrolebinding … --clusterrole=certdrift-reader --user=oncall).
  const reader = lab.installed.renamed.get('ClusterRole//certdrift-reader');
  assert.ok(reader);
  const binding = `${reader}-oncall`;
  await lab.cp.admin.create('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: binding },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: reader },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: ONCALL }],
  });
  t.after(() =>
    lab.cp.admin.request(
      'DELETE',
      `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${binding}`,
    ),
  );
  oncall = lab.cp.userCert(ONCALL);

  // node-stale: kube-proxy's single-file mount still shows the certificate replaced on disk
  const stale = updateLedger(
    null,
    scanOf(certs.staleNew, certs.staleOld, 'file', ago(2 * D), ago(10 * D)),
    NODE.stale,
    ago(5 * 60_000),
  );
  await publish(t, NODE.stale, stale, ago(5 * 60_000));
  // node-reload: the file was renewed a day ago; kube-proxy (started 10 days ago) loads once
  let reload = updateLedger(
    null,
    scanOf(certs.reloadOld, certs.reloadOld, 'dir', ago(30 * D), ago(10 * D)),
    NODE.reload,
    ago(2 * D),
  );
  reload = updateLedger(
    reload,
    scanOf(certs.reloadNew, certs.reloadNew, 'dir', ago(1 * D), ago(10 * D)),
    NODE.reload,
    ago(5 * 60_000),
  );
  await publish(t, NODE.reload, reload, ago(5 * 60_000));
  // node-quiet: its agent stopped three hours ago
  const quiet = updateLedger(
    null,
    scanOf(certs.reloadNew, certs.reloadNew, 'dir', ago(30 * D), ago(1 * D)),
    NODE.quiet,
    ago(3 * H),
  );
  await publish(t, NODE.quiet, quiet, ago(3 * H));

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
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return true;
}

const hexOf = (c: Issued): string => facts(c).serial.replace(/^0+/, '');

async function namedFromReports(): Promise<void> {
  const mark = lab.cp.auditMark();
  const r = await runCliAsync([
    'attribute',
    '--log',
    join(dir, 'apiserver.log'),
    '--kubernetes',
    kubeconfig(oncall, 'oncall.kubeconfig'),
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
  assert.equal(stale.node, NODE.stale);
  assert.equal(stale.component, 'kube-proxy');
  assert.equal(stale.cause?.code, 'stale-single-file-mount');
  assert.equal(stale.places[0]?.residence, 'container-view');
  assert.equal(stale.match, 'serial+key-ids');

  const reload = row(hexOf(certs.reloadOld));
  assert.ok(reload?.attributed);
  assert.equal(reload.node, NODE.reload);
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
  assert.equal(collide.otherCa?.[0]?.node, NODE.stale);
  assert.match(collide.identify ?? '', /another CA/);

  // the quiet node's report is stale: said, and still used
  assert.ok(
    doc.knowledge.problems.some((p) => p.includes(NODE.quiet) && /last scan 3 hours ago/.test(p)),
    doc.knowledge.problems.join('\n'),
  );
  assert.match(r.stderr, new RegExp(`warning: .*${NODE.quiet}`));
  // the reader only listed reports
  const calls = await lab.cp.audit(ONCALL, mark);
  assert.deepEqual(
    [...new Set(calls.map((q) => `${q.verb} ${q.objectRef?.resource} ${q.responseStatus?.code}`))],
    ['list nodecertificatereports 200'],
  );
}

async function table(t: TestContext): Promise<void> {
  const r = await runCliAsync([
    'attribute',
    '--log',
    join(dir, 'apiserver.log'),
    '--kubernetes',
    kubeconfig(oncall, 'oncall-table.kubeconfig'),
    '--year',
    String(NOW.getUTCFullYear()),
  ]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(
    r.stdout,
    new RegExp(`${NODE.stale}\\s+kube-proxy\\s+container view\\s+stale-single-file-mount`),
  );
  assert.match(
    r.stdout,
    new RegExp(`${NODE.reload}\\s+kube-proxy\\s+process memory\\s+not-reloaded`),
  );
  assert.match(r.stdout, new RegExp(`not this one: ${NODE.stale} kube-proxy`));
  assert.match(r.stdout, /4 failing certificates \(5 failures\) · 2 attributed · 2 unattributed/);
  t.diagnostic(`\n${r.stdout}`);
}

async function agentRefused(): Promise<void> {
  const sa = await lab.rotate();
  const r = await runCliAsync([
    'attribute',
    '--log',
    join(dir, 'apiserver.log'),
    '--kubernetes',
    kubeconfig({ token: sa }, 'agent.kubeconfig'),
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
}

test('attribute --kubernetes on the real control plane', async (t) => {
  if (!(await setUp(t))) return;
  await t.test('every failing certificate named from the reports alone', namedFromReports);
  await t.test('with the table: the lines an operator reads', table);
  await t.test(
    'the agent’s own token may not list reports: the run says which role is missing',
    agentRefused,
  );
});

test('--kubernetes auto outside a pod is an operational error', async () => {
  const r = await runCliAsync(['attribute', '--log', '-', '--kubernetes', 'auto']);
  assert.equal(r.status, 3);
  assert.match(r.stderr, /not running in a pod/);
});
