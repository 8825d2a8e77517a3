// The agent's endpoint as the shipped manifests run it, against the real API server: HTTPS with
// a certificate from files (a mounted Secret) reloaded under the running agent, and /metrics only
// for bearer tokens the API server authenticates (TokenReview) and authorizes for GET /metrics
// (SubjectAccessReview) — the agent's identity and the ClusterRoles are deploy/base's own, applied
// for real. A token with certdrift-metrics-reader reads; without it 403; none or a revoked one
// 401; a flood of bad tokens makes at most the rate limit's reviews (counted in the API server's
// audit log); removing either new rule of the agent's role refuses exactly that review; and a
// real Prometheus scrapes with a bearer token and a ServiceMonitor-shaped TLS config.

import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';

import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { issue, type Issued } from '../support/certs.js';
import { install, type Installed } from '../support/control-plane/install.js';
import { useControlPlane, type ControlPlane } from '../support/control-plane/index.js';
import { renderDeploy } from '../support/deploy-manifests.js';
import { BIN } from '../support/scan.js';
import { requireTool } from '../monitoring/prometheus-tools.js';
import { freePort } from '../support/free-port.js';

const SERVER_NAME = 'certdrift.certdrift.svc';

interface World {
  cp: ControlPlane;
  installed: Installed;
  ns: string;
  agentUser: string;
  port: number;
  work: string;
  ca: Issued;
  agent: ChildProcess;
  log: () => string;
  tokens: { reader: string; nobody: string };
}

let setup: Promise<World | undefined> | undefined;
const cleanups: (() => unknown)[] = [];

async function leaf(ca: Issued, seed: string): Promise<Issued> {
  const now = Date.now();
  return issue({
    cn: SERVER_NAME,
    key: 'p256',
    eku: ['serverAuth'],
    sans: [`DNS:${SERVER_NAME}`, 'IP:127.0.0.1'],
    issuer: ca,
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + 86_400_000),
    seed,
  });
}

/** Writes cert and key as kubelet updates a Secret volume would: each file replaced atomically. */
function writePair(dir: string, pair: Issued): void {
  for (const [name, content] of [
    ['tls.crt', pair.pem],
    ['tls.key', pair.keyPem],
  ] as const) {
    writeFileSync(join(dir, `.${name}.tmp`), content, { mode: 0o600 });
    renameSync(join(dir, `.${name}.tmp`), join(dir, name));
  }
}

