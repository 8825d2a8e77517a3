// Whole-process measurements: wall time (monotonic clock), CPU time (user + system) and peak RSS
// of one child process, taken by a small python3 harness (getrusage(RUSAGE_CHILDREN) is the kernel's own peak-RSS
// figure; Node has no API for a child's rusage).

import { spawnSync } from 'node:child_process';

const HARNESS = `
import resource, subprocess, sys, time
t = time.perf_counter()
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wall = time.perf_counter() - t
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(wall, u.ru_maxrss, r.returncode, u.ru_utime + u.ru_stime)
`;

export interface Sample {
  wallMs: number;
  /** user + system CPU time of the child */
  cpuMs: number;
  peakRssMb: number;
  exitCode: number;
}

export function measure(cmd: string[]): Sample {
  const res = spawnSync('python3', ['-c', HARNESS, ...cmd], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`harness failed: ${res.stderr}`);
  const [wall, rssKb, code, cpu] = res.stdout.trim().split(' ').map(Number);
  return {
    wallMs: (wall ?? 0) * 1000,
    cpuMs: (cpu ?? 0) * 1000,
    peakRssMb: (rssKb ?? 0) / 1024,
    exitCode: code ?? -1,
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

type Summary = ReturnType<typeof summarize>;

function summarize(samples: Sample[]): {
  samples: Sample[];
  medianMs: number;
  minMs: number;
  medianCpuMs: number;
  peakRssMb: number;
} {
  return {
    samples,
    medianMs: median(samples.map((s) => s.wallMs)),
    minMs: Math.min(...samples.map((s) => s.wallMs)),
    medianCpuMs: median(samples.map((s) => s.cpuMs)),
    peakRssMb: Math.max(...samples.map((s) => s.peakRssMb)),
  };
}

/** A, B, A, B…: on a shared machine the load of each minute hits both sides alike (issue #25). */
export function runInterleaved(a: string[], b: string[], runs: number): [Summary, Summary] {
  measure(a);
  measure(b);
  const sa: Sample[] = [];
  const sb: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    sa.push(measure(a));
    sb.push(measure(b));
  }
  return [summarize(sa), summarize(sb)];
}

export function runMany(
  cmd: string[],
  runs: number,
  warmup = 1,
): {
  samples: Sample[];
  medianMs: number;
  minMs: number;
  medianCpuMs: number;
  peakRssMb: number;
} {
  for (let i = 0; i < warmup; i++) measure(cmd);
  const samples = Array.from({ length: runs }, () => measure(cmd));
  return {
    samples,
    medianMs: median(samples.map((s) => s.wallMs)),
    minMs: Math.min(...samples.map((s) => s.wallMs)),
    medianCpuMs: median(samples.map((s) => s.cpuMs)),
    peakRssMb: Math.max(...samples.map((s) => s.peakRssMb)),
  };
}
