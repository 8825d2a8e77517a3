// The container runtime missing, refusing or hanging: one clear line, the file scan still
// reported, the exit code still decided by the certificates.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildKopsNode, NOW, type BuiltNode } from '../support/nodes.js';
import { BIN } from '../support/scan.js';

const run = promisify(execFile);
let node: BuiltNode;
let emptyProc: string;
let silent: Server;
const sockets: Socket[] = [];

before(async () => {
  node = await buildKopsNode();
  emptyProc = mkdtempSync(join(tmpdir(), 'certdrift-noproc-'));
  node.tree.write('/refuses.sock', ''); // a plain file where a socket should be: connection refused
  silent = createServer((s) => sockets.push(s)); // accepts, never answers
  await new Promise<void>((r) => silent.listen(join(node.tree.root, 'silent.sock'), r));
});
after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent.close(r));
  node.tree.remove();
  rmSync(emptyProc, { recursive: true, force: true });
});

async function scan(endpoint: string): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(
      process.execPath,
      [
        BIN,
        'scan',
        '--host-root',
        node.tree.root,
        '--at',
        NOW.toISOString(),
        '--runtime-endpoint',
        endpoint,
        '--runtime-timeout',
        '500',
        // An empty /proc stand-in: the fallback runs, but other test files' lab containers
        // (running at the same time on this machine) cannot leak into this node's findings.
        '--proc-root',
        emptyProc,
      ],
      { env: { PATH: process.env.PATH ?? '' } },
    );
    return { code: 0, stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '' };
  }
}

for (const [name, endpoint, message] of [
  [
    'missing',
    '/definitely/not/here.sock',
    /cri unavailable: CRI List\w+ unix:\/\/\/definitely\/not\/here\.sock: .*(No such file|ENOENT|UNAVAILABLE)/i,
  ],
  [
    'refusing',
    'refuses.sock',
    /cri unavailable: CRI List\w+ unix:\/\/.*refuses\.sock: .*(refused|UNAVAILABLE)/i,
  ],
  [
    'silent (deadline)',
    'silent.sock',
    /cri unavailable: CRI List\w+ unix:\/\/.*silent\.sock: .*Deadline exceeded/i,
  ],
] as const) {
  test(`runtime ${name}: clear line, file scan reported, exit by certificates`, async () => {
    const where = endpoint.startsWith('/') ? endpoint : join(node.tree.root, endpoint);
    const t0 = Date.now();
    const res = await scan(where);
    assert.equal(res.code, 0, res.stdout);
    assert.match(res.stdout, message);
    assert.match(res.stdout, /kube-proxy\s+system:kube-proxy/);
    assert.match(
      res.stdout,
      /containers via proc \/\S+: 0 \(0 running\)/,
      'falls back to the /proc view',
    );
    assert.ok(Date.now() - t0 < 8000, 'the deadline bounds the wait');
  });
}
