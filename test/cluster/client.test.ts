// The client's transport behaviour against the emulation: bounded retries with backoff that
// honour Retry-After, truncated and slow responses, the CA re-read when it changes, and the
// paginated lists (`limit`/`continue`) the plan and rotate commands read.

import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HttpCluster } from '../../src/adapters/kube/http-cluster.js';
import { KubeApi, retryDelayMs } from '../../src/adapters/kube/kube-api.js';
import { staticCredentials } from '../../src/adapters/kube/credentials.js';
import { ClusterError } from '../../src/model/cluster.js';
import { issue } from '../support/certs.js';
import { haveKubectl } from '../support/kube-emulator/index.js';
import { needKubectl, startCluster, type ClusterLab } from './setup.js';

let lab: ClusterLab;
before(async () => {
  if (haveKubectl()) lab = await startCluster();
});
after(async () => {
  if (haveKubectl()) await lab.emu.stop();
});
beforeEach(() => {
  if (!haveKubectl()) return;
  lab.emu.requests.length = 0;
  lab.emu.faults.clear();
  lab.sleeps.length = 0;
});

test('Retry-After is honoured; backoff doubles; retries are bounded', async (t) => {
  if (!needKubectl(t)) return;
  assert.deepEqual(
    [0, 1, 2, 10].map((n) => retryDelayMs(n, undefined)),
    [500, 1000, 2000, 30_000],
  );
  assert.equal(retryDelayMs(0, '7'), 7000);
  assert.equal(
    retryDelayMs(0, 'Wed, 21 Oct 2015 07:28:00 GMT'),
    500,
    'an HTTP date falls back to backoff',
  );
  const client = lab.client();
  lab.emu.faults.inject({ kind: 'status', code: 429, retryAfterSeconds: 2 }, 2);
  await client.getNode('n1');
  assert.deepEqual(lab.sleeps, [2000, 2000]);
  assert.deepEqual(
    lab.emu.requests.map((r) => r.code),
    [429, 429, 200],
  );
  lab.sleeps.length = 0;
  lab.emu.faults.inject({ kind: 'status', code: 504 }, 10);
  await assert.rejects(
    client.getNode('n1'),
    (e: unknown) => e instanceof ClusterError && e.status === 504,
  );
  assert.deepEqual(lab.sleeps, [500, 1000, 2000], 'four attempts, three waits');
});

test('a truncated body and a response slower than the timeout are retried, never half-parsed', async (t) => {
  if (!needKubectl(t)) return;
  const slowClient = new HttpCluster(
    new KubeApi(
      { ...lab.connection(), timeoutMs: 300 },
      { userAgent: 'certdrift/test', sleep: () => Promise.resolve() },
    ),
  );
  lab.emu.faults.inject({ kind: 'truncate' }, 1);
  lab.emu.faults.inject({ kind: 'slow', delayMs: 1500 }, 1);
  const n = await slowClient.getNode('n1');
  assert.equal(n.uid, lab.emu.find('', 'nodes', 'n1')?.metadata.uid);
  assert.equal(lab.emu.requests.length, 3);
});

test('the CA file is re-read when it changes', async (t) => {
  if (!needKubectl(t)) return;
  const other = await issue({
    cn: 'some-other-ca',
    isCA: true,
    key: 'p256',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
  });
  writeFileSync(join(lab.saDir, 'ca.crt'), other.pem);
  let clock = 0;
  const client = lab.client({ maxAttempts: 1 }, () => clock);
  await assert.rejects(
    client.getNode('n1'),
    (e: unknown) => e instanceof ClusterError && e.status === 0 && /certificate/.test(e.message),
  );
  writeFileSync(join(lab.saDir, 'ca.crt'), lab.emu.ca.pem);
  clock += 61_000;
  await client.getNode('n1');
});

test('listNodes and listNodeCertificateReports read every page; the agent itself may not list', async (t) => {
  if (!needKubectl(t)) return;
  for (let i = 2; i <= 8; i++)
    lab.emu.seed('', 'nodes', {
      metadata: {
        name: `n${i}`,
        labels: { 'kops.k8s.io/instancegroup': i % 2 ? 'odd' : 'even' },
        annotations: { a: 'b' },
      },
      spec: { unschedulable: i === 3, providerID: `aws:///us-east-1a/i-${i}` },
    });
  const uid = lab.emu.find('', 'nodes', 'n2')?.metadata.uid ?? '';
  lab.emu.seed('certdrift.io', 'nodecertificatereports', {
    metadata: {
      name: 'n2',
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n2', uid }],
    },
  });
  lab.emu.seed('certdrift.io', 'nodecertificatereports', { metadata: { name: 'n3' } });
  const agent = lab.client();
  await assert.rejects(
    agent.listNodes(),
    (e: unknown) =>
      e instanceof ClusterError &&
      e.status === 403 &&
      /cannot list resource "nodes"/.test(e.message),
  );
  const admin = new HttpCluster(
    new KubeApi(
      {
        ...lab.connection(),
        credentials: staticCredentials({ token: lab.emu.adminToken() }, 'admin'),
      },
      { userAgent: 'certdrift/test' },
    ),
  );
  lab.emu.requests.length = 0;
  const nodes = await admin.listNodes({ pageSize: 3 });
  assert.deepEqual(
    nodes.map((n) => n.name),
    ['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8'],
  );
  assert.deepEqual(
    lab.emu.requests.map((r) => new URLSearchParams(r.query).get('limit')),
    ['3', '3', '3'],
  );
  assert.ok(lab.emu.requests.slice(1).every((r) => new URLSearchParams(r.query).get('continue')));
  const n3 = nodes.find((n) => n.name === 'n3');
  assert.deepEqual(
    [n3?.unschedulable, n3?.providerID, n3?.labels['kops.k8s.io/instancegroup'], n3?.annotations.a],
    [true, 'aws:///us-east-1a/i-3', 'odd', 'b'],
  );
  assert.match(n3?.createdAt ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const odd = await admin.listNodes({ labelSelector: 'kops.k8s.io/instancegroup=odd' });
  assert.deepEqual(
    odd.map((n) => n.name),
    ['n3', 'n5', 'n7'],
  );
  const reports = await admin.listNodeCertificateReports({ pageSize: 1 });
  assert.deepEqual(reports, [
    { name: 'n2', nodeUid: uid, status: null },
    { name: 'n3', status: null },
  ]);
});
