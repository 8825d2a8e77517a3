// Issue #20: nothing on a node steers the probe. The scenario (netns-scenario.ts) runs in a
// network namespace with only loopback (`unshare -n`, root), so a regression that dials a named
// address fails here without sending traffic anywhere.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ScenarioReport } from './netns-scenario.js';

const SCENARIO = fileURLToPath(new URL('./netns-scenario.ts', import.meta.url));
const FOREIGN = /192\.0\.2\.|evil/;

test('rogue command lines and manifests: only local listeners are dialled, capped and bounded', (t) => {
  if (process.geteuid?.() !== 0) {
    const why = 'needs root for `unshare -n` (a network namespace with only loopback)';
    if (process.env.CI === 'true') assert.fail(`${why}; CI must run this test`);
    t.skip(why);
    return;
  }
  // Its own PID namespace and /proc as well: the scan then sees the scenario's processes only,
  // not whatever else runs on this machine (the test control plane's real kube-apiserver and
  // etcd would otherwise show up as endpoints without a listener in this namespace).
  const res = spawnSync(
    'unshare',
    ['-n', '-p', '-f', '--mount-proc', process.execPath, '--import', 'tsx', SCENARIO],
    {
      encoding: 'utf8',
      maxBuffer: 256 << 20,
      timeout: 120_000,
    },
  );
  assert.equal(res.status, 0, res.stderr);
  const r = JSON.parse(res.stdout) as ScenarioReport;

  // nothing named by a flag or a manifest alone is dialled; each is reported with its reason
  for (const s of r.served.filter((x) => FOREIGN.test(x.endpoint)))
    assert.ok(
      s.reason === 'no_listener' || s.reason === 'not_local',
      `${s.endpoint} (${s.source}) was dialled: ${s.reason ?? 'ok'}`,
    );
  const reasons = (c: string): string[] =>
    r.served.filter((s) => s.component === c).map((s) => `${s.endpoint} ${s.reason ?? 'ok'}`);
  assert.deepEqual(reasons('kube-apiserver').sort(), [
    '192.0.2.10:6443 no_listener',
    '192.0.2.12:8443 no_listener',
  ]);
  // the listener's own address is dialled (loopback; the wildcard as loopback), never the flag's
  assert.deepEqual(reasons('kube-scheduler'), ['127.0.0.1:10259 ok']);
  assert.equal(r.schedulerConnections, 1);
  assert.deepEqual(reasons('kube-controller-manager'), ['127.0.0.1:9443 tls_failed']);

  // 5,000 etcd URLs, 100 of them listening: at most 32 dialled, at most 8 sockets at once
  const etcd = r.served.filter((s) => s.component === 'etcd');
  const count = (reason: string | undefined): number =>
    etcd.filter((s) => s.reason === reason).length;
  assert.equal(r.etcd.total, 32 - 2, 'the cap counts every dialled endpoint (2 dialled above)');
  assert.ok(r.etcd.maxConcurrent <= 8, `${r.etcd.maxConcurrent} sockets at once`);
  assert.equal(count('over_cap'), 100 - 30);
  assert.equal(count('no_listener'), 5000 - 100 + 2);
  assert.ok(r.probeMs < 10_000, `${Math.round(r.probeMs)} ms`);

  // /metrics: the served series carry local listener addresses only
  const endpoints = [...r.metrics.matchAll(/endpoint="([^"]*)"/g)].map((m) => m[1]);
  assert.ok(endpoints.includes('127.0.0.1:10259'), r.metrics.slice(0, 2000));
  assert.doesNotMatch(r.metrics, FOREIGN);
  for (const e of endpoints) assert.match(e ?? '', /^(127\.0\.0\.1|\[::1\]):\d+$/);
});
