// After each complete scan, the agent adds what it saw to the node's certificate ledger and
// persists it (src/ledger/, src/adapters/host/ledger-file.ts). The ledger is kept in memory between
// scans and read from disk once, at the first scan, so an agent restart continues the history.
// A ledger that cannot be written is logged (once per distinct error) and retried next scan:
// it never fails a scan.

import type { Ledger } from '../ledger/types.js';
import { updateLedger } from '../ledger/update-ledger.js';
import type { ScanOutcome } from './metrics.js';

export interface LedgerStore {
  read(): { ledger: Ledger | null; problem?: string };
  write(ledger: Ledger): void;
}

export class LedgerRecorder {
  private ledger: Ledger | null = null;
  private loaded = false;
  /** the last write failure logged: the same one is not repeated every scan */
  private lastProblem: string | undefined;

  constructor(
    private readonly store: LedgerStore,
    private readonly node: string,
    private readonly log: (m: string) => void,
  ) {}

  /** The ledger as of the last recorded scan (null before the first). */
  current(): Ledger | null {
    return this.ledger;
  }

  /** The ledger before the next scan: read from disk once, then kept in memory. */
  previous(): Ledger | null {
    if (!this.loaded) {
      const { ledger, problem } = this.store.read();
      if (problem !== undefined) this.log(`ledger: ${problem}; starting a new one`);
      this.ledger = ledger;
      this.loaded = true;
    }
    return this.ledger;
  }

  /**
   * Records a scan: its `ledger` when the worker already updated it (the agent's worker holds
   * the certificates; the agent does not), else updated here from the inventory. The outcome
   * goes on with the ledger, which the agent publishes in the NodeCertificateReport.
   */
  record(o: ScanOutcome): ScanOutcome {
    if (o.ledgerUnchanged && this.ledger !== null) {
      // The worker saw nothing new since the ledger it sent last: that one stands (it is on
      // disk unless the last write failed) and goes on to be published. Never rebuilt here from
      // the slimmed inventory, which holds no certificates.
      if (this.lastProblem !== undefined) this.save(this.ledger);
      return { ...o, ledger: this.ledger };
    }
    const previous = this.previous();
    this.ledger = o.ledger ?? updateLedger(previous, o.inventory, this.node, o.now);
    this.save(this.ledger);
    return { ...o, ledger: this.ledger };
  }

  private save(ledger: Ledger): void {
    try {
      this.store.write(ledger);
      if (this.lastProblem !== undefined) this.log('ledger saved again');
      this.lastProblem = undefined;
    } catch (err) {
      const message = (err as Error).message;
      if (message !== this.lastProblem)
        this.log(`ledger not saved (kept in memory, next scan retries): ${message}`);
      this.lastProblem = message;
    }
  }
}
