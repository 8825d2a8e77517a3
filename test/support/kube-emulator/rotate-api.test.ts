// What `certdrift rotate` will meet on a cluster, in the emulation: cordon by patch, eviction
// blocked by a PodDisruptionBudget (429) until another pod is Ready, more than one budget (500),
// Lease optimistic concurrency (409 on a stale resourceVersion, 422 without one, MicroTime),
// annotations on Cluster API Machines, and a Karpenter NodeClaim deleted through its finalizer.

import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { KubeEmulator } from './server.js';
import { haveKubectl } from '../deploy-manifests.js';
import { MACHINE_CRD, NODECLAIM_CRD } from './third-party-crds.js';
import { raw } from './testing.js';

const ready = (t: TestContext): boolean => {
  if (haveKubectl()) return true;
  if (process.env.CI) throw new Error('kubectl is required under CI (renders deploy/base)');
  t.skip('kubectl is not installed (renders deploy/base)');
  return false;
};

let emu: KubeEmulator;
let admin = '';
before(async () => {
  if (!haveKubectl()) return;
  emu = new KubeEmulator();
  emu.addCrds([MACHINE_CRD, NODECLAIM_CRD]);
  await emu.start();
  admin = emu.adminToken();
  emu.seed('', 'nodes', {
    metadata: { name: 'n1' },
    spec: { taints: [{ key: 'a', effect: 'NoSchedule' }] },
  });
});
after(async () => {
  if (haveKubectl()) await emu.stop();
});

const pod = (name: string, readyNow: boolean, labels: Record<string, string> = { app: 'web' }) => ({
  metadata: { name, namespace: 'shop', labels },
  spec: { nodeName: 'n1' },
  status: {
    phase: 'Running',
    conditions: [{ type: 'Ready', status: readyNow ? 'True' : 'False' }],
  },
});
const evict = (name: string) =>
  raw(emu, 'POST', `/api/v1/namespaces/shop/pods/${name}/eviction`, {
    token: admin,
    body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'shop' } },
  });

test('cordon is a strategic-merge patch of spec.unschedulable; taints merge by key', async (t) => {
  if (!ready(t)) return;
  const r = await raw(emu, 'PATCH', '/api/v1/nodes/n1', {
    token: admin,
    body: { spec: { unschedulable: true, taints: [{ key: 'b', effect: 'NoExecute' }] } },
    contentType: 'application/strategic-merge-patch+json',
  });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.spec, {
    unschedulable: true,
    taints: [
      { key: 'a', effect: 'NoSchedule' },
      { key: 'b', effect: 'NoExecute' },
    ],
  });
});

test('eviction: a PDB at its minimum answers 429 until another pod is Ready; then the pod goes', async (t) => {
  if (!ready(t)) return;
  const pods = emu.type('', 'pods');
  emu.store.create(pods, pod('web-1', true));
  emu.store.create(pods, pod('web-2', false));
  emu.seed('policy', 'poddisruptionbudgets', {
    metadata: { name: 'web', namespace: 'shop' },
    spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } },
  });
  const blocked = await evict('web-1');
  assert.equal(blocked.status, 429);
  assert.equal(blocked.body.reason, 'TooManyRequests');
  assert.deepEqual((blocked.body.details as { causes: object[] }).causes, [
    {
      reason: 'DisruptionBudget',
      message: 'The disruption budget web needs 1 healthy pods and has 1 currently',
    },
  ]);
  assert.ok(emu.find('', 'pods', 'web-1', 'shop'), 'the pod is still there');
  const status = emu.find('policy', 'poddisruptionbudgets', 'web', 'shop')?.status as {
    disruptionsAllowed: number;
  };
  assert.equal(status.disruptionsAllowed, 0);
  // web-2 becomes Ready: one disruption is allowed now.
  const p2 = await raw(emu, 'PATCH', '/api/v1/namespaces/shop/pods/web-2/status', {
    token: admin,
    body: { status: { conditions: [{ type: 'Ready', status: 'True' }] } },
    contentType: 'application/strategic-merge-patch+json',
  });
  assert.equal(p2.status, 200);
  const done = await evict('web-1');
  assert.equal(done.status, 201);
  assert.equal(done.body.status, 'Success');
  assert.equal(emu.find('', 'pods', 'web-1', 'shop'), undefined);
  assert.equal((await evict('web-1')).status, 404);
});

