// Adversarial review of cheap rescans (issue #11): ways a real change on a node is not seen at
// the next scan while the change watch says "clean". Real files, real inotify, real mounts (root
// only), certificates issued at test time. Each test states what the agent should do; a failing
// test is a defect.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ChangeWatch } from '../../src/adapters/host/change-watch.js';
import { openNodeFiles, ParseCache } from '../../src/adapters/host/index.js';
import { FileScanMemo } from '../../src/node/file-scan-memo.js';
import { scanFiles } from '../../src/node/sources/files.js';
import { FOLLOW_DEFAULTS, followMounts } from '../../src/node/sources/mounts.js';
import type { Inventory } from '../../src/model/index.js';
import type { RuntimeContainer } from '../../src/node/ports.js';
import { applyUsage, type UsageMemo } from '../../src/node/usage/index.js';
import type { Issued } from '../support/certs.js';
import { cfg, cns, sameSizeCerts } from '../support/rescan.js';
import { kubeconfig } from '../support/kubeconfig.js';
import { HostTree } from '../support/tree.js';

let a: Issued;
let b: Issued;
before(async () => {
  [a, b] = (await sameSizeCerts('a', 'b')) as [Issued, Issued];
});

/** A memo that never verifies by schedule: only the watch decides (isolates the watch). */
function harness(t: HostTree, verifyEvery = 1000) {
  const watch = new ChangeWatch(t.root);
  const cache = new ParseCache(0);
  // as scanMemory (cli/node-scan.ts) wires it: hard-linked files are re-checked before reuse
  const memo = new FileScanMemo(watch, verifyEvery, () => cache.linkedChanged());
  const scan = async (paths: string[]): Promise<Inventory> => {
    cache.begin();
    const inv = await memo.scan(openNodeFiles(t.root, cache), cfg(paths));
    cache.end(memo.stats.reused);
    return inv;
  };
  /** Two scans: the first arms the watch, the second verifies with it armed. */
  const settle = async (paths: string[]): Promise<void> => {
    await scan(paths);
    await scan(paths);
    await scan(paths);
    assert.equal(memo.stats.reused, true, 'the memo should be in use before the change');
  };
  /** What a scan without any memo sees now (the truth the memo must match). */
  const truth = async (paths: string[]): Promise<string[]> =>
    cns(await scanFiles(openNodeFiles(t.root), cfg(paths)));
  return { watch, memo, scan, settle, truth };
}

/** Lets inotify events reach the callbacks. */
const drain = (): Promise<void> => sleep(300);

