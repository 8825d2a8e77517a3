// The agent tells the truth about what it could read and stops when told: a host root that
// vanishes or is emptied fails the scan (files source down, the last good snapshot kept and aged,
// readiness kept from the earlier success), SIGTERM ends it within 5 s whatever clients do, gzip
// honours q=0, file content never reaches the log, each problem is counted once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { request } from 'node:http';
import { buildKopsNode } from '../support/nodes.js';
import { BIN } from '../support/scan.js';
import { freePort } from '../support/free-port.js';

interface Agent {
  child: ChildProcess;
  port: number;
  stderr: () => string;
}

async function startAgent(root: string, interval = '3600'): Promise<Agent> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      BIN,
      'agent',
      '--host-root',
      root,
      '--runtime-endpoint',
      'none',
      '--kubernetes',
      'none',
      '--listen',
      `127.0.0.1:${port}`,
      '--interval',
      interval,
      '--jitter',
      '0',
      '--node-name',
      'n1',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  for (let i = 0; i < 150; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, port, stderr: () => err };
}

const get = async (a: Agent, path: string): Promise<{ status: number; body: string }> => {
  const r = await fetch(`http://127.0.0.1:${a.port}${path}`);
  return { status: r.status, body: await r.text() };
};

async function until(what: string, f: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const metric = (body: string, re: RegExp): number => Number(re.exec(body)?.[1] ?? NaN);

test('a host root that vanishes, then comes back empty, fails the scan; the snapshot is kept and ages', async () => {
  const node = await buildKopsNode();
  const a = await startAgent(node.tree.root, '1');
  try {
    await until('first scan', async () => (await get(a, '/readyz')).status === 200);
    const good = (await get(a, '/metrics')).body;
    const lastGood = metric(
      good,
      /certdrift_last_successful_scan_timestamp_seconds\{node="n1"\} (\S+)/,
    );
    assert.match(good, /certdrift_source_up\{node="n1",source="files"\} 1/);
    const moved = `${node.tree.root}.gone`;
    renameSync(node.tree.root, moved); // the hostPath mount went away
    await until('files source down', async () =>
      /certdrift_source_up\{node="n1",source="files"\} 0/.test((await get(a, '/metrics')).body),
    );
    mkdirSync(node.tree.root); // mounted over by an empty directory
    await new Promise((r) => setTimeout(r, 2500));
    const m = (await get(a, '/metrics')).body;
    assert.match(m, /certdrift_source_up\{node="n1",source="files"\} 0/);
    assert.equal(
      metric(m, /certdrift_last_successful_scan_timestamp_seconds\{node="n1"\} (\S+)/),
      lastGood,
      'the snapshot is as old as the last good scan',
    );
    assert.match(
      m,
      /certdrift_certificate_not_after_seconds\{node="n1",component="kube-proxy"/,
      'last good series kept',
    );
    assert.equal((await get(a, '/readyz')).status, 200, 'ready: an earlier scan succeeded');
    assert.match(a.stderr(), /host root .* is empty/);
    renameSync(moved, `${moved}2`);
  } finally {
    a.child.kill('SIGKILL');
  }
});

test('an empty host root from the start: not ready, files source down', async () => {
  const node = await buildKopsNode();
  const empty = join(node.tree.root, 'empty');
  mkdirSync(empty);
  const a = await startAgent(empty);
  try {
    await until('a failed scan', async () => /files"\} 0/.test((await get(a, '/metrics')).body));
    const r = await get(a, '/readyz');
    assert.equal(r.status, 503);
    assert.match(r.body, /host root .* is empty/);
  } finally {
    a.child.kill('SIGKILL');
  }
});

test('SIGTERM with a half-sent request and an idle keep-alive connection: exit within 5 s', async () => {
  const node = await buildKopsNode();
  const a = await startAgent(node.tree.root);
  try {
    await until('ready', async () => (await get(a, '/readyz')).status === 200);
    // A slow client: the request line and one header, then silence.
    const slow = connect(a.port, '127.0.0.1');
    await once(slow, 'connect');
    slow.write('GET /metrics HTTP/1.1\r\nHost: x\r\n');
    slow.on('error', () => undefined);
    // An idle keep-alive connection after a complete request.
    const idle = connect(a.port, '127.0.0.1');
    await once(idle, 'connect');
    idle.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await once(idle, 'data');
    idle.on('error', () => undefined);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    const exited = once(a.child, 'exit');
    a.child.kill('SIGTERM');
    const timer = new Promise((r) => setTimeout(r, 15_000, 'timeout'));
    const res = await Promise.race([exited, timer]);
    const ms = Date.now() - t0;
    process.stderr.write(`# agent exit after SIGTERM with a half-sent request: ${ms} ms\n`);
    assert.notEqual(res, 'timeout', 'still running 15 s after SIGTERM');
    assert.ok(ms < 5000, `exit took ${ms} ms`);
    assert.deepEqual(res, [0, null]);
    slow.destroy();
    idle.destroy();
  } finally {
    a.child.kill('SIGKILL');
  }
});

test('gzip;q=0 gets identity; YAML warnings from file content stay out of the log; each error once', async () => {
  const node = await buildKopsNode();
  // A kubeconfig whose content makes the YAML library warn (a collection as a mapping key).
  node.tree.write(
    '/etc/kubernetes/odd.conf',
    'apiVersion: v1\nkind: Config\n? [a, "\\e]0;pwned\\a"]\n: c\n',
  );
  const pki = join(node.tree.root, 'srv/kubernetes');
  symlinkSync('loop-b.crt', join(pki, 'loop-a.crt'));
  symlinkSync('loop-a.crt', join(pki, 'loop-b.crt'));
  writeFileSync(join(node.tree.root, 'marker'), '');
  const a = await startAgent(node.tree.root);
  try {
    await until('ready', async () => (await get(a, '/readyz')).status === 200);
    const enc = await new Promise<string | undefined>((resolve, reject) => {
      request(
        {
          port: a.port,
          host: '127.0.0.1',
          path: '/metrics',
          headers: { 'accept-encoding': 'gzip;q=0' },
        },
        (res) => {
          res.resume();
          resolve(res.headers['content-encoding']);
        },
      )
        .on('error', reject)
        .end();
    });
    assert.equal(enc, undefined, 'no gzip for gzip;q=0');
    const m = (await get(a, '/metrics')).body;
    assert.equal(
      metric(m, /certdrift_item_errors_total\{node="n1",reason="symlink_loop"\} (\S+)/),
      2,
    );
    assert.doesNotMatch(a.stderr(), /Keys with collection values|\x1b/);
  } finally {
    a.child.kill('SIGKILL');
  }
});
