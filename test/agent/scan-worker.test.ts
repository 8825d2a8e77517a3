// The agent's scan worker process (dist/, as the agent runs it): kept between scans, so the
// second scan reuses the first one's parse; recycled past its memory bound and after a failed
// scan, with the next scan as right as the first.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { resolveScanConfig } from '../../src/cli/config/scan-config.js';
import { daysFrom, issue } from '../support/certs.js';
import { NOW } from '../support/nodes.js';
import { REPO } from '../support/scan.js';
import { HostTree } from '../support/tree.js';

interface WorkerModule {
  ScanWorker: new (recycleBytes?: number) => {
    stats: { started: number; rss: number };
    scan(
      config: unknown,
      metrics: { node: string; x509Compat: boolean },
    ): Promise<{
      exposition: { text?: Uint8Array; unchanged?: boolean; certificates: number };
      cache?: { reused: number; parsed: number };
    }>;
    stop(): void;
  };
}

let t: HostTree;
let mod: WorkerModule;
before(async () => {
  mod = (await import(`${REPO}dist/cli/agent-scan-in-worker.js`)) as WorkerModule;
  t = new HostTree();
  const c = await issue({ cn: 'one', notBefore: NOW, notAfter: daysFrom(NOW, 300) });
  t.write('/pki/one.crt', c.pem);
  // past the parse cache's racy-clean window (2 s): the file is cached at the first scan
  await new Promise((r) => setTimeout(r, 2100));
});
after(() => t.remove());

const config = (root: string): unknown =>
  resolveScanConfig([
    {
      name: 'test',
      values: {
        hostRoot: root,
        presets: ['none'],
        paths: ['/pki/**'],
        runtimeEndpoint: 'none',
      },
    },
  ]);

test('one worker across scans; unchanged families are not sent again', async () => {
  const w = new mod.ScanWorker();
  try {
    const one = await w.scan(config(t.root), { node: 'n', x509Compat: false });
    assert.equal(one.exposition.certificates, 1);
    assert.ok((one.exposition.text?.length ?? 0) > 0);
    const two = await w.scan(config(t.root), { node: 'n', x509Compat: false });
    assert.equal(two.exposition.unchanged, true);
    assert.equal(two.exposition.text, undefined);
    assert.equal(w.stats.started, 1);
    assert.ok(w.stats.rss > 10 * 1024 * 1024, `rss ${w.stats.rss}`);
  } finally {
    w.stop();
  }
});

test('recycled past its memory bound: a new worker sends the families again', async () => {
  const w = new mod.ScanWorker(1); // any worker is over 1 byte
  try {
    for (let i = 0; i < 3; i++) {
      const o = await w.scan(config(t.root), { node: 'n', x509Compat: false });
      assert.equal(o.exposition.certificates, 1);
      assert.ok(o.exposition.text, 'a fresh worker renders');
    }
    assert.equal(w.stats.started, 3);
  } finally {
    w.stop();
  }
});

test('a failed scan retires the worker; the next scan works', async () => {
  const w = new mod.ScanWorker();
  const gone = new HostTree();
  rmSync(gone.root, { recursive: true });
  try {
    await assert.rejects(
      w.scan(config(gone.root), { node: 'n', x509Compat: false }),
      /cannot be read/,
    );
    const o = await w.scan(config(t.root), { node: 'n', x509Compat: false });
    assert.equal(o.exposition.certificates, 1);
    assert.equal(w.stats.started, 2);
  } finally {
    w.stop();
  }
});
