import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Clock } from '../model/clock.js';
import { AgentLoop, nextDelay } from './loop.js';
import { AgentMetrics, type ScanOutcome } from './metrics.js';

const outcome = (n: number): ScanOutcome => ({
  inventory: {
    hostRoot: '/',
    presets: [],
    files: [],
    certificates: [],
    errors: [],
    missing: [],
    incomplete: [],
    workloads: [],
    sources: [{ source: 'files', up: true }],
  },
  findings: [],
  lifetime: null,
  now: new Date(1_800_000_000_000 + n * 1000),
  durationSeconds: 0.5,
});

/** A clock whose sleeps return at once and are recorded; aborts after `limit` sleeps. */
function fakeClock(limit: number, abort: AbortController): Clock & { slept: number[] } {
  const slept: number[] = [];
  return {
    slept,
    now: () => new Date(1_800_000_000_000),
    sleep: (ms) => {
      slept.push(ms);
      if (slept.length >= limit) abort.abort();
      return Promise.resolve();
    },
  };
}

test('interval with jitter; exponential backoff after failures, capped at the interval', () => {
  const opts = { intervalMs: 300_000, jitter: 0.1 };
  assert.equal(nextDelay(opts, 0, 0), 270_000);
  assert.equal(nextDelay(opts, 0, 0.5), 300_000);
  assert.equal(nextDelay(opts, 0, 0.999999), 330_000);
  assert.deepEqual(
    [1, 2, 3, 4].map((f) => nextDelay(opts, f, 0.5)),
    [1000, 2000, 4000, 8000],
  );
  assert.equal(nextDelay(opts, 30, 0.5), 300_000);
});

test('the loop survives failing scans, keeps the last snapshot, becomes ready on the first success', async () => {
  const abort = new AbortController();
  const clock = fakeClock(6, abort);
  const metrics = new AgentMetrics('n1');
  const results = [
    new Error('disk gone'),
    outcome(1),
    new Error('again'),
    new Error('again'),
    outcome(2),
    outcome(3),
  ];
  let i = 0;
  const logs: string[] = [];
  const loop = new AgentLoop(
    {
      scan: () => {
        const r = results[i++];
        return r instanceof Error || !r
          ? Promise.reject(r ?? new Error('done'))
          : Promise.resolve(r);
      },
      metrics,
      clock,
      random: () => 0.5,
      log: (m) => logs.push(m),
    },
    { intervalMs: 60_000, jitter: 0.1 },
  );
  assert.equal(loop.ready, false);
  await loop.run(abort.signal);
  assert.equal(loop.ready, true);
  assert.equal(loop.scans, 3);
  assert.deepEqual(clock.slept, [1000, 60_000, 1000, 2000, 60_000, 60_000]);
  assert.match(logs[0] ?? '', /scan failed \(1 in a row\): disk gone/);
  assert.match(metrics.current(), /certdrift_scans_total\{node="n1",result="failure"\} 3/);
  assert.match(metrics.current(), /certdrift_scans_total\{node="n1",result="success"\} 3/);
});
