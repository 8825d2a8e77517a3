// Cheap rescans (issue #11): the parse cache keyed by (device, inode, size, mtime, ctime), and
// the change watch that lets the agent reuse the file half of a scan. Real files in temp dirs,
// real inotify (fs.watch), certificates issued at test time. Every way a certificate file changes
// on a real node must be seen at the next scan: a rename rotation, an in-place write of the same
// size with the mtime put back, a symbolic link swapped in an ancestor directory, a file appearing
// where a kubeconfig points.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ChangeWatch } from '../../src/adapters/host/change-watch.js';
import { openNodeFiles, ParseCache } from '../../src/adapters/host/index.js';
import { FileScanMemo } from '../../src/node/file-scan-memo.js';
import { scanFiles } from '../../src/node/sources/files.js';
import { scanNode } from '../../src/node/scan-node.js';
import { watchSpecOf } from '../../src/node/watch-spec.js';
import type { Inventory } from '../../src/model/index.js';
import type { Issued } from '../support/certs.js';
import { cfg, cns, sameSizeCerts } from '../support/rescan.js';
import { kubeconfig } from '../support/kubeconfig.js';
import { HostTree } from '../support/tree.js';

let a: Issued;
let b: Issued;
let c: Issued;
before(async () => {
  [a, b, c] = (await sameSizeCerts('a', 'b', 'c')) as [Issued, Issued, Issued];
});

/** The cache alone: every scan stats and looks up, reads only what changed. */
async function cachedScan(t: HostTree, cache: ParseCache, paths = ['/pki/**']): Promise<Inventory> {
  cache.begin();
  const inv = await scanFiles(openNodeFiles(t.root, cache), cfg(paths));
  cache.end();
  return inv;
}

describe('parse cache', () => {
  test('an unchanged file is not read again; a rename rotation is', async () => {
    const t = new HostTree();
    try {
      t.write('/pki/one.crt', a.pem);
      t.write('/pki/two.crt', c.pem);
      const cache = new ParseCache(0);
      assert.deepEqual(cns(await cachedScan(t, cache)), ['node-a', 'node-c']);
      assert.deepEqual(cache.stats(), { reused: 0, parsed: 2, dropped: 0 });
      assert.deepEqual(cns(await cachedScan(t, cache)), ['node-a', 'node-c']);
      assert.deepEqual(cache.stats(), { reused: 2, parsed: 0, dropped: 0 });
      // write-then-rename, as kubelet and most tools rotate: a new inode
      t.write('/pki/one.crt.tmp', b.pem);
      renameSync(t.abs('/pki/one.crt.tmp'), t.abs('/pki/one.crt'));
      assert.deepEqual(cns(await cachedScan(t, cache)), ['node-b', 'node-c']);
      assert.deepEqual(cache.stats(), { reused: 1, parsed: 1, dropped: 0 });
    } finally {
      t.remove();
    }
  });

  test('an in-place write of the same size, with the mtime put back, is seen (ctime)', async () => {
    const t = new HostTree();
    try {
      const p = t.write('/pki/one.crt', a.pem);
      utimesSync(p, new Date('2026-02-01T00:00:00Z'), new Date('2026-02-01T00:00:00Z'));
      const before = statSync(p);
      const cache = new ParseCache(0);
      assert.deepEqual(cns(await cachedScan(t, cache)), ['node-a']);
      await sleep(20); // past the file system's timestamp granularity
      writeFileSync(p, b.pem); // same inode, same size
      utimesSync(p, before.atime, before.mtime); // mtime back to what it was
      const after = statSync(p);
      assert.equal(after.ino, before.ino);
      assert.equal(after.size, before.size);
      assert.equal(after.mtimeMs, before.mtimeMs);
      assert.deepEqual(cns(await cachedScan(t, cache)), ['node-b']);
      assert.deepEqual(cache.stats(), { reused: 0, parsed: 1, dropped: 0 });
    } finally {
      t.remove();
    }
  });

  test('racily clean files (changed within 2 s of the read) are read again next time', async () => {
    const t = new HostTree();
    try {
      t.write('/pki/one.crt', a.pem);
      const cache = new ParseCache(); // the real 2 s rule
      await cachedScan(t, cache);
      await cachedScan(t, cache);
      assert.deepEqual(cache.stats(), { reused: 0, parsed: 1, dropped: 0 });
      assert.equal(cache.size, 0);
    } finally {
      t.remove();
    }
  });

  test('a deleted file is dropped; a link swapped in for the file is never a hit', async () => {
    const t = new HostTree();
    try {
      t.write('/pki/one.crt', a.pem);
      t.write('/pki/two.crt', c.pem);
      t.write('/elsewhere/b.crt', b.pem);
      const cache = new ParseCache(0);
      await cachedScan(t, cache, ['/pki/one.crt', '/pki/two.crt']);
      rmSync(t.abs('/pki/two.crt'));
      await cachedScan(t, cache, ['/pki/one.crt']);
      assert.deepEqual(cache.stats(), { reused: 1, parsed: 0, dropped: 1 });
      rmSync(t.abs('/pki/one.crt'));
      symlinkSync('/elsewhere/b.crt', t.abs('/pki/one.crt'));
      const inv = await cachedScan(t, cache, ['/pki/one.crt']);
      assert.deepEqual(cns(inv), ['node-b']);
      assert.equal(inv.certificates[0]?.location.path, '/elsewhere/b.crt');
    } finally {
      t.remove();
    }
  });
});

