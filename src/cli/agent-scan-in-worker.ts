// Runs the agent's scans in a worker process (agent-scan-worker.ts) and resolves with each
// outcome. The process is kept between scans — it holds the parse cache, so a rescan of an
// unchanged node reads no certificate file again — and recycled when its resident memory after a
// scan is over `recycleBytes`, or after it failed: a process returns every byte on exit, which a
// worker thread did not (BENCHMARKS.md, issue #11). The agent sets the worker's V8 limits
// itself — nobody has to set NODE_OPTIONS.

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ScanConfig } from './config/scan-config.js';
import type { ScanOutcome } from '../agent/metrics.js';
import type { Ledger } from '../ledger/types.js';

export interface ScanWorkerData {
  /** the scan settings, and the agent's --no-probe */
  config: ScanConfig & { probeServed?: boolean };
  /** the node label and family choice for the per-certificate metrics rendered in the worker */
  node: string;
  x509Compat: boolean;
  /**
   * The certificate ledger before this scan, when the agent keeps one: the worker adds what it
   * saw while it still holds every certificate, and sends the updated ledger back. `kept`: the
   * worker still has the ledger it sent last (megabytes on a big node are not sent back and
   * forth every scan).
   */
  ledger?: { previous: Ledger | null } | { kept: true };
  /**
   * The agent still serves the families this worker rendered last: the worker may answer
   * `exposition.unchanged` instead of sending the same bytes again.
   */
  sameAsLast?: boolean;
  /** the agent holds the findings of this worker's last scan: unchanged ones are not sent */
  findingsKnown?: boolean;
}

export interface ScanRequest {
  id: number;
  data: ScanWorkerData;
}

export interface ScanReply {
  id: number;
  outcome?: ScanOutcome;
  error?: string;
  /** the worker's resident set after the scan (and a full GC) */
  rss?: number;
}

/**
 * A 1 MB young generation (semi-space): scan garbage is short-lived, and V8 would otherwise
 * grow its nursery to 16–32 MB and keep it for the rest of the scan (measured: BENCHMARKS.md).
 */
const WORKER_V8_FLAGS = ['--max-semi-space-size=1'];

/**
 * glibc's allocator for the worker (unless the agent's environment sets its own): a fixed mmap
 * threshold, so the multi-megabyte buffers of a scan and its IPC message go back to the system
 * when freed instead of staying in the heap (the dynamic threshold rises after the first large
 * free), and two arenas instead of one per thread. On the 10,000-certificate tree: agent + worker
 * PSS 171 → 157 MB, the worker 92–95 → 83–86 MB (BENCHMARKS.md, issue #25). Ignored by other
 * C libraries.
 */
const WORKER_MALLOC: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: '131072',
  MALLOC_ARENA_MAX: '2',
};

/** Past this resident size after a scan the worker is replaced (its cache is rebuilt). */
export const DEFAULT_RECYCLE_BYTES = 160 * 1024 * 1024;

/** 5 minutes: a cold scan of 10,000 certificates takes seconds even on a loaded node. */
export const DEFAULT_SCAN_TIMEOUT_MS = 5 * 60_000;

export interface WorkerStats {
  /** worker processes started so far */
  started: number;
  /** the last worker's resident set after its last scan */
  rss: number;
}

export class ScanWorker {
  private child: ChildProcess | undefined;
  private nextId = 1;
  /** the running worker rendered the families the agent serves now */
  private rendered = false;
  /** the running worker holds the ledger it sent last */
  private ledgerKept = false;
  /** the findings of the running worker's last scan (it answers `findingsUnchanged` after) */
  private findings: ScanOutcome['findings'] | undefined;
  readonly stats: WorkerStats = { started: 0, rss: 0 };

  /**
   * @param recycleBytes resident size after a scan past which the worker is replaced
   * @param timeoutMs a scan that has not answered by then fails, and its worker is killed (a
   *   read stuck on a dead network mount, a stopped process): the agent serves its last snapshot
   *   as stale instead of waiting forever
   */
  constructor(
    private readonly recycleBytes = DEFAULT_RECYCLE_BYTES,
    private readonly timeoutMs = DEFAULT_SCAN_TIMEOUT_MS,
  ) {}

