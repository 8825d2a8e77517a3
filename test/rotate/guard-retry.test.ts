// The guard is asked before every attempt of a write, not only before the first (issue 21 item
// 7): a write the client retries — 503s answered by the fault proxy in front of the REAL control
// plane, as during an API server restart — must not land once the guard stopped allowing it
// (the rotation Lease lost while the client backed off; rotator.ts passes its guard down to the
// edge, kube-api.ts asks it before each retry). The control run, without a guard, lands on the
// third attempt: the test could fail.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inClusterConnection } from '../../src/adapters/kube/connect.js';
import { HttpCluster } from '../../src/adapters/kube/http-cluster.js';
import { KubeApi } from '../../src/adapters/kube/kube-api.js';
import { RotateClient } from '../../src/adapters/kube/rotate-client.js';
import { FaultProxy } from '../support/control-plane/fault-proxy.js';
import { rotatorLab, unschedulable } from './rotator-cluster.js';

test('a write retried through 503s is not retried after the guard closed; without a guard it lands', async (t) => {
  const lab = await rotatorLab(t, ['drain']);
  if (!lab) return;
  const { cp } = lab;
  const proxy = new FaultProxy(cp.url, cp.ca);
  await proxy.start();
  t.after(() => proxy.stop());
  const dir = mkdtempSync(join(tmpdir(), 'certdrift-guard-'));
  writeFileSync(join(dir, 'ca.crt'), proxy.ca);
  writeFileSync(join(dir, 'token'), lab.token);
  let allowed = true;
  const url = new URL(proxy.url);
  const client = () => {
    const conn = inClusterConnection(
      { KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port },
      { dir },
    );
    assert.ok(conn);
    // Each backoff is where time passes: here the guard closes (the renew deadline passed).
    const api = new KubeApi(conn, {
      userAgent: 'certdrift/test-guard',
      sleep: () => {
        allowed = false;
        return Promise.resolve();
      },
    });
    return new RotateClient(new HttpCluster(api), 'certdrift/test-guard');
  };
  const node = lab.name('g');
  await lab.node(node);
  const path = `/api/v1/nodes/${node}`;
  const cordon = {
    method: 'PATCH' as const,
    path,
    body: { spec: { unschedulable: true } },
    contentType: 'application/strategic-merge-patch+json',
  };
  const onNode = (m: string, p: string) => m === 'PATCH' && p.startsWith(path);

  proxy.inject({ kind: 'status', code: 503 }, 2, onNode);
  const mark = cp.auditMark();
  await assert.rejects(
    client().execute(cordon, () => (allowed ? null : 'the rotation Lease is no longer held')),
    /not retried: the rotation Lease is no longer held \(last answer: 503/,
  );
  assert.equal(proxy.requests.filter((r) => onNode(r.method, r.path)).length, 1, 'one attempt');
  const patches = (await cp.audit(lab.user, mark)).filter((e) => e.verb === 'patch');
  assert.deepEqual(patches, [], 'nothing reached the server');
  assert.equal(await unschedulable(lab, node), false);

  // control: the same faults, no guard — the client retries and the write lands
  proxy.clear();
  proxy.inject({ kind: 'status', code: 503 }, 2, onNode);
  allowed = true;
  const done = await client().execute(cordon);
  assert.equal(done.result, 'done');
  assert.equal(proxy.requests.filter((r) => onNode(r.method, r.path)).length, 4);
  assert.equal(await unschedulable(lab, node), true);
});
