// Issue #12 benchmark: `certdrift plan` on a 5,000-node fleet across 50 groups (kubectl-shaped
// JSON, reports for nine in ten nodes, two maintenance windows), as whole processes: -o json,
// the table, and -o html. Bare `node -e ""` is timed alongside: on a shared machine it shows how
// much of each figure is the machine. Run alone: `node --import tsx bench/plan.ts`.

import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BIN, REPO } from '../test/support/scan.js';
import { writeSyntheticFleet } from '../test/plan/synthetic-fleet.js';
import { spawnSync } from 'node:child_process';
import { median } from './measure.js';

export const PLAN_NODES = 5000;
export const PLAN_GROUPS = 50;

interface Figure {
  medianMs: number;
  minMs: number;
  /** user + system CPU time of the process: far less sensitive than wall time to a busy machine */
  medianCpuMs: number;
  peakRssMb: number;
}

// bench/measure.ts's harness plus the child's CPU time (getrusage(RUSAGE_CHILDREN) per run).
const HARNESS = `
import resource, subprocess, sys, time
r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
t = time.perf_counter()
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wall = time.perf_counter() - t
r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
print(wall, r1.ru_maxrss, cpu, r.returncode)
`;

function runMany(cmd: string[], runs: number): Figure & { exitCode: number } {
  const samples: { wall: number; rss: number; cpu: number; code: number }[] = [];
  for (let i = 0; i <= runs; i++) {
    const res = spawnSync('python3', ['-c', HARNESS, ...cmd], { encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`harness failed: ${res.stderr}`);
    const [wall, rss, cpu, code] = res.stdout.trim().split(' ').map(Number);
    // The first run warms the page cache and is not counted.
    if (i > 0)
      samples.push({
        wall: (wall ?? 0) * 1000,
        rss: (rss ?? 0) / 1024,
        cpu: (cpu ?? 0) * 1000,
        code: code ?? -1,
      });
  }
  return {
    medianMs: median(samples.map((s) => s.wall)),
    minMs: Math.min(...samples.map((s) => s.wall)),
    medianCpuMs: median(samples.map((s) => s.cpu)),
    peakRssMb: Math.max(...samples.map((s) => s.rss)),
    exitCode: samples[0]?.code ?? -1,
  };
}

export interface PlanBench {
  nodes: number;
  groups: number;
  inputMb: number;
  exitCode: number;
  runs: number;
  json: Figure;
  table: Figure;
  html: Figure;
  bareNode: Figure;
}

const pick = ({ exitCode: _, ...f }: ReturnType<typeof runMany>): Figure => f;

export function benchPlan(runs: number, log: (s: string) => void): PlanBench {
  const dir = join(REPO, '.bench', 'plan-fleet-v1');
  mkdirSync(dir, { recursive: true });
  const f = writeSyntheticFleet(PLAN_NODES, PLAN_GROUPS, dir);
  const inputMb = (statSync(f.nodes).size + statSync(f.reports).size) / 2 ** 20;
  const base = [
    process.execPath,
    BIN,
    'plan',
    '--nodes',
    f.nodes,
    '--reports',
    f.reports,
    '--policy',
    f.policy,
    '--at',
    f.at,
  ];
  log(
    `timing plan on ${PLAN_NODES} nodes / ${PLAN_GROUPS} groups (${inputMb.toFixed(1)} MB of input), ${runs} runs each…`,
  );
  const json = runMany([...base, '-o', 'json'], runs);
  const exitCode = json.exitCode;
  if (exitCode !== 1 && exitCode !== 2)
    throw new Error(`plan exited ${exitCode}: the fleet should have late nodes`);
  const table = runMany(base, runs);
  const html = runMany([...base, '-o', 'html'], runs);
  const bareNode = runMany([process.execPath, '-e', ''], runs);
  return {
    nodes: PLAN_NODES,
    groups: PLAN_GROUPS,
    inputMb,
    exitCode,
    runs,
    json: pick(json),
    table: pick(table),
    html: pick(html),
    bareNode: pick(bareNode),
  };
}

export function planRows(b: PlanBench): string[] {
  const f = (x: Figure): string =>
    `${x.medianMs.toFixed(0)} ms (min ${x.minMs.toFixed(0)}; CPU ${x.medianCpuMs.toFixed(0)} ms) | ${x.peakRssMb.toFixed(0)} MB`;
  return [
    `| \`certdrift plan -o json\`, ${b.nodes} nodes / ${b.groups} groups | ${f(b.json)} |`,
    `| \`certdrift plan\` (table) | ${f(b.table)} |`,
    `| \`certdrift plan -o html\` | ${f(b.html)} |`,
    `| bare \`node -e ""\` at the same time | ${f(b.bareNode)} |`,
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const b = benchPlan(
    Number(process.env.BENCH_RUNS ?? 15),
    (s) => void process.stderr.write(s + '\n'),
  );
  process.stdout.write(
    [
      '| measurement | median wall | peak RSS |',
      '|---|---|---|',
      ...planRows(b),
      '',
      `Node ${process.version}`,
      '',
    ].join('\n'),
  );
}
