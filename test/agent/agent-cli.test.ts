// The agent process: ready after its first scan, /metrics served from the snapshot, 404 and 405
// for the rest, and a clean exit on SIGTERM.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildKopsNode } from '../support/nodes.js';
import { BIN } from '../support/scan.js';

async function get(
  port: number,
  path: string,
  method = 'GET',
): Promise<{ status: number; type: string; body: string }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return { status: r.status, type: r.headers.get('content-type') ?? '', body: await r.text() };
}

test('agent: readyz, metrics, SIGTERM', async () => {
  const node = await buildKopsNode();
  const port = 20000 + (process.pid % 20000);
  const stateDir = mkdtempSync(join(tmpdir(), 'certdrift-state-'));
  const child = spawn(
    process.execPath,
    [
      BIN,
      'agent',
      '--host-root',
      node.tree.root,
      '--runtime-endpoint',
      'none',
      '--listen',
      `127.0.0.1:${port}`,
      '--interval',
      '3600',
      '--node-name',
      'n1',
      '--state-dir',
      stateDir,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    let ready = 0;
    for (let i = 0; i < 100 && ready !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      ready = await get(port, '/readyz').then(
        (r) => r.status,
        () => 0,
      );
    }
    assert.equal(ready, 200, stderr);
    const m = await get(port, '/metrics');
    assert.equal(m.status, 200);
    assert.match(m.type, /^text\/plain; version=0\.0\.4/);
    assert.match(
      m.body,
      /certdrift_certificate_not_after_seconds\{node="n1",component="kube-proxy",path="\/var\/lib\/kube-proxy\/kubeconfig",index="1",kubeconfig_entry="user",kubeconfig_name="kube-proxy",common_name="system:kube-proxy"\} \d+/,
    );
    assert.match(m.body, /certdrift_node_replace_by_seconds\{node="n1"\} \d+/);
    assert.equal((await get(port, '/healthz')).body, 'ok\n');
    // the first scan's ledger is on disk, named after the node
    const ledger = JSON.parse(readFileSync(join(stateDir, 'ledger.json'), 'utf8')) as {
      node: string;
      locations: { kind: string; path: string }[];
    };
    assert.equal(ledger.node, 'n1');
    assert.ok(
      ledger.locations.some(
        (l) => l.kind === 'file' && l.path === '/var/lib/kube-proxy/kubeconfig',
      ),
    );
    assert.equal((await get(port, '/nope')).status, 404);
    assert.equal((await get(port, '/metrics', 'POST')).status, 405);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = (await exited) as [number];
    assert.equal(code, 0);
    assert.match(stderr, /SIGTERM: finishing/);
  } finally {
    child.kill('SIGKILL');
    node.tree.remove();
    rmSync(stateDir, { recursive: true, force: true });
  }
});