test('eviction: two matching budgets are a 500; a pod with none just goes; the name must match', async (t) => {
  if (!ready(t)) return;
  const pods = emu.type('', 'pods');
  emu.store.create(pods, pod('api-1', true, { app: 'api', tier: 'x' }));
  emu.store.create(pods, pod('solo', true, { app: 'solo' }));
  for (const [name, sel] of [
    ['api-a', { matchLabels: { app: 'api' } }],
    ['api-b', { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }],
  ] as const)
    emu.seed('policy', 'poddisruptionbudgets', {
      metadata: { name, namespace: 'shop' },
      spec: { maxUnavailable: '50%', selector: sel },
    });
  const two = await evict('api-1');
  assert.equal(two.status, 500);
  assert.match(String(two.body.message), /more than one PodDisruptionBudget/);
  assert.equal((await evict('solo')).status, 201);
  const mismatch = await raw(emu, 'POST', '/api/v1/namespaces/shop/pods/api-1/eviction', {
    token: admin,
    body: { kind: 'Eviction', metadata: { name: 'other' } },
  });
  assert.equal(mismatch.status, 400);
});

test('leases: create, renew with the current resourceVersion, 409 on a stale one, 422 without one; renewTime in microseconds', async (t) => {
  if (!ready(t)) return;
  const path = '/apis/coordination.k8s.io/v1/namespaces/certdrift/leases';
  const made = await raw(emu, 'POST', path, {
    token: admin,
    body: {
      metadata: { name: 'rotate' },
      spec: {
        holderIdentity: 'a',
        leaseDurationSeconds: 60,
        renewTime: '2026-11-25T10:00:00.1234567Z',
      },
    },
  });
  assert.equal(made.status, 201);
  assert.equal((made.body.spec as { renewTime: string }).renewTime, '2026-11-25T10:00:00.123456Z');
  const rv = (made.body.metadata as { resourceVersion: string }).resourceVersion;
  const spec = {
    holderIdentity: 'a',
    leaseDurationSeconds: 60,
    renewTime: '2026-11-25T10:00:30.000000Z',
  };
  const renewed = await raw(emu, 'PUT', `${path}/rotate`, {
    token: admin,
    body: { metadata: { name: 'rotate', resourceVersion: rv }, spec },
  });
  assert.equal(renewed.status, 200);
  const takeover = await raw(emu, 'PUT', `${path}/rotate`, {
    token: admin,
    body: {
      metadata: { name: 'rotate', resourceVersion: rv },
      spec: { ...spec, holderIdentity: 'b' },
    },
  });
  assert.equal(takeover.status, 409, 'b read the lease before a renewed it');
  const blind = await raw(emu, 'PUT', `${path}/rotate`, {
    token: admin,
    body: { metadata: { name: 'rotate' }, spec: { ...spec, holderIdentity: 'b' } },
  });
  assert.equal(blind.status, 422);
});

test('Cluster API Machines take annotations by merge patch; a NodeClaim with a finalizer is deleted in two steps', async (t) => {
  if (!ready(t)) return;
  emu.seed('cluster.x-k8s.io', 'machines', {
    metadata: { name: 'm1', namespace: 'capi', annotations: { keep: 'me' } },
    spec: { clusterName: 'c1' },
  });
  const m = await raw(emu, 'PATCH', '/apis/cluster.x-k8s.io/v1beta1/namespaces/capi/machines/m1', {
    token: admin,
    body: { metadata: { annotations: { 'cluster.x-k8s.io/remediate-machine': '' } } },
    contentType: 'application/merge-patch+json',
  });
  assert.equal(m.status, 200);
  assert.deepEqual((m.body.metadata as { annotations: object }).annotations, {
    keep: 'me',
    'cluster.x-k8s.io/remediate-machine': '',
  });
  assert.equal(
    (m.body.metadata as { generation: number }).generation,
    1,
    'metadata changes do not bump generation',
  );
  emu.seed('karpenter.sh', 'nodeclaims', {
    metadata: { name: 'nc1', finalizers: ['karpenter.sh/termination'] },
    spec: { nodeClassRef: { name: 'default' } },
  });
  const del = await raw(emu, 'DELETE', '/apis/karpenter.sh/v1/nodeclaims/nc1', { token: admin });
  assert.equal(del.status, 200);
  const deleting = emu.find('karpenter.sh', 'nodeclaims', 'nc1');
  assert.match(
    String(deleting?.metadata.deletionTimestamp),
    /Z$/,
    'marked for deletion, kept while the finalizer is there',
  );
  // Karpenter finishes: it removes its finalizer and the object is gone.
  const fin = await raw(emu, 'PATCH', '/apis/karpenter.sh/v1/nodeclaims/nc1', {
    token: admin,
    body: { metadata: { finalizers: null } },
    contentType: 'application/merge-patch+json',
  });
  assert.equal(fin.status, 200);
  assert.equal(emu.find('karpenter.sh', 'nodeclaims', 'nc1'), undefined);
  assert.equal(
    (await raw(emu, 'DELETE', '/apis/karpenter.sh/v1/nodeclaims/nc1', { token: admin })).status,
    404,
  );
});