async function start(cp: ControlPlane): Promise<World> {
  const cleanup = { after: (fn: () => unknown) => cleanups.push(fn) };
  const installed = await install(cp, cleanup, renderDeploy('base'));
  const ns = installed.namespace;
  const agentToken = await cp.token(ns, 'certdrift', { create: false });
  const reader = await cp.token(ns, 'prometheus');
  const nobody = await cp.token(ns, 'nobody');
  const role = installed.renamed.get('ClusterRole//certdrift-metrics-reader');
  assert.ok(role, 'deploy/base ships certdrift-metrics-reader');
  await cp.admin.apply({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: `${ns}-prometheus` },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: [{ kind: 'ServiceAccount', name: 'prometheus', namespace: ns }],
  });
  cleanups.push(() =>
    cp.admin.request(
      'DELETE',
      `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${ns}-prometheus`,
    ),
  );
  const work = mkdtempSync(join(tmpdir(), 'certdrift-metrics-tls-'));
  cleanups.push(() => rmSync(work, { recursive: true, force: true }));
  const now = Date.now();
  const ca = await issue({
    cn: 'certdrift-agent-ca',
    isCA: true,
    key: 'p256',
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + 86_400_000),
    seed: `agent-ca|${now}`,
  });
  writeFileSync(join(work, 'ca.crt'), ca.pem);
  writePair(work, await leaf(ca, `agent-1|${now}`));
  // One certificate to scan: this suite is about the endpoint, not the scan.
  mkdirSync(join(work, 'host', 'etc', 'kubernetes', 'pki'), { recursive: true });
  writeFileSync(join(work, 'host', 'etc', 'kubernetes', 'pki', 'ca.crt'), ca.pem);
  const port = await freePort();
  const node = `${ns}-node`;
  await cp.node(node);
  cleanups.push(() => cp.admin.request('DELETE', `/api/v1/nodes/${node}`));
  const agent = spawn(
    process.execPath,
    [
      BIN,
      'agent',
      '--host-root',
      join(work, 'host'),
      '--runtime-endpoint',
      'none',
      '--no-probe',
      '--state-dir',
      'none',
      '--kubernetes',
      cp.kubeconfig(agentToken, work),
      '--listen',
      `127.0.0.1:${String(port)}`,
      '--interval',
      '3600',
      '--node-name',
      node,
      '--tls-cert-file',
      join(work, 'tls.crt'),
      '--tls-key-file',
      join(work, 'tls.key'),
      '--metrics-auth',
      'kubernetes',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  agent.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  cleanups.push(() => agent.kill('SIGKILL'));
  const w: World = {
    cp,
    installed,
    ns,
    agentUser: `system:serviceaccount:${ns}:certdrift`,
    port,
    work,
    ca,
    agent,
    log: () => stderr,
    tokens: { reader, nobody },
  };
  await cp
    .waitFor('the agent ready over HTTPS', 30_000, async () =>
      (await get(w, '/readyz')).status === 200 ? true : undefined,
    )
    .catch((err: unknown) => {
      throw new Error(`${(err as Error).message}; the agent said: ${stderr}`);
    });
  return w;
}

after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function ready(t: TestContext): Promise<World | undefined> {
  const cp = useControlPlane(t);
  if (!cp) return undefined;
  setup ??= start(cp);
  return setup;
}

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

function get(
  w: Pick<World, 'port' | 'ca'>,
  path: string,
  token?: string,
  agent?: Agent,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: w.port,
        path,
        servername: SERVER_NAME,
        ca: w.ca.pem,
        ...(agent ? { agent } : { agent: false }),
        headers: token ? { authorization: `Bearer ${token}` } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            headers: res.headers,
          });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('/metrics over TLS: 200 with the reader role, 403 without, 401 with no token or a revoked one', async (t) => {
  const w = await ready(t);
  if (!w) return;
  const ok = await get(w, '/metrics', w.tokens.reader);
  assert.equal(ok.status, 200, w.log());
  assert.match(ok.body, /^certdrift_/m);
  const forbidden = await get(w, '/metrics', w.tokens.nobody);
  assert.equal(forbidden.status, 403);
  assert.equal(forbidden.body, 'Forbidden\n', 'no detail');
  const none = await get(w, '/metrics');
  assert.equal(none.status, 401);
  assert.equal(none.body, 'Unauthorized\n');
  // A token whose bound object is gone is refused by the API server, and so by the agent.
  const revoked = await w.cp.token(w.ns, 'prometheus', { create: false, boundSecret: 'gone' });
  await w.cp.admin.request('DELETE', `/api/v1/namespaces/${w.ns}/secrets/gone`);
  const bad = await w.cp.waitFor('the revoked token refused', 20_000, async () => {
    const r = await get(w, '/metrics', revoked);
    return r.status === 401 ? r : undefined;
  });
  assert.equal(bad.body, 'Unauthorized\n');
  // The probes' endpoints stay open and say nothing else.
  assert.deepEqual(
    [(await get(w, '/healthz')).body, (await get(w, '/readyz')).body],
    ['ok\n', 'ready\n'],
  );
});

test('the serving certificate is replaced under the running agent: the next handshake presents it', async (t) => {
  const w = await ready(t);
  if (!w) return;
  const presented = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const s = connect(
        { host: '127.0.0.1', port: w.port, servername: SERVER_NAME, ca: w.ca.pem },
        () => {
          resolve(s.getPeerX509Certificate()?.fingerprint256 ?? '');
          s.destroy();
        },
      );
      s.on('error', reject);
    });
  const before = await presented();
  const next = await leaf(w.ca, `agent-2|${Date.now()}`);
  writePair(w.work, next);
  const want = (await import('node:crypto')).createHash('sha256').update(next.der).digest('hex');
  const after = await w.cp.waitFor('the new certificate presented', 5_000, async () => {
    const fp = (await presented()).replaceAll(':', '').toLowerCase();
    return fp === want ? fp : undefined;
  });
  assert.notEqual(after, before.replaceAll(':', '').toLowerCase());
  assert.equal((await get(w, '/metrics', w.tokens.reader)).status, 200);
});

test('10,000 bad tokens make at most the rate limit of TokenReviews', async (t) => {
  const w = await ready(t);
  if (!w) return;
  const mark = w.cp.auditMark();
  const agent = new Agent({ keepAlive: true, maxSockets: 20 });
  const started = Date.now();
  const statuses = new Map<number, number>();
  for (let i = 0; i < 10_000; i += 100) {
    const batch = await Promise.all(
      Array.from({ length: 100 }, (_, j) => get(w, '/metrics', `bad-${i + j}-token`, agent)),
    );
    for (const r of batch) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  }
  agent.destroy();
  const seconds = (Date.now() - started) / 1000;
  const reviews = (await w.cp.audit(w.agentUser, mark)).filter(
    (e) => e.objectRef?.resource === 'tokenreviews',
  ).length;
  t.diagnostic(`10,000 requests in ${seconds.toFixed(1)} s: ${reviews} TokenReviews`);
  // The bucket: 20 at once, then 5 a second.
  assert.ok(reviews <= 20 + Math.ceil(5 * seconds) + 1, `${reviews} reviews in ${seconds} s`);
  assert.equal(statuses.get(401), reviews, JSON.stringify([...statuses]));
  assert.equal(statuses.get(429), 10_000 - reviews);
  assert.equal(statuses.size, 2);
});

