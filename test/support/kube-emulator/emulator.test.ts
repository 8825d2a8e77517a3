// The emulation itself, spoken to with raw HTTPS: each rule it claims to enforce, enforced.

import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { KubeEmulator } from './server.js';
import { ruleAllows } from './rbac.js';
import { parseRequestInfo } from './request-info.js';
import { haveKubectl } from '../deploy-manifests.js';
import { raw } from './testing.js';

const info = (method: string, path: string) => {
  const i = parseRequestInfo(method, path, new URLSearchParams());
  assert.ok(i);
  return i;
};

test('RBAC: a rule on a resource never covers its subresources; */status and resourceNames as in evaluation_helpers.go', () => {
  const status = info('PUT', '/apis/certdrift.io/v1alpha1/nodecertificatereports/n1/status');
  assert.equal(status.verb, 'update');
  assert.equal(
    ruleAllows(
      { apiGroups: ['certdrift.io'], resources: ['nodecertificatereports'], verbs: ['update'] },
      status,
    ),
    false,
  );
  assert.equal(
    ruleAllows(
      {
        apiGroups: ['certdrift.io'],
        resources: ['nodecertificatereports/status'],
        verbs: ['update'],
      },
      status,
    ),
    true,
  );
  assert.equal(
    ruleAllows({ apiGroups: ['*'], resources: ['*/status'], verbs: ['*'] }, status),
    true,
  );
  assert.equal(
    ruleAllows(
      { apiGroups: [''], resources: ['nodecertificatereports/status'], verbs: ['update'] },
      status,
    ),
    false,
    'wrong group',
  );
  const create = info('POST', '/api/v1/namespaces/default/events');
  assert.equal(create.verb, 'create');
  assert.equal(
    ruleAllows(
      { apiGroups: [''], resources: ['events'], verbs: ['create'], resourceNames: ['x'] },
      create,
    ),
    false,
    'resourceNames never match a create',
  );
  assert.equal(info('GET', '/api/v1/nodes').verb, 'list');
  assert.equal(info('GET', '/api/v1/nodes/n1').verb, 'get');
  assert.equal(info('DELETE', '/api/v1/namespaces/a/pods').verb, 'deletecollection');
});

let emu: KubeEmulator;
let admin = '';
// The shipped manifests are rendered with kubectl; without it these tests skip (never under CI).
const ready = (t: TestContext): boolean => {
  if (haveKubectl()) return true;
  if (process.env.CI) throw new Error('kubectl is required under CI (renders deploy/base)');
  t.skip('kubectl is not installed (renders deploy/base)');
  return false;
};
before(async () => {
  if (!haveKubectl()) return;
  emu = new KubeEmulator();
  await emu.start();
  admin = emu.adminToken();
  emu.seed('', 'nodes', {
    metadata: { name: 'n1', labels: { a: 'b' } },
    status: { conditions: [] },
  });
});
after(async () => {
  if (haveKubectl()) await emu.stop();
});

test('authentication: no token is anonymous (403), a bad or expired token is 401', async (t) => {
  if (!ready(t)) return;
  const anon = await raw(emu, 'GET', '/api/v1/nodes/n1');
  assert.equal(anon.status, 403);
  assert.equal(
    anon.body.message,
    'nodes "n1" is forbidden: User "system:anonymous" cannot get resource "nodes" in API group "" at the cluster scope',
  );
  assert.equal((await raw(emu, 'GET', '/api/v1/nodes/n1', { token: 'nope' })).status, 401);
  const sa = emu.tokens.issue('certdrift', 'certdrift', 600);
  assert.equal((await raw(emu, 'GET', '/api/v1/nodes/n1', { token: sa })).status, 200);
  emu.advance(601);
  const expired = await raw(emu, 'GET', '/api/v1/nodes/n1', { token: sa });
  assert.equal(expired.status, 401);
  assert.equal(expired.body.reason, 'Unauthorized');
});

