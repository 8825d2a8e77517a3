// Publishing on the real control plane as the agent runs in its pod: the shipped RBAC (rendered
// deploy/base) enforced by kube-apiserver, the real NodeCertificateReport CRD, the
// service-account token rotated and revoked for real, faults injected by the proxy in front.
// Conditions set and cleared (others' untouched), events de-duplicated without `get`, an expired
// event re-created, the report owned by its Node (and removed with it by the garbage collector),
// updated through a conflicting writer, and a half-failed publish completed later.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { publishNodeStatus } from '../../src/adapters/kube/publish.js';
import { ClusterError } from '../../src/model/cluster.js';
import {
  CONDITION_EXPIRING,
  CONDITION_SERVING,
  CONDITION_STALE,
} from '../../src/agent/node-status.js';
import { tokenId } from '../support/control-plane/fault-proxy.js';
import type { AuditEvent, Obj } from '../support/control-plane/index.js';
import { finding, statusSpec } from './spec.js';
import { resourceOf, startCluster, type ClusterLab } from './setup.js';

interface Cond {
  type: string;
  status: string;
  reason: string;
  lastTransitionTime?: string;
  lastHeartbeatTime?: string;
}

const conditions = async (lab: ClusterLab): Promise<Cond[]> =>
  ((await lab.cp.admin.get(`/api/v1/nodes/${lab.node}`)).status as { conditions: Cond[] })
    .conditions;
const forbidden = (calls: AuditEvent[]) => calls.filter((e) => e.responseStatus?.code === 403);
const reportPath = (node: string) => `/apis/certdrift.io/v1alpha1/nodecertificatereports/${node}`;

test('conditions are set while problems last and cleared after, through 503 and 429 (Retry-After honoured)', async (t) => {
  const lab = await startCluster(t);
  if (!lab) return;
  const { node, proxy } = lab;
  const mark = lab.cp.auditMark();
  const kubelets = (await conditions(lab)).map((c) => [c.type, c.status, c.reason]);
  assert.ok(kubelets.some(([type, status]) => type === 'Ready' && status === 'True'));
  const client = lab.client();
  proxy.inject({ kind: 'status', code: 503 }, 1, (m) => m === 'GET');
  proxy.inject({ kind: 'status', code: 429, retryAfterSeconds: 3 }, 1, (m) => m === 'PATCH');
  const t1 = new Date('2026-11-25T10:00:00.700Z');
  const problems = [
    finding('CERT_EXPIRING', 'critical', '/var/lib/kube-proxy/kubeconfig'),
    finding('STALE_VIEW', 'critical', 'container/kube-proxy'),
    finding(
      'KUBELET_SERVING_CERT_MISSING',
      'warning',
      '/var/lib/kubelet/pki/kubelet-server-current.pem',
    ),
  ];
  await publishNodeStatus(client, node, statusSpec(problems, t1, node), t1);
  const after1 = await conditions(lab);
  const ours = new Set([CONDITION_EXPIRING, CONDITION_STALE, CONDITION_SERVING]);
  assert.deepEqual(
    after1.filter((c) => !ours.has(c.type)).map((c) => [c.type, c.status, c.reason]),
    kubelets,
    "kubelet's conditions are untouched (strategic merge by type)",
  );
  assert.deepEqual(
    after1
      .filter((c) => ours.has(c.type))
      .map((c) => [c.type, c.status, c.reason, c.lastTransitionTime]),
    [
      [CONDITION_EXPIRING, 'True', 'CertificateExpiring', '2026-11-25T10:00:00Z'],
      [CONDITION_STALE, 'True', 'StaleCertificateView', '2026-11-25T10:00:00Z'],
      [CONDITION_SERVING, 'True', 'KubeletServingCertificatePending', '2026-11-25T10:00:00Z'],
    ],
  );
  assert.ok(
    lab.sleeps.includes(3000),
    `Retry-After: 3 was honoured (slept ${lab.sleeps.join(', ')} ms)`,
  );
  assert.deepEqual(
    proxy.requests.filter((r) => r.fault).map((r) => [r.method, r.status]),
    [
      ['GET', 503],
      ['PATCH', 429],
    ],
  );

  const t2 = new Date('2026-11-25T10:05:00Z');
  await publishNodeStatus(client, node, statusSpec([], t2, node), t2);
  const t3 = new Date('2026-11-25T10:10:00Z');
  await publishNodeStatus(client, node, statusSpec([], t3, node), t3);
  const serving = (await conditions(lab)).find((c) => c.type === CONDITION_SERVING);
  assert.deepEqual(
    [serving?.status, serving?.reason],
    ['False', 'KubeletServingCertificatePresent'],
    'cleared once the serving certificate is there',
  );
  const stale = (await conditions(lab)).find((c) => c.type === CONDITION_STALE);
  assert.equal(stale?.status, 'False');
  assert.equal(
    stale.lastTransitionTime,
    '2026-11-25T10:05:00Z',
    'no transition, no new transition time',
  );
  assert.equal(stale.lastHeartbeatTime, '2026-11-25T10:10:00Z');
  const calls = await lab.calls(mark);
  assert.ok(calls.length >= 9, `${calls.length} calls reached the server`);
  assert.ok(calls.every((e) => e.userAgent === 'certdrift/test'));
  assert.deepEqual(forbidden(calls), []);
});

