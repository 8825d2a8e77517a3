// `npm run bench`: the scan benchmark of issue #2. Generates (once) a 10,000-certificate node
// tree, then times whole `certdrift` processes. Figures go to stdout and .bench/results.json;
// BENCHMARKS.md records them with the machine they were taken on.

import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { BIN, REPO } from '../test/support/scan.js';
import { ensureTree, expectedCertificates, fileCount } from './node-tree.js';
import { measure, runMany } from './measure.js';
import { benchDrift, MOUNTS_PER_POD, PODS } from './drift.js';
import { benchAgent, benchCycles } from './agent.js';
import { missingTools } from '../src/lab/containerd.js';
import { benchPlan, planRows } from './plan.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const log = (s: string): void => void process.stderr.write(s + '\n');

async function main(): Promise<void> {
  const dir = join(REPO, '.bench');
  mkdirSync(dir, { recursive: true });
  log('building the benchmark node tree (cached after the first run)…');
  const tree = await ensureTree(dir, log);

  const scanCmd = [
    process.execPath,
    BIN,
    'scan',
    '--host-root',
    tree,
    '--preset',
    'none',
    '--path',
    '**',
    '-o',
    'json',
  ];
  const check = JSON.parse(
    spawnSync(process.execPath, scanCmd.slice(1), { maxBuffer: 1 << 30, encoding: 'utf8' }).stdout,
  ) as { summary: { certificates: number; files: number; errors: number } };
  if (check.summary.certificates !== expectedCertificates())
    throw new Error(
      `scan found ${check.summary.certificates} certificates, expected ${expectedCertificates()}`,
    );
  log(
    `scan sees ${check.summary.certificates} certificates in ${check.summary.files} files, ${check.summary.errors} item errors`,
  );

  log(`timing scan -o json (${RUNS} runs)…`);
  const scan = runMany(scanCmd, RUNS);
  log(`timing scan (table) (${RUNS} runs)…`);
  const table = runMany(scanCmd.slice(0, -2), RUNS);
  log('timing --version (20 runs)…');
  const version = runMany([process.execPath, BIN, '--version'], 20);
  log('timing the by-hand approach: openssl x509 -noout -enddate per file (one run)…');
  const openssl = measure([
    'bash',
    '-c',
    `find '${tree}' -type f ! -name .complete -print0 | xargs -0 -n1 openssl x509 -noout -enddate -in`,
  ]);

  // Issue #3: drift over a real containerd (root and the lab packages needed).
  const canLab = process.getuid?.() === 0 && missingTools().length === 0;
  if (!canLab) log('skipping the drift benchmark: needs root and containerd, runc, busybox-static');
  else log(`starting the lab: ${PODS} pods × ${MOUNTS_PER_POD} mounts…`);
  const drift = canLab ? await benchDrift(RUNS, log) : null;

  log('agent: 20 concurrent scrapers on the 10,000-certificate tree, then 1,000 scan cycles…');
  const agent = await benchAgent(tree, log);
  const cycles = benchCycles(1000);
  const plan = benchPlan(RUNS, log);

  const results = {
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model ?? '',
      memGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
    },
    tree: {
      certificates: check.summary.certificates,
      files: fileCount(),
      itemErrors: check.summary.errors,
    },
    scanJson: { medianMs: scan.medianMs, minMs: scan.minMs, peakRssMb: scan.peakRssMb, runs: RUNS },
    scanTable: {
      medianMs: table.medianMs,
      minMs: table.minMs,
      peakRssMb: table.peakRssMb,
      runs: RUNS,
    },
    version: { medianMs: version.medianMs, peakRssMb: version.peakRssMb, runs: 20 },
    opensslLoop: { wallMs: openssl.wallMs, ratio: openssl.wallMs / scan.medianMs },
    agent,
    agentCycles: cycles,
    plan,
    drift: drift && { containers: PODS, mountsPerContainer: MOUNTS_PER_POD, ...drift, runs: RUNS },
  };
  writeFileSync(join(dir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  const f = (n: number): string => n.toFixed(0);
  process.stdout.write(
    [
      `| measurement | median wall | peak RSS |`,
      `|---|---|---|`,
      `| \`certdrift scan -o json\`, ${results.tree.certificates} certs / ${results.tree.files} files | ${f(scan.medianMs)} ms (min ${f(scan.minMs)}) | ${f(scan.peakRssMb)} MB |`,
      `| \`certdrift scan\` (table) | ${f(table.medianMs)} ms (min ${f(table.minMs)}) | ${f(table.peakRssMb)} MB |`,
      `| \`certdrift --version\` | ${f(version.medianMs)} ms | ${f(version.peakRssMb)} MB |`,
      `| \`openssl x509 -noout -enddate\` per file | ${f(openssl.wallMs)} ms (1 run) | — |`,
      `| agent \`/metrics\` under 20 concurrent scrapers (${agent.requests} requests, gzip) | p50 ${agent.p50Ms.toFixed(1)} ms, p99 ${agent.p99Ms.toFixed(1)} ms | ${f(agent.rssMb)} MB steady |`,
      `| agent, ${cycles.cycles} scan cycles | heap ${cycles.heapStartMb.toFixed(1)} → ${cycles.heapEndMb.toFixed(1)} MB | RSS ${f(cycles.rssStartMb)} → ${f(cycles.rssEndMb)} MB |`,
      drift
        ? `| \`certdrift scan\` with drift, ${PODS} containers × ${MOUNTS_PER_POD} mounts (real containerd) | ${f(drift.medianMs)} ms (min ${f(drift.minMs)}) | ${f(drift.peakRssMb)} MB |`
        : '| drift benchmark | skipped (needs root + containerd) | |',
      ...planRows(plan),
      '',
      `certdrift is ${results.opensslLoop.ratio.toFixed(0)}× faster than the openssl loop, which also reads only the first certificate of each file and none of the kubeconfigs.`,
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
});
