// Issue #25: on a typical node the agent scans in its own process after the first scan (a kept
// worker process would double the pod's memory); on a node with many certificates it keeps the
// worker. The real agent process on real trees, its children read from /proc.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, renameSync } from 'node:fs';
import { daysFrom, issue } from '../support/certs.js';
import { kubeconfig } from '../support/kubeconfig.js';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { buildKopsNode, NOW } from '../support/nodes.js';

/** The agent's scan worker processes (its children), as pids. */
const children = (a: AgentProcess): string[] =>
  readFileSync(`/proc/${String(a.child.pid)}/task/${String(a.child.pid)}/children`, 'utf8')
    .trim()
    .split(/\s+/)
    .filter((p) => p !== '');

async function until(a: AgentProcess, what: string, ok: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${what} did not happen within 20 s\n${a.stderr()}`);
}

const SERIES = /^certdrift_certificate_not_after_seconds\{/gm;
const series = async (a: AgentProcess): Promise<number> =>
  (await a.metrics()).match(SERIES)?.length ?? 0;

test('a kops node: scans move into the agent after the first; the cache and rotations still work; past the bound a worker takes them back', async () => {
  const node = await buildKopsNode();
  const agent = startAgent(node.tree.root, 11, ['--path', '/opt/many/**']);
  const proxyNotAfter =
    /certdrift_certificate_not_after_seconds\{node="n1",component="kube-proxy",path="\/var\/lib\/kube-proxy\/kubeconfig"[^}]*\} (\d+)/;
  try {
    // rescans in the agent itself reuse every file, like the worker's
    await until(agent, 'an in-process rescan that reused every file', async () => {
      const reused = Number(
        await agent.metric(/certdrift_scan_files\{node="n1",result="reused"\} (\d+)/),
      );
      const parsed = await agent.metric(/certdrift_scan_files\{node="n1",result="parsed"\} (\d+)/);
      return reused >= 4 && parsed === '0' && children(agent).length === 0;
    });
    const small = await series(agent);
    assert.ok(small > 0 && small <= 500, `a small node: ${String(small)} certificates`);

    // a rotation is seen by the in-process scans
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
      agent,
      'the renewed certificate in /metrics',
      async () => Number(await agent.metric(proxyNotAfter)) === renewed.notAfter.getTime() / 1000,
    );
    assert.deepEqual(children(agent), [], 'no worker process on a small node');

    // 600 certificates more (one bundle): the scan that finds them hands the next ones to a worker
    const many = await issue({
      cn: 'many',
      notBefore: NOW,
      notAfter: daysFrom(NOW, 400),
    });
    node.tree.write('/opt/many/bundle.pem', many.pem.repeat(600));
    await until(
      agent,
      'the 600 certificates in /metrics',
      async () => (await series(agent)) >= 600 + small,
    );
    await until(agent, 'a worker process', () => Promise.resolve(children(agent).length === 1));
    const worker = children(agent)[0];
    // and later scans stay there, the same process
    const scans = Number(
      await agent.metric(/certdrift_scans_total\{node="n1",result="success"\} (\d+)/),
    );
    await until(
      agent,
      'two more scans',
      async () =>
        Number(await agent.metric(/certdrift_scans_total\{node="n1",result="success"\} (\d+)/)) >=
        scans + 2,
    );
    assert.deepEqual(children(agent), [worker], 'the same worker process keeps the big node');
    assert.equal(await series(agent), 600 + small);
    assert.equal(
      await agent.metric(/certdrift_scans_total\{node="n1",result="failure"\} (\d+)/),
      '0',
    );
  } finally {
    agent.stop();
    node.tree.remove();
  }
});

test('--scan-worker always keeps the worker process on a small node', async () => {
  const node = await buildKopsNode();
  const agent = startAgent(node.tree.root, 13, ['--scan-worker', 'always']);
  try {
    await until(agent, 'three successful scans', async () => {
      const n = Number(
        await agent.metric(/certdrift_scans_total\{node="n1",result="success"\} (\d+)/),
      );
      return n >= 3;
    });
    assert.equal(children(agent).length, 1, 'one worker process');
  } finally {
    agent.stop();
    node.tree.remove();
  }
});