describe('changes the watch does not see (reported only at the periodic verification)', () => {
  test('a link swapped in the middle of a link chain, outside the walked directory, is seen at the next scan', async () => {
    // /etc/kubernetes/pki/ca.crt -> /opt/store/current/ca.crt, current -> v1: a "current"
    // pointer directory, rotated by swapping the pointer (as ..data in secret volumes).
    const t = new HostTree();
    const h = harness(t);
    try {
      t.write('/opt/store/v1/ca.crt', a.pem);
      t.write('/opt/store/v2/ca.crt', b.pem);
      t.link('/opt/store/current', 'v1');
      t.link('/etc/kubernetes/pki/ca.crt', '/opt/store/current/ca.crt');
      const paths = ['/etc/kubernetes/pki/**'];
      assert.deepEqual(cns(await h.scan(paths)), ['node-a']);
      await h.settle(paths);
      // atomic swap of the pointer
      symlinkSync('v2', t.abs('/opt/store/current.tmp'));
      execFileSync('mv', ['-T', t.abs('/opt/store/current.tmp'), t.abs('/opt/store/current')]);
      await drain();
      assert.deepEqual(await h.truth(paths), ['node-b'], 'control: the node changed');
      const inv = await h.scan(paths);
      assert.deepEqual(cns(inv), ['node-b'], `memo reused: ${String(h.memo.stats.reused)}`);
    } finally {
      h.memo.close();
      t.remove();
    }
  });

  test('a link swapped in the middle of the chain a kubeconfig reference follows is seen at the next scan', async () => {
    const t = new HostTree();
    const h = harness(t);
    try {
      t.write('/opt/certs/v1/client.pem', a.pem);
      t.write('/opt/certs/v2/client.pem', b.pem);
      t.link('/opt/certs/current', 'v1');
      t.link('/etc/k/client.pem', '/opt/certs/current/client.pem');
      t.write(
        '/etc/kubernetes/kubelet.conf',
        kubeconfig({
          server: 'https://10.0.0.1:6443',
          cert: { file: '/etc/k/client.pem' },
          key: 'none',
        }),
      );
      const paths = ['/etc/kubernetes/kubelet.conf'];
      assert.deepEqual(cns(await h.scan(paths)), ['node-a']);
      await h.settle(paths);
      symlinkSync('v2', t.abs('/opt/certs/next'));
      execFileSync('mv', ['-T', t.abs('/opt/certs/next'), t.abs('/opt/certs/current')]);
      await drain();
      assert.deepEqual(await h.truth(paths), ['node-b'], 'control: the node changed');
      const inv = await h.scan(paths);
      assert.deepEqual(cns(inv), ['node-b'], `memo reused: ${String(h.memo.stats.reused)}`);
    } finally {
      h.memo.close();
      t.remove();
    }
  });

  test('a certificate rewritten in place through a hard link in another directory is seen at the next scan', async () => {
    const t = new HostTree();
    const h = harness(t);
    try {
      t.write('/etc/kubernetes/pki/apiserver.crt', a.pem);
      mkdirSync(t.abs('/var/lib/tool'), { recursive: true });
      linkSync(t.abs('/etc/kubernetes/pki/apiserver.crt'), t.abs('/var/lib/tool/apiserver.crt'));
      const paths = ['/etc/kubernetes/pki/**'];
      assert.deepEqual(cns(await h.scan(paths)), ['node-a']);
      await h.settle(paths);
      writeFileSync(t.abs('/var/lib/tool/apiserver.crt'), b.pem); // same inode, in place
      await drain();
      assert.deepEqual(await h.truth(paths), ['node-b'], 'control: the node changed');
      const inv = await h.scan(paths);
      assert.deepEqual(cns(inv), ['node-b'], `memo reused: ${String(h.memo.stats.reused)}`);
    } finally {
      h.memo.close();
      t.remove();
    }
  });

  test('a file system mounted over a watched directory (tmpfs, as kubelet mounts secrets) is seen at the next scan', async (ctx) => {
    const t = new HostTree();
    const h = harness(t);
    const dir = t.abs('/etc/kubernetes/pki');
    let mounted = false;
    try {
      t.write('/etc/kubernetes/pki/apiserver.crt', a.pem);
      const paths = ['/etc/kubernetes/pki/**'];
      assert.deepEqual(cns(await h.scan(paths)), ['node-a']);
      await h.settle(paths);
      try {
        execFileSync('mount', ['-t', 'tmpfs', 'none', dir], { stdio: 'ignore' });
        mounted = true;
      } catch {
        ctx.skip('mount(8) not permitted here');
        return;
      }
      writeFileSync(`${dir}/apiserver.crt`, b.pem);
      await drain();
      assert.deepEqual(await h.truth(paths), ['node-b'], 'control: the node changed');
      const inv = await h.scan(paths);
      assert.deepEqual(cns(inv), ['node-b'], `memo reused: ${String(h.memo.stats.reused)}`);
    } finally {
      if (mounted) execFileSync('umount', [dir]);
      h.memo.close();
      t.remove();
    }
  });
});

describe('bounded state over many scans', () => {
  test('the watch plan does not keep every directory ever seen (pod-volume churn)', async () => {
    const t = new HostTree();
    const h = harness(t, 1);
    try {
      const paths = ['/pods/**'];
      for (let i = 0; i < 60; i++) {
        // one pod directory comes, the one before goes: the node holds 1 at any time
        t.write(`/pods/uid-${i}/volumes/tls/tls.crt`, a.pem);
        if (i > 0) rmSync(t.abs(`/pods/uid-${i - 1}`), { recursive: true });
        await h.scan(paths);
      }
      const spec = (h.watch as unknown as { spec: Map<string, unknown> }).spec;
      // live: /, /pods's ancestors (a few), /pods, uid-59, volumes, tls
      assert.ok(spec.size < 30, `the watch plan holds ${spec.size} directories for 4 live ones`);
    } finally {
      h.memo.close();
      t.remove();
    }
  });
});