test('authorization from the shipped role: 403 with the real message shape, per namespace', async (t) => {
  if (!ready(t)) return;
  const sa = emu.tokens.issue('certdrift', 'certdrift', 600);
  const put = await raw(emu, 'PUT', '/api/v1/nodes/n1', {
    token: sa,
    body: { metadata: { name: 'n1' } },
  });
  assert.equal(put.status, 403);
  assert.equal(put.body.reason, 'Forbidden');
  assert.deepEqual(put.body.details, { name: 'n1', group: '', kind: 'nodes' });
  assert.match(
    String(put.body.message),
    /User "system:serviceaccount:certdrift:certdrift" cannot update resource "nodes" in API group "" at the cluster scope$/,
  );
  const ev = {
    metadata: { name: 'e1' },
    involvedObject: { kind: 'Node', name: 'n1' },
    reason: 'R',
    message: 'm',
  };
  assert.equal(
    (await raw(emu, 'POST', '/api/v1/namespaces/default/events', { token: sa, body: ev })).status,
    201,
  );
  const elsewhere = await raw(emu, 'POST', '/api/v1/namespaces/kube-system/events', {
    token: sa,
    body: ev,
  });
  assert.equal(elsewhere.status, 403, 'the events Role binds only in default');
  assert.match(
    String(elsewhere.body.message),
    /^events is forbidden: .* cannot create resource "events" in API group "" in the namespace "kube-system"$/,
  );
  assert.equal(
    (await raw(emu, 'GET', '/api/v1/namespaces/default/events/e1', { token: sa })).status,
    403,
    'no get on events',
  );
});

test('custom resources: pruning, enum validation, status dropped on create, 422 unconditional update, 409 stale', async (t) => {
  if (!ready(t)) return;
  const path = '/apis/certdrift.io/v1alpha1/nodecertificatereports';
  const made = await raw(emu, 'POST', path, {
    token: admin,
    body: {
      apiVersion: 'certdrift.io/v1alpha1',
      kind: 'NodeCertificateReport',
      metadata: { name: 'r1', labels: { l: 'v' } },
      status: { staleViews: 3 },
      spec: { x: 1 },
      junk: true,
    },
  });
  assert.equal(made.status, 201);
  const meta = made.body.metadata as {
    generation: number;
    creationTimestamp: string;
    labels: object;
    resourceVersion: string;
  };
  assert.equal(meta.generation, 1);
  assert.match(meta.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'whole seconds');
  assert.deepEqual(meta.labels, { l: 'v' });
  assert.equal(made.body.status, undefined, 'status of a create is dropped');
  assert.equal(made.body.junk, undefined, 'undeclared fields are pruned');
  assert.equal(made.body.spec, undefined, 'the schema declares no spec');
  const st = await raw(emu, 'GET', `${path}/r1/status`, { token: admin });
  assert.equal(st.status, 200);
  const body = {
    metadata: { name: 'r1' },
    status: { staleViews: 1, worstSeverity: 'ok', scannedAt: '2026-11-25T10:00:00Z' },
  };
  const unconditional = await raw(emu, 'PUT', `${path}/r1/status`, { token: admin, body });
  assert.equal(unconditional.status, 422);
  assert.match(
    String(unconditional.body.message),
    /metadata.resourceVersion: Invalid value: 0x0: must be specified for an update/,
  );
  const ok = await raw(emu, 'PUT', `${path}/r1/status`, {
    token: admin,
    body: { ...body, metadata: { name: 'r1', resourceVersion: meta.resourceVersion } },
  });
  assert.equal(ok.status, 200);
  const stale = await raw(emu, 'PUT', `${path}/r1/status`, {
    token: admin,
    body: { ...body, metadata: { name: 'r1', resourceVersion: meta.resourceVersion } },
  });
  assert.equal(stale.status, 409);
  assert.equal(stale.body.reason, 'Conflict');
  const rv = (ok.body.metadata as { resourceVersion: string }).resourceVersion;
  const bad = await raw(emu, 'PUT', `${path}/r1/status`, {
    token: admin,
    body: {
      metadata: { name: 'r1', resourceVersion: rv },
      status: { worstSeverity: 'awful', staleViews: 'x' },
    },
  });
  assert.equal(bad.status, 422);
  assert.match(String(bad.body.message), /status.worstSeverity: Unsupported value: "awful"/);
  const smp = await raw(emu, 'PATCH', `${path}/r1`, {
    token: admin,
    body: {},
    contentType: 'application/strategic-merge-patch+json',
  });
  assert.equal(smp.status, 415, 'no strategic merge on custom resources');
});

