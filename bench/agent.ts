// Issue #5 benchmarks: the agent process (as deployed: NODE_OPTIONS=--max-semi-space-size=2)
// on the 10,000-certificate tree under 20 concurrent
// scrapers (bounded: 20 × 100 requests on loopback), its steady RSS, and heap/RSS across
// 1,000 scan cycles (in a child with --expose-gc, on a kops-like node so it ends in minutes).

import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { BIN, REPO } from '../test/support/scan.js';
import { median } from './measure.js';

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

export async function benchAgent(
  tree: string,
  log: (s: string) => void,
): Promise<{
  p50Ms: number;
  p99Ms: number;
  requests: number;
  rssMb: number;
  metricsBytes: number;
}> {
  const port = 29731;
  const child = spawn(
    process.execPath,
    [
      BIN,
      'agent',
      '--host-root',
      tree,
      '--preset',
      'none',
      '--path',
      '**',
      '--runtime-endpoint',
      'none',
      '--listen',
      `127.0.0.1:${port}`,
      '--interval',
      '3600',
    ],
    { stdio: 'ignore', env: { ...process.env, NODE_OPTIONS: '--max-semi-space-size=2' } },
  );
  try {
    for (let i = 0; i < 200; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    log(
      `agent ready; /metrics is ${(body.length / 1e6).toFixed(1)} MB; 20 scrapers × 100 requests…`,
    );
    // Like Prometheus: keep-alive, Accept-Encoding: gzip; timed until the whole body arrived.
    const agent = new Agent({ keepAlive: true, maxSockets: 20 });
    const scrape = (): Promise<number> =>
      new Promise((resolve, reject) => {
        const t0 = performance.now();
        get(
          {
            host: '127.0.0.1',
            port,
            path: '/metrics',
            agent,
            headers: { 'accept-encoding': 'gzip' },
          },
          (res) => {
            res.on('data', () => undefined);
            res.on('end', () => {
              resolve(performance.now() - t0);
            });
          },
        ).on('error', reject);
      });
    const latencies: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        for (let i = 0; i < 100; i++) latencies.push(await scrape());
      }),
    );
    agent.destroy();
    latencies.sort((a, b) => a - b);
    const pid = child.pid ?? 0;
    // Steady state: idle for a few seconds after the load, then read the agent's RSS.
    await new Promise((r) => setTimeout(r, 3000));
    return {
      p50Ms: median(latencies),
      p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? 0,
      requests: latencies.length,
      rssMb: rssMb(pid),
      metricsBytes: body.length,
    };
  } finally {
    child.kill('SIGTERM');
  }
}

export function benchCycles(cycles: number): {
  heapStartMb: number;
  heapEndMb: number;
  rssStartMb: number;
  rssEndMb: number;
  cycles: number;
} {
  const r = spawnSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', `${REPO}bench/agent-cycles.ts`, String(cycles)],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as ReturnType<typeof benchCycles>;
}
