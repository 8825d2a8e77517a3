// Interrupting `certdrift renew --apply` after any file write leaves no half-renewed node: the
// run's journal (state `prepared`) makes the next run finish it first — with --new-keys, where a
// certificate and its key are two files, every pair on disk matches afterwards. A file changed
// between planning and writing is refused, and nothing of it is written.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveScanConfig } from '../../src/cli/config/scan-config.js';
import { RenewRun } from '../../src/adapters/host/renew-journal.js';
import { renewEdges, type RenewOptions } from '../../src/cli/renew-session.js';
import { planNode, signPlan } from '../../src/renew/renew-node.js';
import { runCli } from '../support/scan.js';
import { copyNode, makeKubeadmNode, requireKubeadm } from '../support/kubeadm.js';

const PAIRS = [
  'apiserver',
  'apiserver-etcd-client',
  'apiserver-kubelet-client',
  'front-proxy-client',
  'etcd/server',
  'etcd/peer',
  'etcd/healthcheck-client',
];

function options(root: string): RenewOptions {
  return {
    apply: true,
    dirs: { certDir: '/etc/kubernetes/pki', kubeconfigDir: '/etc/kubernetes' },
    validityMs: 365 * 864e5,
    newKeys: true,
    backupDir: join(root, 'var/lib/certdrift/backups'),
    lockFile: join(root, 'run/certdrift/fix.lock'),
    logFile: join(root, 'var/log/certdrift/renew.log'),
    restart: false,
    waitMs: 1000,
    graceSeconds: 1,
  };
}

class Interrupted extends Error {}

function pairsMatch(root: string): string[] {
  const bad: string[] = [];
  for (const p of PAIRS) {
    const cert = new X509Certificate(readFileSync(join(root, 'etc/kubernetes/pki', `${p}.crt`)));
    const key = createPrivateKey(readFileSync(join(root, 'etc/kubernetes/pki', `${p}.key`)));
    const a = cert.publicKey.export({ type: 'spki', format: 'der' });
    const b = createPublicKey(key).export({ type: 'spki', format: 'der' });
    if (!a.equals(b)) bad.push(p);
  }
  return bad;
}

test('interrupted after each of the 18 file writes, then rerun: finished, every certificate/key pair matches', (t) => {
  if (!requireKubeadm(t)) return;
  const base = makeKubeadmNode({ validity: '240h' });
  try {
    // 7 pairs × 2 files + 4 kubeconfigs = 18 writes: interrupted after each one in turn.
    for (let stopAfter = 1; stopAfter <= 18; stopAfter++) {
      const root = copyNode(base);
      try {
        const config = resolveScanConfig([
          { name: 'test', values: { hostRoot: root, presets: ['none'], runtimeEndpoint: 'none' } },
        ]);
        const opts = options(root);
        const now = new Date();
        const edges = renewEdges(config, opts);
        const signed = signPlan(edges, planNode(edges, opts, now), opts, now);
        assert.deepEqual(signed.refused, []);
        assert.equal(signed.writes.length, 18);
        const run = RenewRun.prepare(opts.backupDir, root, signed.writes, signed.planned, now);
        let n = 0;
        assert.throws(
          () =>
            run.commit(now, () => {
              if (++n === stopAfter) throw new Interrupted(`stopped after ${n} writes`);
            }),
          Interrupted,
        );
        // Writes go admin.conf, apiserver.key, apiserver.crt, …: after 2 (and 9) a key is new, its
        // certificate not yet.
        if (stopAfter === 2 || stopAfter === 9)
          assert.ok(
            pairsMatch(root).length > 0,
            `after ${stopAfter} writes a pair is half written`,
          );

        const r = runCli([
          'renew',
          '--host-root',
          root,
          '--runtime-endpoint',
          'none',
          '--preset',
          'none',
          '--apply',
          '--new-keys',
          '-o',
          'json',
        ]);
        assert.equal(r.status, 0, r.stderr + r.stdout);
        const out = JSON.parse(r.stdout) as {
          resumed: { written: string[]; already: string[] }[];
          plan: { items: { code: string }[] };
        };
        assert.equal(out.resumed.length, 1);
        assert.equal(out.resumed[0]?.already.length, stopAfter);
        assert.equal(out.resumed[0].written.length, 18 - stopAfter);
        assert.ok(
          out.plan.items.every((i) => i.code === 'fresh'),
          'nothing renewed twice',
        );
        assert.deepEqual(pairsMatch(root), []);
        assert.equal(RenewRun.open(run.dir).state, 'written');
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('a file changed after planning is refused and not written; the rest is renewed', (t) => {
  if (!requireKubeadm(t)) return;
  const root = makeKubeadmNode({ validity: '240h' });
  try {
    const config = resolveScanConfig([
      { name: 'test', values: { hostRoot: root, presets: ['none'], runtimeEndpoint: 'none' } },
    ]);
    const opts = { ...options(root), newKeys: false };
    const now = new Date();
    const edges = renewEdges(config, opts);
    const plan = planNode(edges, opts, now);
    const crt = join(root, 'etc/kubernetes/pki/apiserver.crt');
    const edited = readFileSync(crt, 'utf8') + '\n';
    writeFileSync(crt, edited);
    const signed = signPlan(edges, plan, opts, now);
    assert.deepEqual(
      signed.refused.map((r) => r.name),
      ['apiserver'],
    );
    assert.match(signed.refused[0]?.message ?? '', /changed since it was planned/);
    assert.equal(signed.writes.length, 10);
    // And at write time: a file edited after prepare() is refused by commit().
    const run = RenewRun.prepare(opts.backupDir, root, signed.writes, signed.planned, now);
    const sched = join(root, 'etc/kubernetes/scheduler.conf');
    writeFileSync(sched, readFileSync(sched, 'utf8') + '# edited\n');
    assert.throws(
      () => run.commit(now),
      /scheduler\.conf is neither its original nor its renewed version/,
    );
    assert.match(readFileSync(sched, 'utf8'), /# edited\n$/);
    assert.equal(readFileSync(crt, 'utf8'), edited);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
