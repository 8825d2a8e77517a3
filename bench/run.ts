// `npm run bench`: the scan benchmark of issue #2. Generates (once) a 10,000-certificate node
// tree, then times whole `certdrift` processes. Figures go to stdout and .bench/results.json;
// BENCHMARKS.md records them with the machine they were taken on.

import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { BIN, REPO } from '../test/support/scan.js';
import { ensureTree, expectedCertificates, fileCount } from './node-tree.js';
import { measure, runMany } from './measure.js';
import { benchDrift, MOUNTS_PER_POD, PODS } from './drift.js';
import { benchAgent, benchCycles } from './agent.js';
import { missingTools } from '../src/lab/containerd.js';
import { benchPlan, planRows } from './plan.js';
import { benchGo } from './go-reference.js';
import { agentNodesRows, benchAgentNodes } from './agent-nodes.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
/**
 * `BENCH_ONLY=scan,go,agent` runs some parts only: scan, go, openssl, drift, agent, nodes (the
 * agent on typical nodes), cycles, plan
 */
const ONLY = process.env.BENCH_ONLY?.split(',');
const want = (part: string): boolean =>
  (ONLY === undefined || ONLY.includes(part)) &&
  !(part === 'openssl' && process.env.BENCH_SKIP_OPENSSL === '1');
const log = (s: string): void => void process.stderr.write(s + '\n');

