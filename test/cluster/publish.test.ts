// Publishing against the API emulation as the agent runs in its pod: the shipped RBAC enforced,
// the service-account token rotating underneath, faults injected. Conditions set and cleared
// (others' untouched), events de-duplicated without `get`, expired events re-created, the report
// owned by its Node and updated through a conflict, and a half-failed publish completed later.

import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { publishNodeStatus } from '../../src/adapters/kube/publish.js';
import { ClusterError } from '../../src/model/cluster.js';
import { CONDITION_EXPIRING, CONDITION_STALE } from '../../src/agent/node-status.js';
import { haveKubectl, tokenId, type KObj } from '../support/kube-emulator/index.js';
import { finding, statusSpec } from './spec.js';
import { needKubectl, startCluster, type ClusterLab } from './setup.js';

let lab: ClusterLab;
before(async () => {
  if (haveKubectl()) lab = await startCluster();
});
after(async () => {
  if (haveKubectl()) await lab.emu.stop();
});
beforeEach(() => {
  lab.emu.requests.length = 0;
  lab.emu.faults.clear();
});

interface Cond {
  type: string;
  status: string;
  reason: string;
  lastTransitionTime?: string;
  lastHeartbeatTime?: string;
}
const conditions = (): Cond[] =>
  (lab.emu.find('', 'nodes', 'n1')?.status as { conditions: Cond[] }).conditions;
const forbidden = () => lab.emu.requests.filter((r) => r.code === 403);

test('conditions are set while problems last and cleared after, through 503 and 429 (Retry-After honoured)', async (t) => {
  if (!needKubectl(t)) return;
  const client = lab.client({}, lab.emu.now);
  lab.emu.faults.inject({ kind: 'status', code: 503 }, 1, (m) => m === 'GET');
  lab.emu.faults.inject(
    { kind: 'status', code: 429, retryAfterSeconds: 3 },
    1,
    (m) => m === 'PATCH',
  );
  const t1 = new Date('2026-11-25T10:00:00.700Z');
  const problems = [
    finding('CERT_EXPIRING', 'critical', '/var/lib/kube-proxy/kubeconfig'),
    finding('STALE_VIEW', 'critical', 'container/kube-proxy'),
  ];
  await publishNodeStatus(client, 'n1', statusSpec(problems, t1), t1);
  assert.deepEqual(
    conditions().map((c) => [c.type, c.status, c.reason, c.lastTransitionTime]),
    [
      ['Ready', 'True', 'KubeletReady', undefined],
      [CONDITION_EXPIRING, 'True', 'CertificateExpiring', '2026-11-25T10:00:00Z'],
      [CONDITION_STALE, 'True', 'StaleCertificateView', '2026-11-25T10:00:00Z'],
    ],
  );
  assert.ok(
    lab.sleeps.includes(3000),
    `Retry-After: 3 was honoured (slept ${lab.sleeps.join(', ')} ms)`,
  );
  assert.ok(lab.emu.requests.every((r) => r.userAgent === 'certdrift/test'));

  const t2 = new Date('2026-11-25T10:05:00Z');
  await publishNodeStatus(client, 'n1', statusSpec([], t2), t2);
  const t3 = new Date('2026-11-25T10:10:00Z');
  await publishNodeStatus(client, 'n1', statusSpec([], t3), t3);
  const stale = conditions().find((c) => c.type === CONDITION_STALE);
  assert.equal(stale?.status, 'False');
  assert.equal(
    stale.lastTransitionTime,
    '2026-11-25T10:05:00Z',
    'no transition, no new transition time',
  );
  assert.equal(stale.lastHeartbeatTime, '2026-11-25T10:10:00Z');
  assert.deepEqual(forbidden(), []);
});

test('events: one per problem, counted without `get`; after a restart (409) and after the TTL (404)', async (t) => {
  if (!needKubectl(t)) return;
  const p = [finding('CERT_EXPIRING', 'warning', '/srv/kubernetes/kubelet-server.crt')];
  const now = new Date('2026-11-25T10:00:00Z');
  const name = statusSpec(p, now).events[0]?.name;
  const events = () =>
    (
      lab.emu.store.list(lab.emu.type('', 'events'), 'default') as (KObj & {
        count: number;
        reason: string;
        involvedObject: object;
      })[]
    ).filter((e) => e.metadata.name === name);
  const client = lab.client({}, lab.emu.now);
  await publishNodeStatus(client, 'n1', statusSpec(p, now), now);
  await publishNodeStatus(client, 'n1', statusSpec(p, now), now);
  assert.equal(events().length, 1);
  assert.equal(events()[0]?.count, 2);
  assert.equal(events()[0]?.reason, 'CertificateExpirationWarning');
  const node = lab.emu.find('', 'nodes', 'n1');
  assert.deepEqual(events()[0]?.involvedObject, {
    apiVersion: 'v1',
    kind: 'Node',
    name: 'n1',
    uid: node?.metadata.uid,
  });
  // The agent restarts: it does not know the count, the create answers 409.
  await publishNodeStatus(lab.client({}, lab.emu.now), 'n1', statusSpec(p, now), now);
  assert.equal(events()[0]?.count, 3);
  assert.ok(lab.emu.requests.some((r) => r.resource === 'events' && r.code === 409));
  // An hour later the event has expired; the patch finds nothing and it is created again.
  lab.emu.advance(3601);
  lab.rotate(); // kubelet rotated the token meanwhile; the old one has expired
  await publishNodeStatus(client, 'n1', statusSpec(p, now), now);
  assert.equal(events()[0]?.count, 1);
  assert.ok(
    lab.emu.requests.some((r) => r.resource === 'events' && r.method === 'PATCH' && r.code === 404),
  );
  assert.ok(
    !lab.emu.requests.some((r) => r.resource === 'events' && r.method === 'GET'),
    'never GETs an event',
  );
  assert.deepEqual(forbidden(), []);
});

