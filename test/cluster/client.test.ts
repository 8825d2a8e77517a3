// The client's transport behaviour on the real control plane, with the faults a real server does
// not give on demand injected by the proxy in front of it: bounded retries with backoff that
// honour Retry-After, truncated and slow responses, the CA re-read when it changes, and the
// paginated lists (`limit`/`continue`, answered by the real server) the plan and rotate
// commands read.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HttpCluster } from '../../src/adapters/kube/http-cluster.js';
import { KubeApi, retryDelayMs } from '../../src/adapters/kube/kube-api.js';
import { kubeconfigConnection } from '../../src/adapters/kube/connect.js';
import { ClusterError } from '../../src/model/cluster.js';
import { issue } from '../support/certs.js';
import { RUN_LABEL, unique } from '../support/control-plane/index.js';
import { startCluster } from './setup.js';

test('Retry-After is honoured; backoff doubles; retries are bounded', async (t) => {
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
  const lab = await startCluster(t, { kubelet: false });
  if (!lab) return;
  const { node, proxy } = lab;
  const client = lab.client();
  proxy.inject({ kind: 'status', code: 429, retryAfterSeconds: 2 }, 2);
  await client.getNode(node);
  assert.deepEqual(lab.sleeps, [2000, 2000]);
  assert.deepEqual(
    proxy.requests.map((r) => r.status),
    [429, 429, 200],
  );
  lab.sleeps.length = 0;
  proxy.inject({ kind: 'status', code: 504 }, 10);
  await assert.rejects(
    client.getNode(node),
    (e: unknown) => e instanceof ClusterError && e.status === 504,
  );
  assert.deepEqual(lab.sleeps, [500, 1000, 2000], 'four attempts, three waits');
});

test('a truncated body and a response slower than the timeout are retried, never half-parsed', async (t) => {
  const lab = await startCluster(t, { kubelet: false });
  if (!lab) return;
  const { cp, node, proxy } = lab;
  const slowClient = new HttpCluster(
    new KubeApi(
      { ...lab.connection(), timeoutMs: 300 },
      { userAgent: 'certdrift/test', sleep: () => Promise.resolve() },
    ),
  );
  proxy.inject({ kind: 'truncate' }, 1);
  proxy.inject({ kind: 'slow', delayMs: 1500 }, 1);
  const n = await slowClient.getNode(node);
  assert.equal(n.uid, (await cp.admin.get(`/api/v1/nodes/${node}`)).metadata?.uid);
  assert.deepEqual(
    proxy.requests.map((r) => r.fault ?? r.status),
    ['truncate', 'slow', 200],
  );
});

test('the CA file is re-read when it changes', async (t) => {
  const lab = await startCluster(t, { kubelet: false });
  if (!lab) return;
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
    client.getNode(lab.node),
    (e: unknown) => e instanceof ClusterError && e.status === 0 && /certificate/.test(e.message),
  );
  writeFileSync(join(lab.saDir, 'ca.crt'), lab.proxy.ca);
  clock += 61_000;
  await client.getNode(lab.node);
});

test('listNodes and listNodeCertificateReports read every page; the agent itself may not list', async (t) => {
  const lab = await startCluster(t, { kubelet: false });
  if (!lab) return;
  const { cp, installed } = lab;
  // The cluster is shared: this test's Nodes carry a label of their own and every list selects it.
  const run = unique('list');
  const names = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => `${run}-n${i}`);
  for (const [i, name] of names.entries()) {
    await cp.node(name, {
      kubelet: false,
      labels: { [RUN_LABEL]: run, 'kops.k8s.io/instancegroup': i % 2 ? 'even' : 'odd' },
      annotations: { a: 'b' },
      unschedulable: i === 2,
      providerID: `aws:///us-east-1a/i-${i + 1}`,
    });
    t.after(() => cp.admin.request('DELETE', `/api/v1/nodes/${name}`));
  }
  const [n1, n2, n3] = names as [string, string, string];
  const uid = String((await cp.admin.get(`/api/v1/nodes/${n2}`)).metadata?.uid);
  const report = (name: string, owner?: string) =>
    cp.admin.create('/apis/certdrift.io/v1alpha1/nodecertificatereports', {
      apiVersion: 'certdrift.io/v1alpha1',
      kind: 'NodeCertificateReport',
      metadata: {
        name,
        labels: { [RUN_LABEL]: run },
        ...(owner
          ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: owner }] }
          : {}),
      },
    });
  await report(n2, uid);
  await report(n3);
  t.after(() =>
    cp.admin.request('DELETE', `/apis/certdrift.io/v1alpha1/nodecertificatereports/${n3}`),
  );
  const agent = lab.client();
  await assert.rejects(
    agent.listNodes(),
    (e: unknown) =>
      e instanceof ClusterError &&
      e.status === 403 &&
      /cannot list resource "nodes"/.test(e.message),
  );
  // Someone bound to the shipped certdrift-reader role (plan and attribute run as such).
  const reader = installed.renamed.get('ClusterRole//certdrift-reader');
  assert.ok(reader);
  const ns = installed.namespace;
  const token = await cp.token(ns, 'lister');
  await cp.admin.create('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: `${reader}-lister` },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: reader },
    subjects: [{ kind: 'ServiceAccount', name: 'lister', namespace: ns }],
  });
  t.after(() =>
    cp.admin.request(
      'DELETE',
      `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${reader}-lister`,
    ),
  );
  await cp.waitFor('the binding in force', 10_000, async () =>
    (await cp.as(token).request('GET', '/api/v1/nodes?limit=1')).status === 200 ? true : undefined,
  );
  const kubeconfig = cp.kubeconfig(token);
  const lister = new HttpCluster(
    new KubeApi(kubeconfigConnection(kubeconfig, { env: {} }), { userAgent: 'certdrift/test' }),
  );
  const selector = `${RUN_LABEL}=${run}`;
  const mark = cp.auditMark();
  const nodes = await lister.listNodes({ pageSize: 3, labelSelector: selector });
  assert.deepEqual(
    nodes.map((n) => n.name),
    names,
  );
  const pages = (await cp.audit(`system:serviceaccount:${ns}:lister`, mark)).map(
    (e) => new URL(e.requestURI, 'https://x').searchParams,
  );
  assert.deepEqual(
    pages.map((q) => [q.get('limit'), q.get('labelSelector')]),
    [
      ['3', selector],
      ['3', selector],
      ['3', selector],
    ],
  );
  assert.deepEqual(
    pages.map((q) => Boolean(q.get('continue'))),
    [false, true, true],
    "the server's continue tokens followed",
  );
  const third = nodes.find((n) => n.name === n3);
  assert.deepEqual(
    [
      third?.unschedulable,
      third?.providerID,
      third?.labels['kops.k8s.io/instancegroup'],
      third?.annotations.a,
    ],
    [true, 'aws:///us-east-1a/i-3', 'odd', 'b'],
  );
  assert.match(third?.createdAt ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(nodes.find((n) => n.name === n1)?.unschedulable, false);
  const odd = await lister.listNodes({
    labelSelector: `${selector},kops.k8s.io/instancegroup=odd`,
  });
  assert.deepEqual(
    odd.map((n) => n.name),
    names.filter((_, i) => i % 2 === 0),
  );
  const reports = await lister.listNodeCertificateReports({ pageSize: 1, labelSelector: selector });
  assert.deepEqual(reports, [
    { name: n2, nodeUid: uid, status: null },
    { name: n3, status: null },
  ]);
});
