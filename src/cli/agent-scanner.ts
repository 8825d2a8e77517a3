// Where the agent's scans run (issue #25). A kept worker process costs a second Node.js process
// — an idle one alone is ~40 MB of PSS — which pays for itself only on a node with many
// certificates: there it keeps the cold scan's heap (100+ MB on 10,000 certificates) out of the
// agent and returns it to the system when recycled. A typical node holds tens of certificates
// (kubeadm control plane ~20, a kops worker 5 files), whose scan costs the agent a few MB.
//
// So the first scan runs in a worker (nobody knows the node's size before it): when it finds at
// most `maxInProcess` certificates the worker is stopped and later scans run in the agent's own
// process, with the same code and the same cache (agent-scan-worker.ts scanOnce). When a scan
// there finds more, or outlasts the timeout, the state is dropped and the next scan goes to a
// worker again; one that fails drops the state (as a worker is recycled after a failure). The bookkeeping is the ScanWorker's: families are rendered again only when
// they changed, the ledger kept where it was computed.

import type { ScanOutcome } from '../agent/metrics.js';
import type { Ledger } from '../ledger/types.js';
import type { ScanConfig } from './config/scan-config.js';
import type { ScanWorker } from './agent-scan-in-worker.js';

/** Certificates up to which the agent scans in its own process (see BENCHMARKS.md, issue #25). */
export const DEFAULT_MAX_IN_PROCESS = 500;

type Metrics = { node: string; x509Compat: boolean; ledger?: { previous: Ledger | null } };

export class AgentScanner {
  private inProcess = false;
  /** the agent serves families rendered by the last in-process scan */
  private rendered = false;
  /** the in-process scan state holds the ledger it returned last */
  private ledgerKept = false;
  readonly stats = { inProcessScans: 0, workerScans: 0, switches: 0 };

  constructor(
    private readonly worker: ScanWorker,
    private readonly timeoutMs: number,
    private readonly maxInProcess = DEFAULT_MAX_IN_PROCESS,
  ) {}

  /** Where the next scan runs. */
  get mode(): 'in-process' | 'worker' {
    return this.inProcess ? 'in-process' : 'worker';
  }

  async scan(
    config: ScanConfig & { probeServed?: boolean },
    metrics: Metrics,
  ): Promise<ScanOutcome> {
    if (!this.inProcess) {
      const o = await this.worker.scan(config, metrics);
      this.stats.workerScans++;
      if (this.maxInProcess > 0 && (o.exposition?.certificates ?? Infinity) <= this.maxInProcess) {
        // small node: the worker's process is not worth keeping
        this.worker.stop();
        this.inProcess = true;
        this.rendered = false;
        this.ledgerKept = false;
        this.stats.switches++;
      }
      return o;
    }
    let o: ScanOutcome;
    try {
      o = await this.scanHere(config, metrics);
    } catch (err) {
      // what made it fail goes, as with a recycled worker; a scan that is stuck (still running
      // here) hands the next ones to a worker, whose process can be killed
      await this.forget(err instanceof ScanTimeout);
      throw err;
    }
    this.stats.inProcessScans++;
    if (o.exposition?.text) this.rendered = true;
    if (o.ledger) this.ledgerKept = true;
    if ((o.exposition?.certificates ?? 0) > this.maxInProcess) await this.forget(true);
    return o;
  }

  /** At shutdown: the worker stopped, the in-process state (its directory watches) dropped. */
  stop(): void {
    this.worker.stop();
    if (this.inProcess) void this.forget(false);
  }

  private async scanHere(
    config: ScanConfig & { probeServed?: boolean },
    metrics: Metrics,
  ): Promise<ScanOutcome> {
    const { scanOnce } = await import('./agent-scan-worker.js');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new ScanTimeout(
            `scan did not finish within ${String(Math.round(this.timeoutMs / 1000))} s; the next one runs in a worker process`,
          ),
        );
      }, this.timeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([
        scanOnce({
          config: { ...config },
          ...metrics,
          ...(metrics.ledger && this.ledgerKept ? { ledger: { kept: true as const } } : {}),
          sameAsLast: this.rendered,
          // the findings are not copied between processes here: always the whole list
          findingsKnown: false,
        }),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Drops the in-process scan state; `toWorker`: the next scan runs in a worker process. */
  private async forget(toWorker: boolean): Promise<void> {
    const { forgetScans } = await import('./agent-scan-worker.js');
    forgetScans();
    this.rendered = false;
    this.ledgerKept = false;
    if (toWorker) {
      this.inProcess = false;
      this.stats.switches++;
    }
  }
}

class ScanTimeout extends Error {}
