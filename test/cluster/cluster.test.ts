// The Kubernetes side against the in-process API emulation: conditions set and cleared (others'
// conditions untouched), events de-duplicated, the report created then updated through a
// conflict, and the errors of an API server that is down.

import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeconfigConnection } from '../../src/cluster/connect.js';
import { HttpCluster } from '../../src/cluster/http-cluster.js';
import { publishNodeStatus } from '../../src/cluster/publish.js';
import { ClusterError } from '../../src/cluster/types.js';
import {
  CONDITION_EXPIRING,
  CONDITION_STALE,
  desiredConditions,
  desiredEvents,
  desiredReport,
} from '../../src/plan/node-status.js';
import type { Finding } from '../../src/model.js';
import { inventory } from '../support/inventory.js';
import { FakeApiServer } from '../support/fake-apiserver.js';

let api: FakeApiServer;
let url = '';
before(async () => {
  api = new FakeApiServer();
  url = await api.start();
});
after(() => api.stop());
beforeEach(() => {
  api.nodes.clear();
  api.events.clear();
  api.reports.clear();
  api.requests.length = 0;
  api.down = false;
  api.token = undefined;
  api.addNode('n1', [
    {
      type: 'Ready',
      status: 'True',
      reason: 'KubeletReady',
      message: 'kubelet is posting ready status',
    },
  ]);
});

const finding = (
  code: Finding['code'],
  severity: Finding['severity'],
  subject: string,
): Finding => ({
  code,
  severity,
  title: `${code} on ${subject}`,
  evidence: {},
  remedy: 'do it',
  subject,
});
const spec = (findings: Finding[], now: Date) => ({
  conditions: desiredConditions(findings),
  events: desiredEvents('n1', findings),
  report: desiredReport(inventory([]), findings, null, now),
});
const conditions = () =>
  (
    api.nodes.get('n1')?.status as {
      conditions: {
        type: string;
        status: string;
        reason: string;
        lastTransitionTime?: string;
        lastHeartbeatTime?: string;
      }[];
    }
  ).conditions;

test('conditions are set while problems last and cleared after; other conditions are untouched', async () => {
  const client = new HttpCluster({ server: url });
  const t1 = new Date('2026-11-25T10:00:00Z');
  const problems = [
    finding('CERT_EXPIRING', 'critical', '/var/lib/kube-proxy/kubeconfig'),
    finding('STALE_VIEW', 'critical', 'container/kube-proxy'),
  ];
  await publishNodeStatus(client, 'n1', spec(problems, t1), t1);
  assert.deepEqual(
    conditions().map((c) => [c.type, c.status, c.reason]),
    [
      ['Ready', 'True', 'KubeletReady'],
      [CONDITION_EXPIRING, 'True', 'CertificateExpiring'],
      [CONDITION_STALE, 'True', 'StaleCertificateView'],
    ],
  );
  assert.ok(
    api.requests.some(
      (r) => r.method === 'PATCH' && r.contentType === 'application/strategic-merge-patch+json',
    ),
  );

  const t2 = new Date('2026-11-25T10:05:00Z');
  await publishNodeStatus(client, 'n1', spec([], t2), t2);
  assert.deepEqual(
    conditions().map((c) => [c.type, c.status, c.lastTransitionTime]),
    [
      ['Ready', 'True', undefined],
      [CONDITION_EXPIRING, 'False', t2.toISOString()],
      [CONDITION_STALE, 'False', t2.toISOString()],
    ],
  );

  const t3 = new Date('2026-11-25T10:10:00Z');
  await publishNodeStatus(client, 'n1', spec([], t3), t3);
  const stale = conditions().find((c) => c.type === CONDITION_STALE);
  assert.equal(
    stale?.lastTransitionTime,
    t2.toISOString(),
    'no transition, no new transition time',
  );
  assert.equal(stale.lastHeartbeatTime, t3.toISOString());
});

test('the same problem twice is one Event with count 2', async () => {
  const client = new HttpCluster({ server: url });
  const p = [finding('CERT_EXPIRING', 'warning', '/srv/kubernetes/kubelet-server.crt')];
  const now = new Date('2026-11-25T10:00:00Z');
  await publishNodeStatus(client, 'n1', spec(p, now), now);
  await publishNodeStatus(client, 'n1', spec(p, now), now);
  assert.equal(api.events.size, 1);
  const ev = [...api.events.values()][0] as unknown as {
    reason: string;
    count: number;
    involvedObject: { kind: string; name: string; uid: string };
  };
  assert.equal(ev.reason, 'CertificateExpirationWarning');
  assert.equal(ev.count, 2);
  assert.deepEqual(ev.involvedObject, {
    apiVersion: 'v1',
    kind: 'Node',
    name: 'n1',
    uid: 'uid-n1',
  });
});

