// The test control plane behaves as Kubernetes does where certdrift's safety depends on it, and
// the one stand-in in front of it (the fault proxy) changes nothing it does not claim to:
// - PodDisruptionBudget accounting by the real disruption controller: a 3-replica Deployment
//   behind `maxUnavailable: 1` allows one eviction, refuses the next with 429 until the
//   ReplicaSet's new pod is Ready; an evicted pod stays Terminating for its grace period;
// - identities: TokenRequest tokens, a token bound to a deleted Secret is refused (401);
// - the audit log names each request of a test identity with the server's answer;
// - the fault proxy forwards requests and answers unchanged, and answers an armed fault as the
//   server words it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FaultProxy } from '../support/control-plane/fault-proxy.js';
import { apiRequest } from '../support/control-plane/http.js';
import {
  RUN_LABEL,
  unique,
  useControlPlane,
  type ControlPlane,
  type Obj,
} from '../support/control-plane/index.js';

interface PodLike {
  metadata: { name: string; deletionTimestamp?: string; labels?: Record<string, string> };
  status?: { conditions?: { type: string; status: string }[] };
}

const ready = (p: PodLike): boolean =>
  !p.metadata.deletionTimestamp &&
  (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

async function pdbAllowed(cp: ControlPlane, ns: string, want: number): Promise<void> {
  await cp.waitFor(`PDB disruptionsAllowed=${want}`, 60_000, async () => {
    const pdb = await cp.admin.get(`/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets/web`);
    const s = pdb.status as { disruptionsAllowed?: number; expectedPods?: number } | undefined;
    return s?.disruptionsAllowed === want && s.expectedPods === 3 ? true : undefined;
  });
}

async function deployment(
  cp: ControlPlane,
  ns: string,
  node: string,
  grace: number,
): Promise<void> {
  await cp.admin.create(`/apis/apps/v1/namespaces/${ns}/deployments`, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: {
        // Ready 2 s after start: until the ReplicaSet's new pod is Ready, the budget stays spent.
        metadata: {
          labels: { app: 'web' },
          annotations: { 'pod-ready.stage.kwok.x-k8s.io/delay': '2s' },
        },
        spec: {
          nodeSelector: { [RUN_LABEL]: node },
          terminationGracePeriodSeconds: grace,
          containers: [{ name: 'web', image: 'registry.invalid/web:1' }],
        },
      },
    },
  });
  await cp.admin.create(`/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets`, {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'web' },
    spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'web' } } },
  });
}

const evict = (cp: ControlPlane, ns: string, pod: string) =>
  cp.admin.request('POST', `/api/v1/namespaces/${ns}/pods/${pod}/eviction`, {
    apiVersion: 'policy/v1',
    kind: 'Eviction',
    metadata: { name: pod, namespace: ns },
  });

test('a PDB with maxUnavailable 1 over 3 replicas allows one eviction, then 429 until the new pod is Ready', async (t) => {
  const cp = useControlPlane(t);
  if (!cp) return;
  const ns = await cp.namespace(t, 'pdb');
  const node = unique('pdb-node');
  await cp.node(node, { labels: { [RUN_LABEL]: node } });
  t.after(() => cp.admin.request('DELETE', `/api/v1/nodes/${node}`));
  await cp.nodeReady(node);
  await deployment(cp, ns, node, 4);
  await pdbAllowed(cp, ns, 1);

  const pods = (await cp.admin.list(`/api/v1/namespaces/${ns}/pods`)) as unknown as PodLike[];
  assert.equal(pods.filter(ready).length, 3);
  const [first, second] = pods.map((p) => p.metadata.name);
  assert.ok(first && second);

  const one = await evict(cp, ns, first);
  assert.equal(one.status, 201, one.text);
  const two = await evict(cp, ns, second);
  assert.equal(two.status, 429, 'the budget is spent');
  assert.match(String(two.body.message), /disruption budget/);

  // The evicted pod is Terminating for its grace period, not gone.
  const evicted = (await cp.admin.get(
    `/api/v1/namespaces/${ns}/pods/${first}`,
  )) as unknown as PodLike;
  assert.ok(evicted.metadata.deletionTimestamp, 'Terminating');

  // The ReplicaSet's new pod turns Ready and the old one is removed (KWOK, at the deadline):
  // the budget allows the next eviction again.
  await cp.waitFor('the evicted pod gone', 30_000, async () => {
    const r = await cp.admin.request('GET', `/api/v1/namespaces/${ns}/pods/${first}`);
    return r.status === 404 ? true : undefined;
  });
  await pdbAllowed(cp, ns, 1);
  const now = (await cp.admin.list(`/api/v1/namespaces/${ns}/pods`)) as unknown as PodLike[];
  assert.equal(now.filter(ready).length, 3, 'three Ready replicas, one of them new');
  assert.ok(!now.some((p) => p.metadata.name === first));
  const three = await evict(cp, ns, second);
  assert.equal(three.status, 201, three.text);
});