async function main(): Promise<void> {
  const loadavgAtStart = loadavg();
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

  const skipped = { samples: [], medianMs: NaN, minMs: NaN, medianCpuMs: NaN, peakRssMb: NaN };
  log(`timing scan -o json (${RUNS} runs)…`);
  // with the Go reference: interleaved with it, run for run (the machine may be shared)
  const go = want('go') ? benchGo(tree, RUNS, log, want('scan') ? scanCmd : undefined) : null;
  const scan = go?.versus ?? (want('scan') ? runMany(scanCmd, RUNS) : skipped);
  if (go && go.certificates !== check.summary.certificates)
    throw new Error(
      `Go reference saw ${go.certificates} certificates, certdrift ${check.summary.certificates}`,
    );
  // The Go reference looks at files only; certdrift's default scan also reads /proc (every process
  // of this machine: on the shared VM, other engineers' control planes) and dials the local TLS
  // endpoints it finds there. The files-only scan is the same work as the Go reference's; both
  // are reported (issue #25).
  const filesOnlyCmd = [...scanCmd, '--runtime-endpoint', 'none', '--no-probe'];
  log(`timing scan -o json, files only (--runtime-endpoint none --no-probe) (${RUNS} runs)…`);
  const goFiles = want('go') && want('scan') ? benchGo(tree, RUNS, log, filesOnlyCmd) : null;
  const filesOnly = goFiles?.versus ?? null;
  log(`timing scan (table) (${RUNS} runs)…`);
  const table = want('scan') ? runMany(scanCmd.slice(0, -2), RUNS) : skipped;
  log('timing --version (20 runs)…');
  const version = want('scan') ? runMany([process.execPath, BIN, '--version'], 20) : skipped;
  // the floor every CLI figure stands on, in the same minutes: Node starting and doing nothing
  log('timing bare `node -e ""` (20 runs)…');
  const bare = want('scan') ? runMany([process.execPath, '-e', ''], 20) : skipped;
  log('timing the by-hand approach: openssl x509 -noout -enddate per file (one run)…');
  const openssl = want('openssl')
    ? measure([
        'bash',
        '-c',
        `find '${tree}' -type f ! -name .complete -print0 | xargs -0 -n1 openssl x509 -noout -enddate -in`,
      ])
    : { wallMs: NaN, cpuMs: NaN, peakRssMb: NaN, exitCode: 0 };

  // Issue #3: drift over a real containerd (root and the lab packages needed).
  const canLab = process.getuid?.() === 0 && missingTools().length === 0;
  if (!canLab) log('skipping the drift benchmark: needs root and containerd, runc, busybox-static');
  else if (want('drift')) log(`starting the lab: ${PODS} pods × ${MOUNTS_PER_POD} mounts…`);
  const drift = canLab && want('drift') ? await benchDrift(RUNS, log) : null;

  log(
    'agent: rescans, 20 concurrent scrapers on the 10,000-certificate tree, then 1,000 scan cycles…',
  );
  const agent = want('agent') ? await benchAgent(tree, log) : null;
  log(
    'agent on typical nodes (kops worker, kubeadm control plane): PSS, --scan-worker auto vs always…',
  );
  const nodes = want('nodes') ? await benchAgentNodes(Math.min(RUNS, 5), log) : null;
  const cycles = want('cycles')
    ? benchCycles(1000)
    : { heapStartMb: NaN, heapEndMb: NaN, rssStartMb: NaN, rssEndMb: NaN, cycles: 0 };
  const plan = want('plan') ? benchPlan(RUNS, log) : null;

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
    scanJson: {
      medianMs: scan.medianMs,
      minMs: scan.minMs,
      medianCpuMs: scan.medianCpuMs,
      peakRssMb: scan.peakRssMb,
      runs: RUNS,
    },
    goReference: go && {
      ...{ ...go, versus: undefined },
      wallRatio: scan.medianMs / go.medianMs,
      cpuRatio: scan.medianCpuMs / go.medianCpuMs,
      memoryRatio: scan.peakRssMb / go.peakRssMb,
    },
    scanJsonFilesOnly: goFiles &&
      filesOnly && {
        medianMs: filesOnly.medianMs,
        minMs: filesOnly.minMs,
        medianCpuMs: filesOnly.medianCpuMs,
        peakRssMb: filesOnly.peakRssMb,
        goMedianMs: goFiles.medianMs,
        goMedianCpuMs: goFiles.medianCpuMs,
        goPeakRssMb: goFiles.peakRssMb,
        wallRatio: filesOnly.medianMs / goFiles.medianMs,
        cpuRatio: filesOnly.medianCpuMs / goFiles.medianCpuMs,
        memoryRatio: filesOnly.peakRssMb / goFiles.peakRssMb,
      },
    agentNodes: nodes,
    loadavg: loadavg(),
    loadavgAtStart,
    scanTable: {
      medianMs: table.medianMs,
      minMs: table.minMs,
      peakRssMb: table.peakRssMb,
      runs: RUNS,
    },
    version: { medianMs: version.medianMs, peakRssMb: version.peakRssMb, runs: 20 },
    bareNode: {
      medianMs: bare.medianMs,
      minMs: bare.minMs,
      medianCpuMs: bare.medianCpuMs,
      peakRssMb: bare.peakRssMb,
      runs: 20,
    },
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
      `| \`certdrift scan -o json\`, ${results.tree.certificates} certs / ${results.tree.files} files | ${f(scan.medianMs)} ms (min ${f(scan.minMs)}), CPU ${f(scan.medianCpuMs)} ms | ${f(scan.peakRssMb)} MB |`,
      go
        ? `| Go reference (${go.go}), same tree | ${f(go.medianMs)} ms (min ${f(go.minMs)}), CPU ${f(go.medianCpuMs)} ms — certdrift/Go: wall ${(scan.medianMs / go.medianMs).toFixed(2)}× (min ${(scan.minMs / go.minMs).toFixed(2)}×), CPU ${(scan.medianCpuMs / go.medianCpuMs).toFixed(2)}× | ${f(go.peakRssMb)} MB — certdrift/Go ${(scan.peakRssMb / go.peakRssMb).toFixed(2)}× |`
        : '| Go reference | skipped | |',
      ...(goFiles && filesOnly
        ? [
            `| \`scan -o json\` files only (\`--runtime-endpoint none --no-probe\`: the Go reference's work) | ${f(filesOnly.medianMs)} ms (min ${f(filesOnly.minMs)}), CPU ${f(filesOnly.medianCpuMs)} ms | ${f(filesOnly.peakRssMb)} MB |`,
            `| Go reference, interleaved with the files-only scan | ${f(goFiles.medianMs)} ms (min ${f(goFiles.minMs)}), CPU ${f(goFiles.medianCpuMs)} ms — certdrift/Go: wall ${(filesOnly.medianMs / goFiles.medianMs).toFixed(2)}× (min ${(filesOnly.minMs / goFiles.minMs).toFixed(2)}×), CPU ${(filesOnly.medianCpuMs / goFiles.medianCpuMs).toFixed(2)}× | ${f(goFiles.peakRssMb)} MB — certdrift/Go ${(filesOnly.peakRssMb / goFiles.peakRssMb).toFixed(2)}× |`,
          ]
        : []),
      `| \`certdrift scan\` (table) | ${f(table.medianMs)} ms (min ${f(table.minMs)}) | ${f(table.peakRssMb)} MB |`,
      `| \`certdrift --version\` | ${f(version.medianMs)} ms | ${f(version.peakRssMb)} MB |`,
      `| bare \`node -e ""\` (the floor, same minutes) | ${f(bare.medianMs)} ms (min ${f(bare.minMs)}), CPU ${f(bare.medianCpuMs)} ms | ${f(bare.peakRssMb)} MB |`,
      `| \`openssl x509 -noout -enddate\` per file | ${f(openssl.wallMs)} ms (1 run) | — |`,
      ...(agent
        ? [
            `| agent (${agent.node}) rescan of the unchanged tree, every ${agent.rescan.interval} s | ${agent.rescan.cpuPerScanMs.toFixed(1)} ms CPU per scan over ${agent.rescan.scans} scans (bursts: median ${agent.rescan.burstMedianMs.toFixed(1)}, max ${agent.rescan.burstMaxMs.toFixed(1)} ms); ${agent.rescan.workersStarted} worker(s) | |`,
            `| agent (${agent.node}) \`/metrics\` under 20 concurrent scrapers (${agent.gzip.requests} requests, gzip) | p50 ${agent.gzip.p50Ms.toFixed(1)} ms, p99 ${agent.gzip.p99Ms.toFixed(1)} ms | agent ${f(agent.rssMb)} MB after scan 1, ${f(agent.steadyRssMb)} MB steady, ${f(agent.peakRssMb)} MB peak; worker ${f(agent.workerRssMb)} MB (peak ${f(agent.workerPeakRssMb)}); PSS agent + worker ${f(agent.pssMb)} MB |`,
            `| agent (${agent.node}) \`/metrics\`, 20 concurrent plain scrapers | p50 ${agent.plain.p50Ms.toFixed(1)} ms, p99 ${agent.plain.p99Ms.toFixed(1)} ms (floor, a static buffer from node:http: p50 ${agent.plainFloor.p50Ms.toFixed(1)}, p99 ${agent.plainFloor.p99Ms.toFixed(1)} ms) | |`,
          ]
        : []),
      ...(nodes ? agentNodesRows(nodes) : []),
      `| agent, ${cycles.cycles} scan cycles | heap ${cycles.heapStartMb.toFixed(1)} → ${cycles.heapEndMb.toFixed(1)} MB | RSS ${f(cycles.rssStartMb)} → ${f(cycles.rssEndMb)} MB |`,
      drift
        ? `| \`certdrift scan\` with drift, ${PODS} containers × ${MOUNTS_PER_POD} mounts (real containerd) | ${f(drift.medianMs)} ms (min ${f(drift.minMs)}) | ${f(drift.peakRssMb)} MB |`
        : '| drift benchmark | skipped | |',
      ...(plan ? planRows(plan) : []),
      '',
      `certdrift is ${results.opensslLoop.ratio.toFixed(0)}× faster than the openssl loop, which also reads only the first certificate of each file and none of the kubeconfigs.`,
      '',
      `Node ${process.version}; load average at the start ${loadavgAtStart
        .map((l) => l.toFixed(2))
        .join(' ')}, at the end ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
});