test('the report is created, then updated through a conflicting writer', async () => {
  const client = new HttpCluster({ server: url });
  const now = new Date('2026-11-25T10:00:00Z');
  await publishNodeStatus(client, 'n1', spec([finding('STALE_VIEW', 'critical', 'x')], now), now);
  const r1 = api.reports.get('n1') as unknown as {
    status: { staleViews: number; worstSeverity: string };
  };
  assert.equal(r1.status.staleViews, 1);
  api.conflicts = 1;
  await publishNodeStatus(client, 'n1', spec([], now), now);
  const r2 = api.reports.get('n1') as unknown as {
    status: { staleViews: number; worstSeverity: string };
  };
  assert.deepEqual([r2.status.staleViews, r2.status.worstSeverity], [0, 'ok']);
  assert.equal(
    api.requests.filter((r) => r.method === 'PUT').length,
    3,
    'one PUT, one conflict and its retry',
  );
});

test('the emulation rejects a JSON-patch (the client must send strategic merge)', async () => {
  const res = await fetch(`${url}/api/v1/nodes/n1/status`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json-patch+json' },
    body: '[]',
  });
  assert.equal(res.status, 415);
  assert.equal(((await res.json()) as { reason: string }).reason, 'UnsupportedMediaType');
});

test('an API server that is down or a node that does not exist is a ClusterError', async () => {
  const client = new HttpCluster({ server: url });
  await assert.rejects(
    client.getNode('ghost'),
    (e: unknown) =>
      e instanceof ClusterError && e.status === 404 && /nodes "ghost" not found/.test(e.message),
  );
  api.down = true;
  await assert.rejects(
    publishNodeStatus(client, 'n1', spec([], new Date()), new Date()),
    (e: unknown) => e instanceof ClusterError && e.status === 503,
  );
  const nowhere = new HttpCluster({ server: 'http://127.0.0.1:1', timeoutMs: 500 });
  await assert.rejects(nowhere.getNode('n1'), /ECONNREFUSED/);
});

test('kubeconfig connection: server, CA and token from the current context', () => {
  const dir = mkdtempSync(join(tmpdir(), 'certdrift-kc-'));
  const p = join(dir, 'config');
  writeFileSync(
    p,
    `apiVersion: v1\nkind: Config\ncurrent-context: b\ncontexts:\n- name: a\n  context: {cluster: one, user: u1}\n- name: b\n  context: {cluster: two, user: u2}\nclusters:\n- name: one\n  cluster: {server: https://one}\n- name: two\n  cluster: {server: https://two:6443, certificate-authority-data: ${Buffer.from('CA').toString('base64')}}\nusers:\n- name: u1\n  user: {token: t1}\n- name: u2\n  user: {token: t2}\n`,
  );
  const c = kubeconfigConnection(p);
  assert.equal(c.server, 'https://two:6443');
  assert.equal(c.token, 't2');
  assert.equal(c.ca?.toString(), 'CA');
});

test('the agent publishes through a kubeconfig: conditions follow scans, API outages only mark the source down', async () => {
  const { AgentLoop } = await import('../../src/agent/loop.js');
  const { AgentMetrics } = await import('../../src/agent/metrics.js');
  const { kubernetesPublisher } = await import('../../src/cli/commands/agent.js');
  const dir = mkdtempSync(join(tmpdir(), 'certdrift-kc-'));
  writeFileSync(
    join(dir, 'config'),
    `apiVersion: v1\nkind: Config\ncurrent-context: c\ncontexts:\n- {name: c, context: {cluster: k, user: u}}\nclusters:\n- {name: k, cluster: {server: '${url}'}}\nusers:\n- {name: u, user: {token: secret}}\n`,
  );
  const publish = await kubernetesPublisher(join(dir, 'config'), 'n1', {
    stdout: process.stdout,
    stderr: process.stderr,
    env: {},
  });
  assert.ok(publish);
  api.token = 'secret'; // the kubeconfig's token must reach the API server
  const outcomes = [[finding('STALE_VIEW', 'critical', 'container/kube-proxy')], [], []];
  let i = 0;
  const metrics = new AgentMetrics('n1');
  const logs: string[] = [];
  const loop = new AgentLoop(
    {
      scan: () =>
        Promise.resolve({
          inventory: inventory([]),
          findings: outcomes[i++] ?? [],
          lifetime: null,
          now: new Date(`2026-11-25T10:0${i}:00Z`),
          durationSeconds: 0.1,
        }),
      metrics,
      clock: { now: () => new Date(), sleep: () => Promise.resolve() },
      random: () => 0.5,
      log: (m) => logs.push(m),
      publish,
    },
    { intervalMs: 1000, jitter: 0 },
  );
  await loop.once();
  assert.equal(conditions().find((c) => c.type === CONDITION_STALE)?.status, 'True');
  assert.match(metrics.current(), /certdrift_source_up\{node="n1",source="kubernetes"\} 1/);
  await loop.once();
  assert.equal(conditions().find((c) => c.type === CONDITION_STALE)?.status, 'False');
  api.down = true;
  await loop.once();
  assert.ok(loop.ready);
  assert.match(metrics.current(), /certdrift_source_up\{node="n1",source="kubernetes"\} 0/);
  assert.match(
    logs.join('\n'),
    /publish failed \(will retry next scan\): Kubernetes GET \/api\/v1\/nodes\/n1: 503/,
  );
  assert.ok(
    api.requests.every(
      (r) => r.method !== 'PATCH' || r.contentType !== 'application/json-patch+json',
    ),
  );
});