test('events: one per problem, counted without `get`; after a restart (409) and after expiry (404)', async (t) => {
  const lab = await startCluster(t);
  if (!lab) return;
  const { cp, node } = lab;
  const mark = cp.auditMark();
  const p = [finding('CERT_EXPIRING', 'warning', '/srv/kubernetes/kubelet-server.crt')];
  const now = new Date('2026-11-25T10:00:00Z');
  const name = statusSpec(p, now, node).events[0]?.name ?? '';
  const event = async () =>
    (await cp.admin.get(`/api/v1/namespaces/default/events/${name}`)) as Obj & {
      count: number;
      reason: string;
      involvedObject: Record<string, unknown>;
    };
  const client = lab.client();
  await publishNodeStatus(client, node, statusSpec(p, now, node), now);
  await publishNodeStatus(client, node, statusSpec(p, now, node), now);
  const e1 = await event();
  assert.equal(e1.count, 2);
  assert.equal(e1.reason, 'CertificateExpirationWarning');
  const uid = (await cp.admin.get(`/api/v1/nodes/${node}`)).metadata?.uid;
  assert.deepEqual(e1.involvedObject, { apiVersion: 'v1', kind: 'Node', name: node, uid });
  // The agent restarts: it does not know the count, the create answers 409.
  await publishNodeStatus(lab.client(), node, statusSpec(p, now, node), now);
  assert.equal((await event()).count, 3);
  // The event expires (the server's --event-ttl, an hour; the server cannot be hurried, and to
  // the client an expired event is one that is gone): the patch finds nothing, it is created again.
  await cp.admin.ok('DELETE', `/api/v1/namespaces/default/events/${name}`);
  await publishNodeStatus(client, node, statusSpec(p, now, node), now);
  assert.equal((await event()).count, 1);
  const calls = (await lab.calls(mark)).filter((e) => e.objectRef?.resource === 'events');
  assert.deepEqual(
    calls.map((e) => [e.verb, e.responseStatus?.code]),
    [
      ['create', 201],
      ['patch', 200], // the second occurrence: count 2
      ['create', 409], // restarted
      ['patch', 200], // the stored count
      ['patch', 200], // bumped
      ['patch', 404], // expired
      ['create', 201],
    ],
  );
  assert.ok(!calls.some((e) => e.verb === 'get'), 'never GETs an event');
  assert.deepEqual(forbidden(await lab.calls(mark)), []);
});

test('the report is owned by its Node, created once, updated through a conflicting writer, removed with its Node; an ownerless one is adopted', async (t) => {
  const lab = await startCluster(t);
  if (!lab) return;
  const { cp, node, proxy } = lab;
  const client = lab.client();
  const now = new Date('2026-11-25T10:00:00Z');
  // A report from an agent version that wrote no owner.
  await cp.admin.create('/apis/certdrift.io/v1alpha1/nodecertificatereports', {
    apiVersion: 'certdrift.io/v1alpha1',
    kind: 'NodeCertificateReport',
    metadata: { name: node },
  });
  const mark = cp.auditMark();
  await publishNodeStatus(
    client,
    node,
    statusSpec([finding('STALE_VIEW', 'critical', 'x')], now, node),
    now,
  );
  const uid = (await cp.admin.get(`/api/v1/nodes/${node}`)).metadata?.uid;
  const r1 = (await cp.admin.get(reportPath(node))) as Obj & { status: { staleViews: number } };
  assert.deepEqual(r1.metadata?.ownerReferences, [
    { apiVersion: 'v1', kind: 'Node', name: node, uid },
  ]);
  assert.equal(r1.status.staleViews, 1);
  // Another writer updates the report between our GET and our PUT: the proxy holds our PUT
  // until that write is done, and the real server answers 409.
  proxy.inject(
    {
      kind: 'hold',
      until: () =>
        cp.admin.patch(`${reportPath(node)}/status`, { status: { staleViews: 7 } }, 'merge'),
    },
    1,
    (m, p) => m === 'PUT' && p.endsWith('/status'),
  );
  await publishNodeStatus(client, node, statusSpec([], now, node), now);
  const r2 = (await cp.admin.get(reportPath(node))) as Obj & {
    status: { staleViews: number; worstSeverity: string };
  };
  assert.deepEqual([r2.status.staleViews, r2.status.worstSeverity], [0, 'ok']);
  const calls = await lab.calls(mark);
  assert.deepEqual(
    calls.filter((e) => e.verb === 'update').map((e) => [resourceOf(e), e.responseStatus?.code]),
    [
      ['nodecertificatereports/status', 200],
      ['nodecertificatereports/status', 409],
      ['nodecertificatereports/status', 200],
    ],
  );
  assert.deepEqual(
    calls
      .filter((e) => e.objectRef?.resource === 'nodecertificatereports' && e.verb !== 'get')
      .map((e) => [resourceOf(e), e.verb, e.responseStatus?.code]),
    [
      ['nodecertificatereports', 'patch', 200], // adopted: the owner reference
      ['nodecertificatereports/status', 'update', 200],
      ['nodecertificatereports/status', 'update', 409],
      ['nodecertificatereports/status', 'update', 200],
    ],
    'created by the old agent, never again',
  );
  assert.deepEqual(forbidden(calls), []);
  // The Node goes: kube-controller-manager's garbage collector removes its report.
  await cp.admin.ok('DELETE', `/api/v1/nodes/${node}`);
  await cp.waitFor('the report garbage-collected', 30_000, async () =>
    (await cp.admin.request('GET', reportPath(node))).status === 404 ? true : undefined,
  );
});

