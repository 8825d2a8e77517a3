// Issues #5 and #11 benchmarks: the agent process as a user starts it (no NODE_OPTIONS) on the
// 10,000-certificate tree under 20 concurrent scrapers (bounded: 20 × 100 requests on loopback),
// gzip and plain, its RSS after the first scan, steady after a rescan, and its peak (VmHWM);
// and heap/RSS across 1,000 scan cycles (in a child with --expose-gc, on a kops-like node so it
// ends in minutes).

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, get } from 'node:http';
import { BIN, REPO } from '../test/support/scan.js';
import { median } from './measure.js';

function memMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** CPU time a process has run, in ms (the scheduler's own nanosecond account). */
function cpuMs(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return 0;
  }
}

/** Proportional set size in MB: shared pages (the node binary) split between the sharers. */
function pssMb(pid: number): number {
  try {
    const t = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return Number(/^Pss:\s+(\d+) kB/m.exec(t)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** The agent's scan worker processes (its children). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter((x) => x !== '')
      .map(Number);
  } catch {
    return [];
  }
}

export interface RescanBench {
  interval: number;
  scans: number;
  /** agent + worker CPU per scan, every scan of the window (verifications included) */
  cpuPerScanMs: number;
  /** per-scan CPU bursts: median (reused file half) and max (a verification by stat) */
  burstMedianMs: number;
  burstMaxMs: number;
  workersStarted: number;
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
  /** the scan worker, kept between scans (its cache): RSS and peak */
  workerRssMb: number;
  workerPeakRssMb: number;
  /** agent + worker proportional set size: what the pod's memory really holds */
  pssMb: number;
  rescan: RescanBench;
  /** a bare node:http server writing a static buffer of the same size: the floor for plain */
  plainFloor: { p50Ms: number; p99Ms: number };
}

interface Round {
  p50Ms: number;
  p99Ms: number;
  requests: number;
  bytes: number;
  resets: number;
}

/** 20 keep-alive scrapers × 100 requests, like Prometheus; timed until the whole body arrived. */
async function scrapeRound(port: number, gzip: boolean): Promise<Round> {
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
}

/** The floor for plain scrapes: node:http writing a static buffer of `bytes`, in another process. */
async function plainFloor(node: string, bytes: number): Promise<{ p50Ms: number; p99Ms: number }> {
  const port = 29732;
  const child = spawn(
    node,
    [
      '-e',
      `const b = Buffer.alloc(${bytes}, 'a'); require('node:http').createServer((q, r) => r.end(b)).listen(${port}, '127.0.0.1', () => console.log('up'))`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise((r) => child.stdout.once('data', r));
  try {
    const r = await scrapeRound(port, false);
    return { p50Ms: r.p50Ms, p99Ms: r.p99Ms };
  } finally {
    child.kill();
  }
}

async function scansTotal(port: number): Promise<number> {
  const body = await (
    await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { 'accept-encoding': 'gzip' } })
  ).text();
  return Number(/certdrift_scans_total\{[^}]*result="success"\} (\d+)/.exec(body)?.[1] ?? NaN);
}

/**
 * CPU per rescan of the unchanged tree: agent + worker CPU over a window of scans, and the
 * per-scan bursts (sampled every 20 ms) to separate reused scans from verifications by stat.
 */
async function rescanCost(
  pid: number,
  port: number,
  intervalS: number,
  windowScans: number,
): Promise<RescanBench> {
  const total = (): number => cpuMs(pid) + childrenOf(pid).reduce((a, c) => a + cpuMs(c), 0);
  const workers = new Set(childrenOf(pid));
  const s0 = await scansTotal(port);
  const c0 = total();
  const bursts: number[] = [];
  let last = c0;
  let burst = 0;
  let quiet = 0;
  const end = Date.now() + windowScans * intervalS * 1000;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 20));
    for (const c of childrenOf(pid)) workers.add(c);
    const now = total();
    if (now - last > 0.5) {
      burst += now - last;
      quiet = 0;
    } else if (burst > 0 && ++quiet >= 10) {
      bursts.push(burst);
      burst = 0;
    }
    last = now;
  }
  const c1 = total();
  const s1 = await scansTotal(port);
  bursts.sort((a, b) => a - b);
  return {
    interval: intervalS,
    scans: s1 - s0,
    cpuPerScanMs: (c1 - c0) / Math.max(1, s1 - s0),
    burstMedianMs: median(bursts),
    burstMaxMs: bursts[bursts.length - 1] ?? 0,
    workersStarted: workers.size,
  };
}

/**
 * The agent process exactly as a user starts it (no NODE_OPTIONS: it sets what it needs
 * itself) with `node` (default: the running one), scanning `tree` every 2 s.
 */
export async function benchAgent(
  tree: string,
  log: (s: string) => void,
  node = process.execPath,
): Promise<AgentBench> {
  const port = 29731;
  const intervalS = Number(process.env.BENCH_AGENT_INTERVAL ?? 2);
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
      // the ledger as the DaemonSet keeps it
      '--state-dir',
      mkdtempSync(join(tmpdir(), 'certdrift-bench-state-')),
      '--no-probe',
      '--listen',
      `127.0.0.1:${port}`,
      '--interval',
      String(intervalS),
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
  const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
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
      `agent on ${version} ready; /metrics is ${(body.length / 1e6).toFixed(1)} MB; RSS ${rssMb.toFixed(0)} MB; rescans of the unchanged tree every ${intervalS} s…`,
    );
    // a few scans first: the watch settles (the second scan verifies), files age past racy
    await idle(4 * intervalS * 1000);
    const rescan = await rescanCost(pid, port, intervalS, 14);
    log(
      `rescan: ${rescan.cpuPerScanMs.toFixed(1)} ms CPU per scan over ${rescan.scans} scans (bursts: median ${rescan.burstMedianMs.toFixed(1)}, max ${rescan.burstMaxMs.toFixed(1)} ms); 20 scrapers × 100 requests, gzip then plain…`,
    );
    const gz = await scrapeRound(port, true);
    log(`gzip p99 ${gz.p99Ms.toFixed(1)} ms`);
    const plain = await scrapeRound(port, false);
    log(`plain p99 ${plain.p99Ms.toFixed(1)} ms; the floor (a static buffer from node:http)…`);
    const floor = await plainFloor(node, Buffer.byteLength(body));
    await idle(2 * intervalS * 1000 + 3000);
    const m = memMb(pid);
    const workers = childrenOf(pid);
    const w = workers.length > 0 ? memMb(workers[0] ?? 0) : { rss: 0, peak: 0 };
    return {
      node: version,
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
      workerRssMb: w.rss,
      workerPeakRssMb: w.peak,
      pssMb: pssMb(pid) + workers.reduce((a, c) => a + pssMb(c), 0),
      rescan,
      plainFloor: floor,
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