/** Waits until the watch has seen something (inotify events arrive on the event loop). */
async function settle(watch: ChangeWatch, expectDirty: boolean): Promise<void> {
  for (let i = 0; i < 100 && watch.dirty !== expectDirty; i++) await sleep(20);
  await sleep(50);
  assert.equal(watch.dirty, expectDirty, expectDirty ? 'a change was not seen' : 'false alarm');
}

describe('file scan memo (change watch)', () => {
  let t: HostTree;
  let watch: ChangeWatch;
  let memo: FileScanMemo;
  let cache: ParseCache;
  const scan = async (paths: string[]): Promise<Inventory> => {
    cache.begin();
    const inv = await memo.scan(openNodeFiles(t.root, cache), cfg(paths));
    cache.end(memo.stats.reused);
    return inv;
  };
  const PATHS = ['/etc/kubernetes/pki/**', '/etc/kubernetes/kubelet.conf'];

  before(() => {
    t = new HostTree();
    t.write('/srv/pki-1/apiserver.crt', a.pem);
    t.link('/etc/kubernetes/pki', '/srv/pki-1');
    t.write('/srv/pki-2/apiserver.crt', c.pem);
    t.write('/etc/hostname', 'node-1\n');
    // a kubeconfig naming a client certificate that is not there yet
    t.write(
      '/etc/kubernetes/kubelet.conf',
      kubeconfig({
        server: 'https://10.0.0.1:6443',
        cert: { file: '/var/lib/kubelet/pki/kubelet-client-current.pem' },
        key: 'none',
      }),
    );
    watch = new ChangeWatch(t.root);
    memo = new FileScanMemo(watch, 4);
    cache = new ParseCache(0);
  });
  after(() => {
    memo.close();
    t.remove();
  });

  test('the first scan verifies, the second too (the watch was armed after the first), then reuse', async () => {
    const one = await scan(PATHS);
    assert.equal(memo.stats.verified, 'first scan');
    assert.deepEqual(cns(one), ['node-a']);
    assert.equal(one.missing.length, 1);
    const two = await scan(PATHS);
    assert.equal(memo.stats.reused, false);
    const three = await scan(PATHS);
    assert.equal(memo.stats.reused, true);
    assert.equal(three, two); // the very same result, no walk and no stat
    assert.ok(memo.stats.watchedDirectories >= 4);
  });

  test('a change elsewhere in an ancestor directory is not a change (name filter)', async () => {
    writeFileSync(t.abs('/etc/hostname'), 'node-2\n');
    await settle(watch, false);
    await scan(PATHS);
    assert.equal(memo.stats.reused, true);
  });

  test('a new certificate in a walked directory is seen at the next scan', async () => {
    t.write('/srv/pki-1/front-proxy-client.crt', b.pem);
    await settle(watch, true);
    const inv = await scan(PATHS);
    assert.equal(memo.stats.reused, false);
    assert.deepEqual(cns(inv), ['node-a', 'node-b']);
    assert.match(memo.stats.verified ?? '', /changed/);
  });

  test('a directory link swapped in an ancestor (kubelet/secret ..data style) is seen', async () => {
    await scan(PATHS); // settles the watch on the new layout
    rmSync(t.abs('/etc/kubernetes/pki'));
    symlinkSync('/srv/pki-2', t.abs('/etc/kubernetes/pki'));
    await settle(watch, true);
    const inv = await scan(PATHS);
    assert.deepEqual(cns(inv), ['node-c']);
  });

  test('a credential appearing where a kubeconfig points is seen', async () => {
    await scan(PATHS);
    t.write('/var/lib/kubelet/pki/kubelet-client-2026.pem', b.pem);
    t.link(
      '/var/lib/kubelet/pki/kubelet-client-current.pem',
      '/var/lib/kubelet/pki/kubelet-client-2026.pem',
    );
    await settle(watch, true);
    const inv = await scan(PATHS);
    assert.equal(inv.missing.length, 0);
    assert.deepEqual(cns(inv), ['node-b', 'node-c']);
  });

  test('an in-place write to a certificate is seen without a stat', async () => {
    await scan(PATHS);
    await scan(PATHS);
    assert.equal(memo.stats.reused, true);
    writeFileSync(t.abs('/srv/pki-2/apiserver.crt'), a.pem);
    await settle(watch, true);
    assert.deepEqual(cns(await scan(PATHS)), ['node-a', 'node-b']);
  });

  test('every verifyEvery-th scan verifies by stat even without an event', async () => {
    const kinds: boolean[] = [];
    for (let i = 0; i < 9; i++) {
      await scan(PATHS);
      kinds.push(memo.stats.reused);
    }
    const verified = kinds.filter((r) => !r).length;
    assert.ok(verified >= 2 && verified <= 3, `verified ${verified} of 9: ${kinds.join(',')}`);
  });

  test('other settings are never served from the memo', async () => {
    const inv = await scan(['/srv/pki-1/**']);
    assert.equal(memo.stats.reused, false);
    assert.equal(memo.stats.verified, 'settings changed');
    assert.deepEqual(cns(inv), ['node-a', 'node-b']);
  });
});

