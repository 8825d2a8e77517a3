// An eviction answered 403 NamespaceTerminating, on the REAL control plane, read as kubectl drain
// reads it (k8s.io/kubectl/pkg/drain/drain.go evictPods: a pod already marked deleted is waited
// for, any other is retried until the namespace controller marks it — never deleted by the
// drain). The namespace is held Terminating by a finalizer on its pod.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evictionCallOf } from './terminating-namespace-support.js';
import { barePod } from './cluster-workloads.js';
import { rotatorLab } from './rotator-cluster.js';

const HOLD = 'certdrift.test/hold';

test('eviction in a terminating namespace: 403 NamespaceTerminating is waited on (blocked), the pod is never deleted by the drain', async (t) => {
  const lab = await rotatorLab(t, ['drain']);
  if (!lab) return;
  const { cp } = lab;
  const ns = await cp.namespace(t, 'doomed');
  const node = lab.name('n');
  await lab.node(node);
  await barePod(cp, ns, 'held', node);
  await cp.admin.patch(`/api/v1/namespaces/${ns}/pods/held`, { metadata: { finalizers: [HOLD] } });
  t.after(() =>
    cp.admin.request(
      'PATCH',
      `/api/v1/namespaces/${ns}/pods/held`,
      { metadata: { finalizers: null } },
      'application/merge-patch+json',
    ),
  );
  await cp.admin.request('DELETE', `/api/v1/namespaces/${ns}`);
  await cp.waitFor(`namespace ${ns} Terminating`, 30_000, async () => {
    const n = await cp.admin.get(`/api/v1/namespaces/${ns}`);
    return (n.status as { phase?: string } | undefined)?.phase === 'Terminating' ? true : undefined;
  });
  const pod = { namespace: ns, name: 'held' };
  const mark = cp.auditMark();
  const r = await lab.client().execute(evictionCallOf(pod));
  assert.equal(r.result, 'blocked');
  assert.match(r.message, /namespace is being deleted/);
  const calls = (await cp.audit(lab.user, mark)).filter((e) => e.objectRef?.name === 'held');
  // the real server answered the eviction 403 (NamespaceLifecycle admission)
  assert.deepEqual(
    calls.map((e) => `${e.verb} ${e.objectRef?.subresource ?? ''} ${e.responseStatus?.code}`),
    ['create eviction 403'],
  );
  assert.ok(!calls.some((e) => e.verb === 'delete'), 'the drain deleted nothing');
});
