// Child of bench/agent.ts: N scan cycles of the agent's loop body on a kops-like node, heap and
// RSS (after a full GC) at cycle 10 and at the end. Prints one JSON line.

import { systemClock } from '../src/model/clock.js';
import { AgentLoop } from '../src/agent/loop.js';
import { AgentMetrics } from '../src/agent/metrics.js';
import { agentScan } from '../src/cli/agent-scan.js';
import { resolveScanConfig } from '../src/cli/config/scan-config.js';
import { buildKopsNode } from '../test/support/nodes.js';

const cycles = Number(process.argv[2] ?? 1000);
const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => undefined);
const node = await buildKopsNode();
for (let i = 0; i < 50; i++)
  node.tree.write(`/srv/kubernetes/extra/bundle-${i}.pem`, '-----BEGIN CERTIFICATE-----\nbroken\n');
const config = resolveScanConfig([
  { name: 'bench', values: { hostRoot: node.tree.root, runtimeEndpoint: 'none' } },
]);
const loop = new AgentLoop(
  {
    scan: agentScan(config, systemClock),
    metrics: new AgentMetrics('bench'),
    clock: systemClock,
    random: Math.random,
    log: () => undefined,
  },
  { intervalMs: 1, jitter: 0 },
);
const sample = (): { heap: number; rss: number } => {
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed / 2 ** 20, rss: m.rss / 2 ** 20 };
};
let start = sample();
for (let i = 1; i <= cycles; i++) {
  await loop.once();
  if (i === 10) start = sample();
}
const end = sample();
node.tree.remove();
console.log(
  JSON.stringify({
    cycles,
    heapStartMb: start.heap,
    heapEndMb: end.heap,
    rssStartMb: start.rss,
    rssEndMb: end.rss,
  }),
);
