// The agent's loop: scan, publish, sleep `interval ± jitter`; after a failed scan, retry with
// exponential backoff (1 s, 2 s, 4 s … up to the interval). The last complete snapshot keeps
// being served; the loop never exits on its own, only when its signal aborts — at once, even in
// the middle of a scan. Readiness is kept after a failed scan only if an earlier one succeeded.

import { escapeTerminal } from '../model/escape.js';
import type { Clock } from '../model/clock.js';
import type { AgentMetrics, ScanOutcome } from './metrics.js';

export interface LoopOptions {
  intervalMs: number;
  /** fraction of the interval, e.g. 0.1 for ±10 % */
  jitter: number;
}

export interface LoopDeps {
  scan(): Promise<ScanOutcome>;
  metrics: AgentMetrics;
  clock: Clock;
  /** [0, 1) */
  random(): number;
  log(message: string): void;
  /** after each good scan (node conditions, events, report); its failure is logged, not fatal */
  publish?(o: ScanOutcome): Promise<void>;
}

export function nextDelay(opts: LoopOptions, failures: number, random: number): number {
  if (failures > 0) return Math.min(opts.intervalMs, 1000 * 2 ** Math.min(failures - 1, 20));
  return Math.round(opts.intervalMs * (1 + opts.jitter * (2 * random - 1)));
}

export class AgentLoop {
  ready = false;
  scans = 0;
  failuresInARow = 0;
  lastError: string | undefined;

  constructor(
    private readonly deps: LoopDeps,
    private readonly opts: LoopOptions,
  ) {}

  async once(): Promise<void> {
    try {
      const o = await this.deps.scan();
      // Publish first, so the snapshot says whether the API server took it.
      if (this.deps.publish) {
        try {
          await this.deps.publish(o);
          o.inventory.sources.push({ source: 'kubernetes', up: true });
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          o.inventory.sources.push({ source: 'kubernetes', up: false, message });
          this.deps.log(`publish failed (will retry next scan): ${escapeTerminal(message)}`);
        }
      }
      await this.deps.metrics.update(o);
      this.ready = true;
      this.scans++;
      this.failuresInARow = 0;
      this.lastError = undefined;
    } catch (err) {
      this.failuresInARow++;
      this.lastError = err instanceof Error ? err.message : String(err);
      this.deps.log(
        `scan failed (${this.failuresInARow} in a row): ${escapeTerminal(this.lastError)}`,
      );
      await this.deps.metrics.failed([{ source: 'files', up: false }]);
    }
  }

  async run(signal: AbortSignal): Promise<void> {
    // A scan or a publish in progress does not hold up shutdown: its result is dropped.
    const aborted = new Promise<void>((resolve) => {
      signal.addEventListener(
        'abort',
        () => {
          resolve();
        },
        { once: true },
      );
    });
    while (!signal.aborted) {
      await Promise.race([this.once(), aborted]);
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the race above may end by abort
      if (signal.aborted) break;
      // An aborted signal makes the sleep return at once; the loop condition then ends it.
      await this.deps.clock.sleep(
        nextDelay(this.opts, this.failuresInARow, this.deps.random()),
        signal,
      );
    }
  }
}