test('more directories than the watch may hold: every scan verifies', async () => {
  const t = new HostTree();
  try {
    for (let i = 0; i < 5; i++) t.write(`/pki/d${i}/x.crt`, a.pem);
    const watch = new ChangeWatch(t.root, 3);
    const memo = new FileScanMemo(watch, 100);
    for (let i = 0; i < 3; i++) {
      await memo.scan(openNodeFiles(t.root), cfg(['/pki/**']));
      assert.equal(memo.stats.reused, false);
    }
    assert.match(watch.problem ?? '', /more than 3 directories/);
    memo.close();
  } finally {
    t.remove();
  }
});

test('the watch plan: listed directories whole, ancestors for one name each', () => {
  const spec = watchSpecOf(
    { listed: ['/srv/pki'], resolved: ['/etc/kubernetes/pki', '/srv/pki'] },
    {
      files: [
        {
          path: '/srv/pki/a.crt',
          links: ['/etc/kubernetes/pki/a.crt'],
          format: 'pem',
          certificates: 1,
          privateKeys: 0,
        },
      ],
      certificates: [],
      errors: [],
      missing: [
        {
          path: '/var/lib/kubelet/pki/x.pem',
          reason: 'not_found',
          message: '',
          namedBy: '',
          namedIn: '',
        },
      ],
    },
  );
  assert.equal(spec.get('/srv/pki'), 'all');
  assert.deepEqual([...(spec.get('/') as Set<string>)].sort(), ['etc', 'srv', 'var']);
  assert.deepEqual([...(spec.get('/etc/kubernetes') as Set<string>)], ['pki']);
  assert.deepEqual([...(spec.get('/var/lib/kubelet/pki') as Set<string>)], ['x.pem']);
});

test('a reused file half is never modified by the rest of the scan (deep-frozen)', async () => {
  const t = new HostTree();
  try {
    t.write('/etc/kubernetes/pki/apiserver.crt', a.pem);
    t.write(
      '/etc/kubernetes/admin.conf',
      kubeconfig({ server: 'https://x:6443', cert: b, key: 'none' }),
    );
    const config = { ...cfg(['/etc/kubernetes/**']), loadsOnce: [] };
    const files = openNodeFiles(t.root);
    const fresh = await scanNode({ files, workloads: null }, config);
    const half = deepFreeze(await scanFiles(files, config));
    const reused = await scanNode({ files, workloads: null }, config, {
      fileScan: () => Promise.resolve(half),
    });
    const again = await scanNode({ files, workloads: null }, config, {
      fileScan: () => Promise.resolve(half),
    });
    assert.deepEqual(reused, fresh);
    assert.deepEqual(again, fresh);
  } finally {
    t.remove();
  }
});

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as object)) deepFreeze(v);
  }
  return o;
}