  private start(): ChildProcess {
    // the argument is agent-scan-worker.ts's WORKER_ARGUMENT (not imported: that module loads the scan)
    const child = fork(
      fileURLToPath(new URL('./agent-scan-worker.js', import.meta.url)),
      ['--certdrift-scan-worker'],
      {
        execArgv: WORKER_V8_FLAGS,
        env: { ...WORKER_MALLOC, ...process.env },
        serialization: 'advanced',
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    );
    // Between scans the worker never keeps the agent alive (the agent's server does while it
    // runs); when the agent exits, the worker sees its channel close and exits too.
    child.unref();
    child.channel?.unref();
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    this.stats.started++;
    this.rendered = false;
    this.ledgerKept = false;
    this.findings = undefined;
    return child;
  }

  /**
   * Stops the worker (the agent is shutting down): a scan in flight is rejected and the worker
   * killed; an idle worker is disconnected and exits by itself (killed if it has not within 1 s).
   */
  stop(): void {
    const child = this.child;
    this.child = undefined;
    if (!child) return;
    if (this.inFlight || !child.connected) {
      child.kill();
      return;
    }
    child.disconnect();
    setTimeout(() => child.kill(), 1000).unref();
  }

  private inFlight = false;

  scan(
    config: ScanConfig & { probeServed?: boolean },
    metrics: { node: string; x509Compat: boolean; ledger?: { previous: Ledger | null } },
  ): Promise<ScanOutcome> {
    const child = this.child ?? (this.child = this.start());
    const id = this.nextId++;
    return new Promise<ScanOutcome>((resolve, reject) => {
      // While a scan is in flight the worker keeps this process alive (its answer is awaited);
      // between scans it does not. stop() ends a scan in flight at shutdown.
      child.channel?.ref();
      this.inFlight = true;
      const timer = setTimeout(() => {
        done();
        this.retire(child, 'SIGKILL');
        reject(
          new Error(
            `scan did not finish within ${String(Math.round(this.timeoutMs / 1000))} s; its worker was killed`,
          ),
        );
      }, this.timeoutMs);
      timer.unref();
      const done = (): void => {
        clearTimeout(timer);
        this.inFlight = false;
        child.channel?.unref();
        child.off('message', onMessage);
        child.off('exit', onExit);
        child.off('error', onError);
      };
      const onMessage = (msg: ScanReply): void => {
        if (msg.id !== id) return;
        done();
        this.stats.rss = msg.rss ?? 0;
        const o = msg.outcome;
        if (o) resolve(this.remember(o));
        else reject(new Error(msg.error ?? 'scan worker failed'));
        // Recycled after a failure too: whatever state made it fail goes with the process.
        if (!msg.outcome || this.stats.rss > this.recycleBytes) this.retire(child);
      };
      const onExit = (code: number | null, signal: string | null): void => {
        done();
        reject(new Error(`scan worker exited with ${signal ?? `code ${String(code)}`}`));
      };
      const onError = (err: Error): void => {
        done();
        this.retire(child);
        reject(err);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.once('error', onError);
      child.send({ id, data: this.requestData(config, metrics) } satisfies ScanRequest);
    });
  }

  /** what the worker is asked, with what it already holds (its rendering, ledger, findings) */
  private requestData(
    config: ScanConfig & { probeServed?: boolean },
    metrics: { node: string; x509Compat: boolean; ledger?: { previous: Ledger | null } },
  ): ScanWorkerData {
    return {
      config: { ...config },
      ...metrics,
      ...(metrics.ledger && this.ledgerKept ? { ledger: { kept: true as const } } : {}),
      sameAsLast: this.rendered,
      findingsKnown: this.findings !== undefined,
    };
  }

  /** notes what the worker now holds; findings it left out (unchanged) are the last ones */
  private remember(o: ScanOutcome): ScanOutcome {
    if (o.exposition?.text) this.rendered = true;
    if (o.ledger) this.ledgerKept = true;
    if (o.findingsUnchanged && this.findings) o.findings = [...this.findings];
    this.findings = o.findings;
    return o;
  }

  private retire(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.child === child) this.child = undefined;
    // SIGKILL for a worker that stopped answering: a stopped process keeps SIGTERM pending
    child.kill(signal);
  }
}
