// `certdrift plan --kubernetes KUBECONFIG` against the real control plane (the NodeCertificateReport
// CRD from the rendered deploy/base): the real CLI lists nodes and reports with an admin's
// kubeconfig (its client certificate), and the agent's own service account is refused by the
// server (the shipped role may not list). The cluster is shared: the plan sees every test's
// Nodes, so only this test's are asserted on.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unique, type Obj } from '../support/control-plane/index.js';
import { runCliAsync } from '../support/scan.js';
import { startCluster } from '../cluster/setup.js';
import { daysFrom, kopsNode, plainNode, report } from './fleet-fixtures.js';

/** a kubectl-shaped object as a client creates it: the server sets uid, resourceVersion, times */
const forCreate = (o: Record<string, unknown>): Obj => {
  const server = new Set(['uid', 'resourceVersion', 'creationTimestamp', 'generation']);
  const metadata = Object.fromEntries(
    Object.entries(o.metadata as Record<string, unknown>).filter(([k]) => !server.has(k)),
  );
  return { ...o, metadata };
};

test('plan --kubernetes lists nodes and reports from the API server', async (t) => {
  const lab = await startCluster(t, { kubelet: false });
  if (!lab) return;
  const { cp } = lab;
  // The server stamps creationTimestamp now: the plan is made as of now.
  const AT = new Date(Math.floor(Date.now() / 1000) * 1000);
  const run = unique('plan');
  const [kops1, kops2, metal] = [`${run}-i-01`, `${run}-i-02`, `${run}-metal-1`];
  for (const n of [
    kopsNode(kops1, 'nodes-a', daysFrom(AT, -100)),
    kopsNode(kops2, 'nodes-a', daysFrom(AT, -100)),
    plainNode(metal, daysFrom(AT, -100)),
  ]) {
    const created = await cp.admin.create('/api/v1/nodes', forCreate(n));
    t.after(() => cp.admin.request('DELETE', `/api/v1/nodes/${created.metadata?.name}`));
  }
  const reports = '/apis/certdrift.io/v1alpha1/nodecertificatereports';
  for (const r of [report(kops1, daysFrom(AT, 20), AT), report(metal, daysFrom(AT, -1), AT)]) {
    const name = (r.metadata as { name: string }).name;
    await cp.admin.create(reports, forCreate({ ...r, status: undefined }));
    t.after(() => cp.admin.request('DELETE', `${reports}/${name}`));
    // status goes through its subresource (the main resource ignores it)
    await cp.admin.patch(`${reports}/${name}/status`, { status: r.status });
  }
  const r = await runCliAsync([
    'plan',
    '--kubernetes',
    cp.info.adminKubeconfig,
    '--at',
    AT.toISOString(),
    '-o',
    'json',
  ]);
  assert.equal(r.status, 2, r.stderr);
  const doc = JSON.parse(r.stdout) as {
    sources: string[];
    schedule: { node: string; group: string; deadline: string | null; deadlineSource: string }[];
  };
  assert.match(doc.sources[0] ?? '', /^kubernetes: /);
  const mine = new Set([kops1, kops2, metal]);
  const byNode = Object.fromEntries(
    doc.schedule.filter((s) => mine.has(s.node)).map((s) => [s.node, s]),
  );
  assert.deepEqual(Object.keys(byNode).sort(), [kops1, metal].sort());
  assert.equal(byNode[kops1]?.group, 'kops/nodes-a');
  assert.equal(byNode[kops1].deadline, daysFrom(AT, 20).toISOString());
  assert.equal(byNode[metal]?.deadlineSource, 'report');
  // The agent's service account may not list nodes: the server refuses, an operational error.
  const denied = await runCliAsync([
    'plan',
    '--kubernetes',
    cp.kubeconfig(await lab.rotate()),
    '--at',
    AT.toISOString(),
  ]);
  assert.equal(denied.status, 3);
  // (nodes and reports are listed at once: either refusal may come first)
  assert.match(denied.stderr, /403 .*cannot list resource "(nodes|nodecertificatereports)"/);
});