test('the report is owned by its Node, created once, updated through a conflicting writer; an ownerless one is adopted', async (t) => {
  if (!needKubectl(t)) return;
  const client = lab.client({}, lab.emu.now);
  const now = new Date('2026-11-25T10:00:00Z');
  const reports = lab.emu.type('certdrift.io', 'nodecertificatereports');
  // A report from an agent version that wrote no owner.
  lab.emu.store.create(reports, { metadata: { name: 'n1' } });
  await publishNodeStatus(
    client,
    'n1',
    statusSpec([finding('STALE_VIEW', 'critical', 'x')], now),
    now,
  );
  const node = lab.emu.find('', 'nodes', 'n1');
  const r1 = lab.emu.find('certdrift.io', 'nodecertificatereports', 'n1') as KObj & {
    status: { staleViews: number };
  };
  assert.deepEqual(r1.metadata.ownerReferences, [
    { apiVersion: 'v1', kind: 'Node', name: 'n1', uid: node?.metadata.uid },
  ]);
  assert.equal(r1.status.staleViews, 1);
  // Another writer updates the report between our GET and our PUT.
  let raced = false;
  lab.emu.addSpecial((info) => {
    if (!raced && info.subresource === 'status' && info.verb === 'update') {
      raced = true;
      const cur = lab.emu.find('certdrift.io', 'nodecertificatereports', 'n1');
      if (cur) lab.emu.store.write(reports, cur);
    }
    return undefined;
  });
  await publishNodeStatus(client, 'n1', statusSpec([], now), now);
  const r2 = lab.emu.find('certdrift.io', 'nodecertificatereports', 'n1') as KObj & {
    status: { staleViews: number; worstSeverity: string };
  };
  assert.deepEqual([r2.status.staleViews, r2.status.worstSeverity], [0, 'ok']);
  const puts = lab.emu.requests.filter((r) => r.method === 'PUT');
  assert.deepEqual(
    puts.map((r) => r.code),
    [200, 409, 200],
  );
  assert.deepEqual(forbidden(), []);
});

test('a publish that fails half-way still writes the rest, reports the failure, and is completed next cycle', async (t) => {
  if (!needKubectl(t)) return;
  const client = lab.client({}, lab.emu.now);
  const now = new Date('2026-11-25T11:00:00Z');
  const p = [finding('NOT_RELOADED', 'critical', 'kube-apiserver')];
  lab.emu.faults.inject(
    { kind: 'status', code: 500 },
    4,
    (m, i) => m === 'POST' && i?.resource === 'events',
  );
  lab.emu.faults.inject(
    { kind: 'truncate' },
    4,
    (m, i) => m === 'PATCH' && i?.resource === 'nodes',
  );
  await assert.rejects(
    publishNodeStatus(client, 'n1', statusSpec(p, now), now),
    (e: unknown) =>
      e instanceof ClusterError &&
      /nodes\/n1\/status: .*\(after 4 attempts\)/.test(e.message) &&
      /and 1 more: .*events.*500/.test(e.message),
  );
  const report = lab.emu.find('certdrift.io', 'nodecertificatereports', 'n1') as KObj & {
    status: { notReloaded: number };
  };
  assert.equal(report.status.notReloaded, 1, 'the report was written despite the failed event');
  const before = lab.emu.store.list(lab.emu.type('', 'events'), 'default').length;
  await publishNodeStatus(client, 'n1', statusSpec(p, now), now);
  assert.equal(
    lab.emu.store.list(lab.emu.type('', 'events'), 'default').length,
    before + 1,
    'the event is recorded on the next cycle',
  );
  assert.equal(
    conditions().find((c) => c.type === CONDITION_STALE)?.reason,
    'CertificateNotReloaded',
  );
});

test('the token file is re-read when kubelet rotates it: at most every minute, and at once after a 401', async (t) => {
  if (!needKubectl(t)) return;
  let clock = lab.emu.now();
  const client = lab.client({}, () => clock);
  const first = lab.rotate();
  await client.getNode('n1');
  const second = lab.rotate();
  clock += 30_000;
  await client.getNode('n1');
  clock += 31_000;
  await client.getNode('n1');
  const used = lab.emu.requests.slice(-3).map((r) => r.credential);
  assert.deepEqual(
    used,
    [tokenId(first), tokenId(first), tokenId(second)],
    'checked again only after 60 s',
  );
  // The token is revoked before the minute is up: one 401, the file re-read, the call retried.
  const third = lab.rotate();
  lab.emu.tokens.revoke(second);
  lab.emu.requests.length = 0;
  await client.getNode('n1');
  assert.deepEqual(
    lab.emu.requests.map((r) => [r.code, r.credential]),
    [
      [401, tokenId(second)],
      [200, tokenId(third)],
    ],
  );
  // Expired and never renewed: a clear error, not a loop.
  lab.emu.tokens.revoke(third);
  await assert.rejects(
    client.getNode('n1'),
    (e: unknown) => e instanceof ClusterError && e.status === 401,
  );
  lab.rotate();
});