test('a token bound to a Secret is refused once the Secret is gone; the audit log names every call', async (t) => {
  const cp = useControlPlane(t);
  if (!cp) return;
  const ns = await cp.namespace(t, 'tok');
  const token = await cp.token(ns, 'agent', { boundSecret: 'agent-token' });
  const user = `system:serviceaccount:${ns}:agent`;
  const mark = cp.auditMark();
  const as = cp.as(token);
  const denied = await as.request('GET', '/api/v1/nodes');
  assert.equal(denied.status, 403, 'authenticated, not authorized');
  await cp.admin.request('DELETE', `/api/v1/namespaces/${ns}/secrets/agent-token`);
  await cp.waitFor('the bound token refused', 20_000, async () =>
    (await as.request('GET', '/api/v1/nodes')).status === 401 ? true : undefined,
  );
  const events = await cp.audit(user, mark);
  assert.ok(events.length >= 1);
  assert.deepEqual(events.map((e) => [e.verb, e.objectRef?.resource, e.responseStatus?.code])[0], [
    'list',
    'nodes',
    403,
  ]);
});

test('the fault proxy forwards unchanged and answers armed faults as the server words them', async (t) => {
  const cp = useControlPlane(t);
  if (!cp) return;
  const ns = await cp.namespace(t, 'proxy');
  const token = await cp.token(ns, 'reader');
  await cp.admin.create('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: `${ns}-view` },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }],
  });
  t.after(() =>
    cp.admin.request('DELETE', `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${ns}-view`),
  );
  const proxy = new FaultProxy(cp.url, cp.ca);
  await proxy.start();
  t.after(() => proxy.stop());
  const direct = (path: string) => apiRequest(cp.url, { ca: cp.ca, token }, 'GET', path);
  const via = (path: string) => apiRequest(proxy.url, { ca: proxy.ca, token }, 'GET', path);

  // Same status and same object for reads that succeed, fail on RBAC, and do not exist.
  for (const path of [
    `/api/v1/namespaces/${ns}/serviceaccounts/reader`,
    '/api/v1/nodes',
    `/api/v1/namespaces/${ns}/pods/none`,
  ]) {
    await cp.waitFor(`RBAC for ${path}`, 10_000, async () => {
      const [a, b] = [await direct(path), await via(path)];
      if (a.status !== b.status) return undefined;
      const strip = (o: Obj) => {
        const m = { ...(o.metadata ?? {}) };
        delete m.resourceVersion;
        return { ...o, metadata: m };
      };
      assert.deepEqual(strip(b.body), strip(a.body), path);
      return true;
    });
  }

  proxy.inject({ kind: 'status', code: 429, retryAfterSeconds: 3 }, 1);
  const limited = await via('/api/v1/namespaces/default');
  assert.equal(limited.status, 429);
  assert.equal(limited.headers['retry-after'], '3');
  assert.equal(limited.body.reason, 'TooManyRequests');
  assert.equal((await via(`/api/v1/namespaces/${ns}/serviceaccounts/reader`)).status, 200);

  proxy.inject({ kind: 'truncate' }, 1);
  await assert.rejects(via(`/api/v1/namespaces/${ns}/serviceaccounts/reader`));
  assert.deepEqual(proxy.requests.map((r) => r.fault ?? r.status).slice(-3), [
    'status',
    200,
    'truncate',
  ]);
});
