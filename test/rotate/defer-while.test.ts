// --defer-while against Prometheus's HTTP API: a real Debian `prometheus` scraping a gauge this
// test serves (series while the gauge is 1, none after it drops to 0), and an HTTP server that
// answers like /api/v1/query does when things go wrong — Prometheus down, a body that is not
// JSON, `status: "error"`, a scalar result, a 503 — each of which refuses; none reads as "no
// series".

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prometheusGate } from '../../src/adapters/prometheus/prometheus-query.js';
import { judgeQuery } from '../../src/rotate/index.js';
import { requireTool } from '../monitoring/prometheus-tools.js';
import { freePort } from '../support/free-port.js';

const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

async function serve(
  handler: (path: string) => { status: number; body: string },
): Promise<{ url: string; paths: string[] }> {
  const paths: string[] = [];
  const srv = createServer((req, res) => {
    paths.push(req.url ?? '');
    const r = handler(req.url ?? '');
    res.writeHead(r.status, { 'content-type': 'application/json' });
    res.end(r.body);
  });
  servers.push(srv);
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const addr = srv.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return { url: `http://127.0.0.1:${addr.port}`, paths };
}

const vector = (n: number) =>
  JSON.stringify({
    status: 'success',
    data: {
      resultType: 'vector',
      result: Array.from({ length: n }, (_, i) => ({
        metric: { __name__: 'ALERTS', alertname: `A${i}`, severity: 'critical' },
        value: [1700000000, '1'],
      })),
    },
  });

test('judging /api/v1/query answers: series defer, none proceeds, every error refuses', () => {
  const q = 'ALERTS{severity="critical"}';
  assert.deepEqual(judgeQuery(q, 200, vector(0)), { kind: 'proceed' });
  const d = judgeQuery(q, 200, vector(4));
  assert.equal(d.kind, 'defer');
  assert.match(
    d.reason,
    /returns 4 series \(ALERTS\{alertname="A0",severity="critical"\}, .*, …\)/,
  );
  const refusals: [number, string][] = [
    [200, '<html>proxy login</html>'],
    [200, ''],
    [
      400,
      JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error at char 7' }),
    ],
    [200, JSON.stringify({ status: 'error', errorType: 'timeout', error: 'query timed out' })],
    [503, vector(0)],
    [200, JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1, '0'] } })],
    [200, JSON.stringify({ status: 'success', data: { resultType: 'vector' } })],
    [200, JSON.stringify([])],
  ];
  for (const [status, body] of refusals)
    assert.equal(judgeQuery(q, status, body).kind, 'refuse', `${status} ${body}`);
  assert.match(
    JSON.stringify(judgeQuery(q, 400, refusals[2]?.[1] ?? '')),
    /bad_data.*parse error at char 7/,
  );
});

test('the gate over HTTP: the query is sent URL-encoded; down, garbage and errors refuse', async () => {
  let answer = { status: 200, body: vector(1) };
  const s = await serve(() => answer);
  const gate = prometheusGate(`${s.url}/prom/`, 'up{job="a b"} == 0');
  assert.equal((await gate()).kind, 'defer');
  assert.equal(s.paths[0], '/prom/api/v1/query?query=up%7Bjob%3D%22a%20b%22%7D%20%3D%3D%200');
  answer = { status: 200, body: vector(0) };
  assert.deepEqual(await gate(), { kind: 'proceed' });
  answer = { status: 200, body: 'not json' };
  assert.equal((await gate()).kind, 'refuse');
  answer = {
    status: 422,
    body: JSON.stringify({ status: 'error', errorType: 'execution', error: 'boom' }),
  };
  assert.equal((await gate()).kind, 'refuse');

  const closed = await freePort();
  const down = await prometheusGate(`http://127.0.0.1:${closed}`, 'up')();
  assert.equal(down.kind, 'refuse');
  assert.match(down.reason, /did not answer \(ECONNREFUSED\)/);

  // an answer slower than the timeout refuses too
  const slow = createServer((_req, res) => {
    setTimeout(() => res.end(vector(0)), 2000).unref();
  });
  servers.push(slow);
  slow.listen(0, '127.0.0.1');
  await once(slow, 'listening');
  const port = (slow.address() as { port: number }).port;
  const late = await prometheusGate(`http://127.0.0.1:${port}`, 'up', 200)();
  assert.equal(late.kind, 'refuse');
  slow.closeAllConnections();
});

test('a real Prometheus: defers while a scraped gauge is above 0, proceeds once it drops', async (t) => {
  const prometheus = requireTool(t, 'prometheus');
  if (!prometheus) return;
  let value = 1;
  const target = await serve(() => ({
    status: 200,
    body: `# HELP rotation_blocker Something that should block a rotation.\n# TYPE rotation_blocker gauge\nrotation_blocker{team="db"} ${value}\n`,
  }));
  const promPort = await freePort();
  const work = mkdtempSync(join(tmpdir(), 'certdrift-defer-'));
  writeFileSync(
    join(work, 'prometheus.yml'),
    `global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: blocker
    static_configs: [{ targets: ['${target.url.slice('http://'.length)}'] }]
`,
  );
  const child = spawn(
    prometheus,
    [
      `--config.file=${join(work, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(work, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      // a dropped gauge must stop matching within a scrape or two, not 5 minutes
      '--query.lookback-delta=3s',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const keep = (d: Buffer): void => {
    out = (out + d.toString()).slice(-6000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  try {
    const gate = prometheusGate(`http://127.0.0.1:${promPort}`, 'rotation_blocker > 0');
    const waitFor = async (kind: string): Promise<string> => {
      let last = '';
      for (let i = 0; i < 120; i++) {
        const a = await gate();
        last = JSON.stringify(a);
        if (a.kind === kind) return last;
        await new Promise((r) => setTimeout(r, 500));
      }
      assert.fail(`never ${kind}: last ${last}\nprometheus: ${out}`);
    };
    // Before Prometheus listens, the gate refuses (never "no series").
    const early = await gate();
    if (early.kind !== 'defer') assert.equal(early.kind, 'refuse', JSON.stringify(early));
    const deferred = await waitFor('defer');
    assert.match(deferred, /rotation_blocker\{instance=.*job=\\"blocker\\",team=\\"db\\"\}/);
    value = 0;
    await waitFor('proceed');
    assert.ok(target.paths.includes('/metrics'), 'Prometheus scraped the test target');
    // a malformed query: Prometheus says bad_data → refuse
    const bad = await prometheusGate(`http://127.0.0.1:${promPort}`, 'rotation_blocker >')();
    assert.equal(bad.kind, 'refuse');
    assert.match(bad.reason, /bad_data/);
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
    rmSync(work, { recursive: true, force: true });
  }
});
