// Issues #5 and #11 benchmarks: the agent process as a user starts it (no NODE_OPTIONS) on the
// 10,000-certificate tree under 20 concurrent scrapers (bounded: 20 × 100 requests on loopback),
// gzip and plain, its RSS after the first scan, steady after a rescan, and its peak (VmHWM);
// and heap/RSS across 1,000 scan cycles (in a child with --expose-gc, on a kops-like node so it
// ends in minutes).

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { BIN, REPO } from '../test/support/scan.js';
import { median } from './measure.js';

function memMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

export interface AgentBench {
  node: string;
  /** 20 scrapers × 100 requests each, `Accept-Encoding: gzip` (Prometheus) */
  gzip: { p50Ms: number; p99Ms: number; requests: number; resets: number };
  /** the same without compression (curl, a browser, some scrapers) */
  plain: { p50Ms: number; p99Ms: number; requests: number; resets: number };
  /** after the first scan, 3 s idle */
  rssMb: number;
  /** after a rescan and both scrape rounds, 3 s idle */
  steadyRssMb: number;
  /** the kernel's high-water mark over the whole run (VmHWM) */
  peakRssMb: number;
  metricsBytes: number;
  gzipBytes: number;
}

/**
 * The agent process exactly as a user starts it (no NODE_OPTIONS: it sets what it needs
 * itself) with `node` (default: the running one), scanning `tree` every 5 s.
 */
export async function benchAgent(
  tree: string,
  log: (s: string) => void,
  node = process.execPath,
): Promise<AgentBench> {
  const port = 29731;
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const child = spawn(
    node,
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
      '--kubernetes',
      'none',
      '--listen',
      `127.0.0.1:${port}`,
      '--interval',
      process.env.BENCH_AGENT_INTERVAL ?? '5',
      '--jitter',
      '0',
    ],
    {
      stdio: [
        'ignore',
        'ignore',
        process.env.BENCH_AGENT_LOG ? openSync(process.env.BENCH_AGENT_LOG, 'w') : 'ignore',
      ],
      env,
    },
  );
  const pid = child.pid ?? 0;
  const idle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  try {
    for (let i = 0; i < 300; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      await idle(100);
    }
    const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    await idle(3000);
    const rssMb = memMb(pid).rss;
    log(
      `agent on ${execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()} ready; /metrics is ${(body.length / 1e6).toFixed(1)} MB; RSS ${rssMb.toFixed(0)} MB; 20 scrapers × 100 requests, gzip then plain…`,
    );
    const round = async (
      gzip: boolean,
    ): Promise<{
      p50Ms: number;
      p99Ms: number;
      requests: number;
      bytes: number;
      resets: number;
    }> => {
      // Like Prometheus: keep-alive; timed until the whole body arrived.
      const agent = new Agent({ keepAlive: true, maxSockets: 20 });
      let bytes = 0;
      let resets = 0;
      const scrape = (): Promise<number> =>
        new Promise((resolve, reject) => {
          const t0 = performance.now();
          get(
            {
              host: '127.0.0.1',
              port,
              path: '/metrics',
              agent,
              headers: gzip ? { 'accept-encoding': 'gzip' } : {},
            },
            (res) => {
              let n = 0;
              res.on('data', (d: Buffer) => (n += d.length));
              res.on('end', () => {
                bytes = n;
                resolve(performance.now() - t0);
              });
            },
          ).on('error', (err: NodeJS.ErrnoException) => {
            // A keep-alive socket the server closed as idle while the client was still
            // reading the previous body (seen only on an overloaded machine): counted, retried.
            if (err.code !== 'ECONNRESET') reject(err);
            else {
              resets++;
              resolve(scrape());
            }
          });
        });
      const latencies: number[] = [];
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          for (let i = 0; i < 100; i++) latencies.push(await scrape());
        }),
      );
      agent.destroy();
      latencies.sort((a, b) => a - b);
      return {
        p50Ms: median(latencies),
        p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? 0,
        requests: latencies.length,
        bytes,
        resets,
      };
    };
    const gz = await round(true);
    log(`gzip p99 ${gz.p99Ms.toFixed(1)} ms`);
    const plain = await round(false);
    await idle(6000); // at least one more scan (interval 5 s), then idle
    await idle(3000);
    const m = memMb(pid);
    return {
      node: execFileSync(node, ['--version'], { encoding: 'utf8' }).trim(),
      gzip: { p50Ms: gz.p50Ms, p99Ms: gz.p99Ms, requests: gz.requests, resets: gz.resets },
      plain: {
        p50Ms: plain.p50Ms,
        p99Ms: plain.p99Ms,
        requests: plain.requests,
        resets: plain.resets,
      },
      rssMb,
      steadyRssMb: m.rss,
      peakRssMb: m.peak,
      metricsBytes: body.length,
      gzipBytes: gz.bytes,
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