test('a publish that fails half-way still writes the rest, reports the failure, and is completed next cycle', async (t) => {
  const lab = await startCluster(t);
  if (!lab) return;
  const { cp, node, proxy } = lab;
  const client = lab.client();
  const now = new Date('2026-11-25T11:00:00Z');
  const p = [finding('NOT_RELOADED', 'critical', 'kube-apiserver')];
  proxy.inject(
    { kind: 'status', code: 500 },
    4,
    (m, path) => m === 'POST' && path.startsWith('/api/v1/namespaces/default/events'),
  );
  proxy.inject(
    { kind: 'truncate' },
    4,
    (m, path) => m === 'PATCH' && path === `/api/v1/nodes/${node}/status`,
  );
  const nodeStatus = new RegExp(`nodes/${node}/status: .*\\(after 4 attempts\\)`);
  await assert.rejects(
    publishNodeStatus(client, node, statusSpec(p, now, node), now),
    (e: unknown) =>
      e instanceof ClusterError &&
      nodeStatus.test(e.message) &&
      /and 1 more: .*events.*500/.test(e.message),
  );
  const report = (await cp.admin.get(reportPath(node))) as Obj & {
    status: { notReloaded: number };
  };
  assert.equal(report.status.notReloaded, 1, 'the report was written despite the failed event');
  // certdrift's own events: kube-controller-manager records some of its own on a new Node
  // (RegisteredNode), whenever it gets to it
  const events = async () =>
    (
      await cp.admin.list(
        `/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3D${node}`,
      )
    ).filter((e) => (e as { reportingComponent?: string }).reportingComponent === 'certdrift');
  assert.equal((await events()).length, 0);
  await publishNodeStatus(client, node, statusSpec(p, now, node), now);
  assert.equal((await events()).length, 1, 'the event is recorded on the next cycle');
  assert.equal(
    (await conditions(lab)).find((c) => c.type === CONDITION_STALE)?.reason,
    'CertificateNotReloaded',
  );
});

test('the token file is re-read when kubelet rotates it: at most every minute, and at once after a 401', async (t) => {
  const lab = await startCluster(t);
  if (!lab) return;
  const { cp, node, proxy } = lab;
  let clock = Date.now();
  const client = lab.client({}, () => clock);
  const first = await lab.rotate();
  const mark = cp.auditMark();
  await client.getNode(node);
  const second = await lab.rotate();
  clock += 30_000;
  await client.getNode(node);
  clock += 31_000;
  await client.getNode(node);
  const want = [tokenId(first), tokenId(first), tokenId(second)];
  assert.deepEqual(
    proxy.requests.slice(-3).map((r) => r.tokenId),
    want,
    'checked again only after 60 s',
  );
  // …and the server authenticated exactly those tokens.
  assert.deepEqual(
    (await lab.calls(mark)).map(
      (e) => e.user.extra?.['authentication.kubernetes.io/credential-id']?.[0],
    ),
    want.map((id) => `JTI=${id ?? ''}`),
  );
  // The token is revoked before the minute is up: one 401, the file re-read, the call retried.
  const third = await lab.rotate();
  await lab.revoke(second);
  proxy.requests.length = 0;
  await client.getNode(node);
  assert.deepEqual(
    proxy.requests.map((r) => [r.status, r.tokenId]),
    [
      [401, tokenId(second)],
      [200, tokenId(third)],
    ],
  );
  // kubelet stops renewing and the file keeps a token the server refuses: a clear error, not
  // a loop (re-reading the file gives the same token).
  writeFileSync(join(lab.saDir, 'token'), second);
  clock += 61_000;
  proxy.requests.length = 0;
  await assert.rejects(
    client.getNode(node),
    (e: unknown) => e instanceof ClusterError && e.status === 401,
  );
  assert.deepEqual(
    proxy.requests.map((r) => [r.status, r.tokenId]),
    [[401, tokenId(second)]],
  );
});
