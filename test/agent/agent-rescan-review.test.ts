// Adversarial review, end to end: the agent process and its real scan worker, a node whose
// certificate sits behind a "current" pointer directory outside the walked one (a link chain:
// pki/ca.crt -> /opt/store/current/ca.crt, current -> v1). Rotating by swapping the pointer is a
// real certificate change that /metrics must show at the next scan.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync, symlinkSync } from 'node:fs';
import { daysFrom, issue } from '../support/certs.js';
import { NOW } from '../support/nodes.js';
import { startAgent } from '../support/agent-process.js';
import { HostTree } from '../support/tree.js';

test('agent: a certificate rotated by swapping a pointer link outside the walked directory is in /metrics at the next scan', async () => {
  const t = new HostTree();
  const v1 = await issue({ cn: 'apiserver', notBefore: NOW, notAfter: daysFrom(NOW, 10) });
  const v2 = await issue({ cn: 'apiserver', notBefore: NOW, notAfter: daysFrom(NOW, 400) });
  t.write('/opt/store/v1/ca.crt', v1.pem);
  t.write('/opt/store/v2/ca.crt', v2.pem);
  t.link('/opt/store/current', 'v1');
  t.link('/etc/kubernetes/pki/ca.crt', '/opt/store/current/ca.crt');
  const agent = startAgent(t.root, 11, ['--preset', 'none', '--path', '/etc/kubernetes/pki/**']);
  const body = agent.metrics;
  const scans = async (): Promise<number> =>
    Number(
      /certdrift_scans_total\{node="n1",result="success"\} (\d+)/.exec(await body())?.[1] ?? 0,
    );
  const notAfter = async (): Promise<number> =>
    Number(/certdrift_certificate_not_after_seconds\{[^}]*\} (\d+)/.exec(await body())?.[1] ?? 0);
  const waitScans = async (n: number): Promise<void> => {
    for (let i = 0; i < 300 && (await scans()) < n; i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.ok((await scans()) >= n, `no scan ${n} within 30 s\n${agent.stderr()}`);
  };
  try {
    await waitScans(4); // armed, verified, reused
    assert.equal(await notAfter(), v1.notAfter.getTime() / 1000);
    symlinkSync('v2', t.abs('/opt/store/next'));
    renameSync(t.abs('/opt/store/next'), t.abs('/opt/store/current'));
    const at = await scans();
    const lag: number[] = [];
    for (let k = 1; k <= 7; k++) {
      await waitScans(at + k);
      lag.push(await notAfter());
      if (lag.at(-1) === v2.notAfter.getTime() / 1000) break;
    }
    assert.equal(
      lag[0],
      v2.notAfter.getTime() / 1000,
      `old notAfter served for ${lag.length - 1} scans after the swap (seen: ${String(lag.at(-1) === v2.notAfter.getTime() / 1000)})`,
    );
  } finally {
    agent.stop();
    t.remove();
  }
});