describe('hostile layouts (these held up)', () => {
  test('a watched directory replaced by a file, a loop, a newline name, chmod 000: no throw, right result', async () => {
    const t = new HostTree();
    const h = harness(t);
    try {
      t.write('/etc/kubernetes/pki/apiserver.crt', a.pem);
      t.write('/etc/kubernetes/pki/sub/x\nfake.crt', b.pem);
      t.link('/etc/kubernetes/pki/loop', '/etc/kubernetes/pki');
      const paths = ['/etc/kubernetes/pki/**'];
      assert.deepEqual(cns(await h.scan(paths)), ['node-a', 'node-b']);
      await h.settle(paths);
      execFileSync('chmod', ['000', t.abs('/etc/kubernetes/pki/sub')]);
      await drain();
      await h.scan(paths);
      assert.equal(h.memo.stats.reused, false, 'chmod on a subdirectory is a change');
      rmSync(t.abs('/etc/kubernetes/pki'), { recursive: true, force: true });
      writeFileSync(t.abs('/etc/kubernetes/pki'), 'not a dir');
      await drain();
      assert.deepEqual(cns(await h.scan(paths)), []);
      assert.equal(h.memo.stats.reused, false);
    } finally {
      h.memo.close();
      t.remove();
    }
  });
});

describe('a file the cache cannot stat', () => {
  test('a certificate path longer than PATH_MAX is an item error, not a failed scan, with the parse cache', async () => {
    const t = new HostTree();
    try {
      t.write('/pki/ok.crt', a.pem);
      // 20 levels of 200-character names, then a 250-character file: over 4,096 bytes in all,
      // made with relative steps (as any process on the node can)
      const d = 'd'.repeat(200);
      execFileSync('sh', [
        '-c',
        `cd "$1/pki" && for i in $(seq 20); do mkdir ${d} && cd ${d}; done && printf x > ${'x'.repeat(250)}.crt`,
        'sh',
        t.root,
      ]);
      const paths = ['/pki/**'];
      // control: without the cache, one item error and the good certificate
      const plain = await scanFiles(openNodeFiles(t.root), cfg(paths));
      assert.deepEqual(cns(plain), ['node-a']);
      assert.ok(plain.errors.length >= 1);
      const cache = new ParseCache(0);
      cache.begin();
      const cached = await scanFiles(openNodeFiles(t.root, cache), cfg(paths)).catch(
        (e: unknown) => `threw: ${String(e)}`,
      );
      assert.equal(
        typeof cached,
        'object',
        typeof cached === 'string' ? cached.slice(0, 120) : 'ok',
      );
    } finally {
      execFileSync('rm', ['-rf', t.root]); // rm(1) walks relatively; rmSync hits ENAMETOOLONG
    }
  });
});

describe('"unchanged" by identity on a node with containers', () => {
  test('a certificate found through a container mount is the same object at an unchanged rescan', async () => {
    const t = new HostTree();
    try {
      // calico-node mounts /etc/cni/net.d, whose kubeconfig no preset names
      t.write('/etc/cni/net.d/calico.crt', a.pem);
      const cache = new ParseCache(0);
      const container: RuntimeContainer = {
        id: 'c1',
        podSandboxId: 's1',
        pod: { namespace: 'kube-system', name: 'calico-node-x', uid: 'u1' },
        name: 'calico-node',
        attempt: 0,
        state: 'running',
        mounts: [
          { containerPath: '/host/etc/cni/net.d', hostPath: '/etc/cni/net.d', readonly: false },
        ],
      };
      const base = await scanFiles(openNodeFiles(t.root, cache), cfg(['/etc/kubernetes/pki/**']));
      const usage: UsageMemo = new WeakMap();
      const once = async (): Promise<Inventory> => {
        cache.begin();
        const f = await followMounts(openNodeFiles(t.root, cache), [container], base, {
          ...FOLLOW_DEFAULTS,
          maxFileSize: 1 << 20,
        });
        cache.end();
        return applyUsage(f.inventory, { named: [] }, usage);
      };
      const one = await once();
      const two = await once();
      assert.deepEqual(cns(two), ['node-a']);
      assert.equal(cache.stats().reused, 1, 'control: the file was not read again');
      assert.equal(
        two.certificates[0],
        one.certificates[0],
        'a new object: the worker re-renders every scan',
      );
    } finally {
      t.remove();
    }
  });
});

describe('the watch read at the very start of a scan', () => {
  test('a change made just before the scan starts (event not yet delivered) is seen by that scan', async () => {
    const t = new HostTree();
    const h = harness(t);
    try {
      t.write('/etc/kubernetes/pki/apiserver.crt', a.pem);
      const paths = ['/etc/kubernetes/pki/**'];
      await h.settle(paths);
      writeFileSync(t.abs('/etc/kubernetes/pki/apiserver.crt'), b.pem); // then scan at once
      const inv = await h.scan(paths);
      assert.deepEqual(cns(inv), ['node-b'], `memo reused: ${String(h.memo.stats.reused)}`);
    } finally {
      h.memo.close();
      t.remove();
    }
  });
});
