// A real `certdrift agent` process on a temp host root, for the rescan tests: files only (no
// runtime, no probe, no cluster, no ledger unless asked), scanning every second, and its
// /metrics read back.

import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from './scan.js';

export interface AgentProcess {
  child: ChildProcess;
  port: number;
  /** what the agent wrote to stderr so far */
  stderr: () => string;
  /** the plain /metrics body ('' while it does not answer) */
  metrics: () => Promise<string>;
  /** the first capture group of `re` in /metrics */
  metric: (re: RegExp) => Promise<string | undefined>;
  stop: () => void;
}

/** `portSalt` keeps concurrent test files on different ports. */
export function startAgent(root: string, portSalt: number, extra: string[] = []): AgentProcess {
  const port = 20000 + ((process.pid + portSalt) % 20000);
  const child = spawn(
    process.execPath,
    [
      BIN,
      'agent',
      '--host-root',
      root,
      '--runtime-endpoint',
      'none',
      '--no-probe',
      '--kubernetes',
      'none',
      '--state-dir',
      'none',
      '--listen',
      `127.0.0.1:${port}`,
      '--interval',
      '1',
      '--jitter',
      '0',
      '--node-name',
      'n1',
      ...extra,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const metrics = (): Promise<string> =>
    fetch(`http://127.0.0.1:${port}/metrics`)
      .then((r) => r.text())
      .catch(() => '');
  return {
    child,
    port,
    stderr: () => stderr,
    metrics,
    metric: async (re) => re.exec(await metrics())?.[1],
    stop: () => child.kill('SIGKILL'),
  };
}