test('each new rule of the agent role is needed: without it that review is refused and nobody gets in', async (t) => {
  const w = await ready(t);
  if (!w) return;
  const role = w.installed.renamed.get('ClusterRole//certdrift-agent');
  assert.ok(role);
  const path = `/apis/rbac.authorization.k8s.io/v1/clusterroles/${role}`;
  const shipped = await w.cp.admin.get(path);
  const rules = shipped.rules as { resources?: string[] }[];
  for (const resource of ['tokenreviews', 'subjectaccessreviews']) {
    const without = rules.filter((r) => !r.resources?.includes(resource));
    assert.equal(without.length, rules.length - 1, `one rule names ${resource}`);
    await w.cp.admin.patch(path, { rules: without });
    const mark = w.cp.auditMark();
    // A token the agent has not cached: its review is the first call.
    const fresh = await w.cp.token(w.ns, 'prometheus', { create: false });
    const r: Answer = await w.cp.waitFor(`refused without ${resource}`, 10_000, async () => {
      const a: Answer = await get(w, '/metrics', fresh);
      return a.status === 503 ? a : undefined;
    });
    assert.equal(r.body, 'Service Unavailable\n');
    const denied = (await w.cp.audit(w.agentUser, mark)).filter(
      (e) => e.responseStatus?.code === 403,
    );
    assert.ok(denied.length > 0);
    assert.ok(
      denied.every((e) => e.objectRef?.resource === resource && e.verb === 'create'),
      JSON.stringify(denied.map((e) => [e.verb, e.objectRef?.resource])),
    );
    await w.cp.admin.patch(path, { rules });
  }
  const back = await w.cp.token(w.ns, 'prometheus', { create: false });
  await w.cp.waitFor('allowed again', 10_000, async () =>
    (await get(w, '/metrics', back)).status === 200 ? true : undefined,
  );
});

test('a real Prometheus scrapes with its bearer token and the ServiceMonitor-shaped TLS config', async (t) => {
  const w = await ready(t);
  if (!w) return;
  const prometheus = requireTool(t, 'prometheus');
  if (!prometheus) return;
  const dir = mkdtempSync(join(tmpdir(), 'certdrift-prom-auth-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'token'), w.tokens.reader, { mode: 0o600 });
  writeFileSync(join(dir, 'wrong-token'), w.tokens.nobody, { mode: 0o600 });
  const promPort = await freePort();
  const job = (name: string, token: string): string => `  - job_name: ${name}
    scheme: https
    authorization: { credentials_file: ${join(dir, token)} }
    tls_config: { ca_file: ${join(w.work, 'ca.crt')}, server_name: ${SERVER_NAME} }
    static_configs: [{ targets: ['127.0.0.1:${String(w.port)}'] }]
`;
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global: { scrape_interval: 1s }\nscrape_configs:\n${job('certdrift', 'token')}${job('stranger', 'wrong-token')}`,
  );
  const prom = spawn(
    prometheus,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${String(promPort)}`,
    ],
    { stdio: 'ignore' },
  );
  t.after(() => prom.kill('SIGKILL'));
  interface Target {
    labels: { job: string };
    health: string;
    lastError: string;
  }
  const targets = await w.cp.waitFor('both targets scraped', 30_000, async () => {
    const r = await fetch(`http://127.0.0.1:${String(promPort)}/api/v1/targets`);
    const body = (await r.json()) as { data: { activeTargets: Target[] } };
    const ts = body.data.activeTargets;
    return ts.length === 2 && ts.every((x) => x.health !== 'unknown') ? ts : undefined;
  });
  const target = (name: string): Target => {
    const found = targets.find((x) => x.labels.job === name);
    assert.ok(found, name);
    return found;
  };
  assert.equal(target('certdrift').health, 'up', target('certdrift').lastError);
  assert.equal(target('stranger').health, 'down');
  assert.match(target('stranger').lastError, /403/);
  const q = await fetch(
    `http://127.0.0.1:${String(promPort)}/api/v1/query?query=certdrift_scans_total`,
  );
  const data = (await q.json()) as { data: { result: unknown[] } };
  assert.ok(data.data.result.length > 0, 'the scraped series are in Prometheus');
});