test('built-ins: all three patch types on nodes; status subresource changes status only; whole-second times', async (t) => {
  if (!ready(t)) return;
  const p = '/api/v1/nodes/n1';
  const cond = {
    type: 'X',
    status: 'True',
    reason: 'r',
    message: 'm',
    lastTransitionTime: '2026-11-25T10:00:00.123Z',
  };
  const smp = await raw(emu, 'PATCH', `${p}/status`, {
    token: admin,
    body: { status: { conditions: [cond] }, metadata: { labels: { sneaky: 'y' } } },
    contentType: 'application/strategic-merge-patch+json',
  });
  assert.equal(smp.status, 200);
  const n = smp.body as {
    metadata: { labels: object };
    status: { conditions: { lastTransitionTime: string }[] };
  };
  assert.deepEqual(
    n.metadata.labels,
    { a: 'b' },
    'the status subresource ignores metadata changes',
  );
  assert.equal(n.status.conditions[0]?.lastTransitionTime, '2026-11-25T10:00:00Z');
  const merge = await raw(emu, 'PATCH', p, {
    token: admin,
    body: { spec: { unschedulable: true }, status: { conditions: [] } },
    contentType: 'application/merge-patch+json',
  });
  assert.equal(merge.status, 200);
  assert.equal(
    (merge.body.status as { conditions: unknown[] }).conditions.length,
    1,
    'the main resource ignores status',
  );
  const json = await raw(emu, 'PATCH', p, {
    token: admin,
    body: [
      { op: 'test', path: '/spec/unschedulable', value: true },
      { op: 'remove', path: '/spec/unschedulable' },
    ],
    contentType: 'application/json-patch+json',
  });
  assert.equal(json.status, 200);
  assert.deepEqual(json.body.spec, {});
  const failed = await raw(emu, 'PATCH', p, {
    token: admin,
    body: [{ op: 'test', path: '/spec/unschedulable', value: true }],
    contentType: 'application/json-patch+json',
  });
  assert.equal(failed.status, 422);
});

test('events expire after the event TTL (1 h): a GET after a 409 may be a 404', async (t) => {
  if (!ready(t)) return;
  const ev = {
    metadata: { name: 'ttl' },
    involvedObject: { kind: 'Node', name: 'n1' },
    reason: 'R',
    message: 'm',
  };
  assert.equal(
    (await raw(emu, 'POST', '/api/v1/namespaces/default/events', { token: admin, body: ev }))
      .status,
    201,
  );
  assert.equal(
    (await raw(emu, 'POST', '/api/v1/namespaces/default/events', { token: admin, body: ev }))
      .status,
    409,
  );
  emu.advance(3600);
  assert.equal(
    (await raw(emu, 'GET', '/api/v1/namespaces/default/events/ttl', { token: admin })).status,
    404,
  );
});

test('lists are paginated with limit and continue', async (t) => {
  if (!ready(t)) return;
  for (const n of ['n2', 'n3', 'n4']) emu.seed('', 'nodes', { metadata: { name: n } });
  const p1 = await raw(emu, 'GET', '/api/v1/nodes?limit=3', { token: admin });
  const m1 = p1.body.metadata as { continue: string; remainingItemCount: number };
  assert.deepEqual(
    (p1.body.items as { metadata: { name: string } }[]).map((i) => i.metadata.name),
    ['n1', 'n2', 'n3'],
  );
  assert.equal(m1.remainingItemCount, 1);
  const p2 = await raw(
    emu,
    'GET',
    `/api/v1/nodes?limit=3&continue=${encodeURIComponent(m1.continue)}`,
    { token: admin },
  );
  assert.deepEqual(
    (p2.body.items as { metadata: { name: string } }[]).map((i) => i.metadata.name),
    ['n4'],
  );
  assert.equal((p2.body.metadata as { continue?: string }).continue, undefined);
  assert.equal(p2.body.kind, 'NodeList');
  assert.equal(
    (await raw(emu, 'GET', '/api/v1/nodes?labelSelector=a%3Db', { token: admin })).body
      .items instanceof Array,
    true,
  );
  assert.equal((await raw(emu, 'GET', '/api/v1/nodes?continue=%%%', { token: admin })).status, 400);
});

