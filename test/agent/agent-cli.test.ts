// The agent process: ready after its first scan, /metrics served from the snapshot, 404 and 405
// for the rest, and a clean exit on SIGTERM.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { daysFrom, issue } from '../support/certs.js';
import { kubeconfig } from '../support/kubeconfig.js';
import { startAgent } from '../support/agent-process.js';
import { buildKopsNode, NOW } from '../support/nodes.js';
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

test('agent rescans: one worker keeps the parse cache; unchanged files are reused, a rotation is seen at the next scan', async () => {
  const node = await buildKopsNode();
  const agent = startAgent(node.tree.root, 7, ['--scan-worker', 'always']);
  const { child, metric } = agent;
  const until = async (what: string, ok: () => Promise<boolean>): Promise<void> => {
    for (let i = 0; i < 150; i++) {
      if (await ok()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`${what} did not happen within 15 s\n${agent.stderr()}`);
  };
  const workers = (): string =>
    readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim();
  const proxyNotAfter =
    /certdrift_certificate_not_after_seconds\{node="n1",component="kube-proxy",path="\/var\/lib\/kube-proxy\/kubeconfig"[^}]*\} (\d+)/;
  try {
    await until('a rescan that reused every file', async () => {
      const reused = Number(
        await metric(/certdrift_scan_files\{node="n1",result="reused"\} (\d+)/),
      );
      const parsed = await metric(/certdrift_scan_files\{node="n1",result="parsed"\} (\d+)/);
      return reused >= 4 && parsed === '0';
    });
    const worker = workers();
    assert.match(worker, /^\d+$/, 'one scan worker process');
    const before = Number(await metric(proxyNotAfter));
    const expected = node.expected.find((e) => e.component === 'kube-proxy');
    assert.equal(before, (expected?.notAfter.getTime() ?? 0) / 1000);
    // kops-style rotation of kube-proxy's kubeconfig: a new file renamed over the old one
    const ca = await issue({
      cn: 'kubernetes-ca',
      notBefore: NOW,
      notAfter: daysFrom(NOW, 3000),
      isCA: true,
    });
    const renewed = await issue({
      cn: 'system:kube-proxy',
      notBefore: NOW,
      notAfter: daysFrom(NOW, 470),
      eku: ['clientAuth'],
      issuer: ca,
    });
    const tmp = node.tree.write(
      '/var/lib/kube-proxy/kubeconfig.tmp',
      kubeconfig({ ca, cert: renewed, user: 'kube-proxy' }),
    );
    renameSync(tmp, node.tree.abs('/var/lib/kube-proxy/kubeconfig'));
    await until(
      'the renewed certificate in /metrics',
      async () => Number(await metric(proxyNotAfter)) === renewed.notAfter.getTime() / 1000,
    );
    assert.equal(workers(), worker, 'the same worker process throughout');
    assert.equal(await metric(/certdrift_scans_total\{node="n1",result="failure"\} (\d+)/), '0');
  } finally {
    agent.stop();
    node.tree.remove();
  }
});
