// Issue #25: the agent's memory on typical nodes — a kops worker (5 files) and a kubeadm control
// plane (~20 certificates), built by test/support/nodes.ts — as the pod holds it: the PSS of the
// agent and its scan worker together (/proc/<pid>/smaps_rollup, so the Node binary's shared pages
// count once), after several rescans. `--scan-worker auto` (the default: scans move into the agent
// on a small node) and `always` (the kept worker of issue #11) are run interleaved, so the
// machine's load hits both alike. Run alone: `node --import tsx bench/agent-nodes.ts`.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BIN } from '../test/support/scan.js';
import { buildKopsNode, buildKubeadmNode, type BuiltNode } from '../test/support/nodes.js';
import { median } from './measure.js';

const kb = (text: string, key: string): number =>
  Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) / 1024;

function children(pid: number): number[] {
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

export interface NodeMemory {
  /**
   * What the pod holds, MB: the private pages of the agent and its worker plus their shared pages
   * once (the largest Shared of the group: the Node binary's pages, which both map). PSS would
   * split those pages with *every* process mapping the same binary — the benchmark's own Node
   * included — and so reads lower than a pod alone on a node would hold.
   */
  podMb: number;
  /** agent + worker PSS, MB (see podMb) */
  pssMb: number;
  rssMb: number;
  /** private anonymous memory (heap and the like), agent + worker */
  anonMb: number;
  processes: number;
}

function memoryOf(pid: number): NodeMemory {
  const pids = [pid, ...children(pid)];
  let pssMb = 0;
  let rssMb = 0;
  let anonMb = 0;
  let privateMb = 0;
  let sharedMb = 0;
  for (const p of pids) {
    const t = readFileSync(`/proc/${p}/smaps_rollup`, 'utf8');
    pssMb += kb(t, 'Pss');
    rssMb += kb(t, 'Rss');
    anonMb += kb(t, 'Anonymous');
    privateMb += kb(t, 'Private_Clean') + kb(t, 'Private_Dirty');
    sharedMb = Math.max(sharedMb, kb(t, 'Shared_Clean') + kb(t, 'Shared_Dirty'));
  }
  return { podMb: privateMb + sharedMb, pssMb, rssMb, anonMb, processes: pids.length };
}

const idle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One agent on `root`, scanning every 2 s; its memory after `scans` scans and 2 s idle. */
async function agentMemory(root: string, mode: string, port: number): Promise<NodeMemory> {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const state = mkdtempSync(join(tmpdir(), 'certdrift-bench-state-'));
  const child = spawn(
    process.execPath,
    [
      BIN,
      'agent',
      '--host-root',
      root,
      '--runtime-endpoint',
      'none',
      '--kubernetes',
      'none',
      '--state-dir',
      state,
      '--no-probe',
      '--listen',
      `127.0.0.1:${port}`,
      '--interval',
      '2',
      '--jitter',
      '0',
      '--scan-worker',
      mode,
    ],
    { stdio: 'ignore', env },
  );
  try {
    for (let i = 0; i < 300; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      await idle(100);
    }
    // a few rescans (the first switches to in-process scans under auto), scraped like Prometheus
    for (let i = 0; i < 5; i++) {
      await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { 'accept-encoding': 'gzip' } })
        .then((r) => r.arrayBuffer())
        .catch(() => undefined);
      await idle(2000);
    }
    return memoryOf(child.pid ?? 0);
  } finally {
    child.kill('SIGTERM');
    await idle(300);
    rmSync(state, { recursive: true, force: true });
  }
}

export interface AgentNodesBench {
  node: string;
  runs: number;
  /** per node kind and mode: median PSS and the rest of the median run */
  rows: { node: string; certificates: number; mode: string; memory: NodeMemory }[];
}

export async function benchAgentNodes(
  runs: number,
  log: (s: string) => void,
): Promise<AgentNodesBench> {
  const nodes: [string, BuiltNode][] = [
    ['kops worker (5 files)', await buildKopsNode()],
    ['kubeadm control plane', await buildKubeadmNode()],
  ];
  const rows: AgentNodesBench['rows'] = [];
  try {
    for (const [name, built] of nodes) {
      const samples: Record<string, NodeMemory[]> = { auto: [], always: [] };
      for (let i = 0; i < runs; i++)
        for (const mode of ['auto', 'always']) {
          const m = await agentMemory(built.tree.root, mode, 29800 + i);
          (samples[mode] ??= []).push(m);
          log(
            `  ${name}, --scan-worker ${mode}: private + shared once ${m.podMb.toFixed(1)} MB, PSS ${m.pssMb.toFixed(1)} MB (${String(m.processes)} processes)`,
          );
        }
      for (const mode of ['auto', 'always']) {
        const s = samples[mode] ?? [];
        const mid = median(s.map((m) => m.podMb));
        const pick = s.reduce((a, b) =>
          Math.abs(b.podMb - mid) < Math.abs(a.podMb - mid) ? b : a,
        );
        rows.push({
          node: name,
          certificates: built.expected.length,
          mode,
          memory: { ...pick, podMb: mid },
        });
      }
    }
  } finally {
    for (const [, built] of nodes) built.tree.remove();
  }
  return { node: process.version, runs, rows };
}

export function agentNodesRows(b: AgentNodesBench): string[] {
  return b.rows.map(
    (r) =>
      `| agent (${b.node}) on a ${r.node}, ${String(r.certificates)} certificates, \`--scan-worker ${r.mode}\` | private + shared once ${r.memory.podMb.toFixed(1)} MB (median of ${String(b.runs)}), PSS ${r.memory.pssMb.toFixed(1)} MB, RSS ${r.memory.rssMb.toFixed(0)} MB, anonymous ${r.memory.anonMb.toFixed(1)} MB, ${String(r.memory.processes)} process(es) | target ≤ 64 MB |`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const b = await benchAgentNodes(Number(process.env.BENCH_RUNS ?? 3), (s) => {
    process.stderr.write(s + '\n');
  });
  process.stdout.write(
    ['| measurement | memory | |', '|---|---|---|', ...agentNodesRows(b), ''].join('\n'),
  );
}
