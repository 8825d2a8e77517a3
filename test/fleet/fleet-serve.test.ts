// `certdrift fleet --serve` as deploy/fleet runs it: the real CLI process with the fleet's own
// ServiceAccount against the real control plane. /readyz answers 503 until the first sync and
// 200 after; /metrics carries the node's row, in a text promtool accepts; other methods and
// paths are refused; SIGTERM ends it with exit 0 and the port closed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { unique, useControlPlane } from '../support/control-plane/index.js';
import { install } from '../support/control-plane/install.js';
import { haveKubectl, renderOverlay } from '../support/deploy-manifests.js';
import { requireTool } from '../monitoring/prometheus-tools.js';
import { BIN } from '../support/scan.js';

function get(
  port: number,
  path: string,
  method = 'GET',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

test('fleet --serve: ready after the first sync, the node in /metrics, promtool-clean, SIGTERM exits 0', async (t) => {
  const cp = useControlPlane(t);
  if (!cp) return;
  if (!haveKubectl()) return t.skip('kubectl renders the shipped manifests');
  const promtool = requireTool(t, 'promtool');
  if (!promtool) return;
  const { namespace: ns } = await install(cp, t, renderOverlay(['base', 'fleet']));
  const kubeconfig = cp.kubeconfig(await cp.token(ns, 'certdrift-fleet', { create: false }));
  const name = unique('fs-node');
  await cp.node(name, { kubelet: false });
  t.after(() => cp.admin.request('DELETE', `/api/v1/nodes/${name}`));

  const child = spawn(
    process.execPath,
    [
      BIN,
      'fleet',
      '--kubernetes',
      kubeconfig,
      '--serve',
      '--listen',
      '127.0.0.1:0',
      '--interval',
      '5s',
    ],
    { env: { PATH: process.env.PATH ?? '' } },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.after(() => child.kill('SIGKILL'));

  // The port the server bound (`:0` asks the kernel for a free one), from its first line.
  const port = await new Promise<number>((resolve, reject) => {
    const look = (): void => {
      const m = /serving \/metrics on 127\.0\.0\.1:(\d+)/.exec(stderr);
      if (!m) return;
      child.stderr.off('data', look);
      resolve(Number(m[1]));
    };
    child.stderr.on('data', look);
    child.once('exit', (code) => {
      reject(new Error(`exited ${String(code)} before serving: ${stderr}`));
    });
  });
  assert.ok(port > 0, stderr);

  let ready = await get(port, '/readyz');
  const until = Date.now() + 30_000;
  while (ready.status !== 200 && Date.now() < until) {
    assert.equal(ready.status, 503, ready.body);
    assert.equal(ready.body, 'no sync yet\n');
    await new Promise((r) => setTimeout(r, 200));
    ready = await get(port, '/readyz');
  }
  assert.equal(ready.status, 200, stderr);
  assert.equal((await get(port, '/healthz')).status, 200);

  const metrics = await get(port, '/metrics');
  assert.equal(metrics.status, 200);
  assert.match(metrics.body, new RegExp(`^certdrift_fleet_\\w+\\{[^}]*node="${name}"`, 'm'));
  const check = spawnSync(promtool, ['check', 'metrics'], {
    input: metrics.body,
    encoding: 'utf8',
  });
  assert.equal(check.status, 0, check.stdout + check.stderr);

  assert.equal((await get(port, '/metrics', 'POST')).status, 405);
  assert.equal((await get(port, '/nope')).status, 404);

  child.kill('SIGTERM');
  assert.equal(await exited, 0, stderr);
  await assert.rejects(get(port, '/healthz'), /ECONNREFUSED/);
});