test('faults: 429 with Retry-After, 503, truncated and slow bodies', async (t) => {
  if (!ready(t)) return;
  emu.faults.inject({ kind: 'status', code: 429, retryAfterSeconds: 7 });
  const r = await raw(emu, 'GET', '/api/v1/nodes/n1', { token: admin });
  assert.equal(r.status, 429);
  assert.equal(r.headers['retry-after'], '7');
  emu.faults.inject({ kind: 'status', code: 503 });
  assert.equal((await raw(emu, 'GET', '/api/v1/nodes/n1', { token: admin })).status, 503);
  emu.faults.inject({ kind: 'truncate' });
  await assert.rejects(raw(emu, 'GET', '/api/v1/nodes/n1', { token: admin }));
  emu.faults.inject({ kind: 'slow', delayMs: 150 });
  const t0 = Date.now();
  assert.equal((await raw(emu, 'GET', '/api/v1/nodes/n1', { token: admin })).status, 200);
  assert.ok(Date.now() - t0 >= 140);
});

test('a patch that changes nothing writes nothing: same resourceVersion (etcd3 GuaranteedUpdate)', async (t) => {
  if (!ready(t)) return;
  const p = '/api/v1/nodes/n1';
  const merge = (annotations: Record<string, string>) =>
    raw(emu, 'PATCH', p, {
      token: admin,
      body: { metadata: { annotations } },
      contentType: 'application/merge-patch+json',
    });
  const rv = (r: { body: Record<string, unknown> }) =>
    (r.body.metadata as { resourceVersion: string }).resourceVersion;
  const first = await merge({ 'example.com/noop': 'a' });
  assert.equal(first.status, 200);
  const again = await merge({ 'example.com/noop': 'a' });
  assert.equal(again.status, 200);
  assert.equal(rv(again), rv(first), 'the same annotation again: no new revision');
  const changed = await merge({ 'example.com/noop': 'b' });
  assert.notEqual(rv(changed), rv(first), 'a real change is a new revision');
});

test('sizes: maxItems and maxLength are 422s, an object over etcd’s 1.5 MiB a 500, a body over 3 MiB a 413', async (t) => {
  if (!ready(t)) return;
  const path = '/apis/certdrift.io/v1alpha1/nodecertificatereports';
  const made = await raw(emu, 'POST', path, {
    token: admin,
    body: {
      apiVersion: 'certdrift.io/v1alpha1',
      kind: 'NodeCertificateReport',
      metadata: { name: 'big' },
    },
  });
  assert.equal(made.status, 201);
  const rv = (made.body.metadata as { resourceVersion: string }).resourceVersion;
  const put = (status: unknown): ReturnType<typeof raw> =>
    raw(emu, 'PUT', `${path}/big/status`, {
      token: admin,
      body: { metadata: { name: 'big', resourceVersion: rv }, status },
    });
  const entry = { serial: '0A', lastSeen: '2026-11-25T10:00:00Z' };
  const loc = (p: string, n = 1) => ({ kind: 'file', path: p, entries: Array(n).fill(entry) });
  const tooMany = await put({ ledger: { locations: [loc('/a', 6)] } });
  assert.equal(tooMany.status, 422);
  assert.match(
    String(tooMany.body.message),
    /status.ledger.locations\[0\].entries: Too many: 6: must have at most 5 items/,
  );
  const tooLong = await put({ ledger: { locations: [loc('/'.repeat(4097))] } });
  assert.equal(tooLong.status, 422);
  assert.match(String(tooLong.body.message), /path: Too long: may not be more than 4096/);
  // 1,000 locations of ~2 KiB: valid by the schema, 2 MiB of JSON — etcd refuses it
  const big = Array.from({ length: 1000 }, (_, i) => loc(`/${String(i)}`.padEnd(2000, 'x')));
  const etcd = await put({ ledger: { locations: big } });
  assert.equal(etcd.status, 500);
  assert.match(String(etcd.body.message), /etcdserver: request is too large/);
  const huge = Array.from({ length: 1000 }, (_, i) => loc(`/${String(i)}`.padEnd(4000, 'x')));
  const body = await put({ ledger: { locations: huge } });
  assert.equal(body.status, 413);
  assert.match(String(body.body.message), /Request entity too large: limit is 3145728/);
  assert.equal((await put({ ledger: { locations: [loc('/ok')] } })).status, 200);
});
