// Virtual time for loops that sleep (the rotator's step loop and Lease renewal, several of them
// at once): a discrete-event clock. Sleeps are timers on the virtual clock; real I/O (the API
// emulation over HTTPS) runs for real and is tracked, so the clock advances only when every
// actor is asleep — to the earliest timer, never past a call in flight. Hours of leases and
// drains run in milliseconds, in the same order every time.

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

export class VirtualTime {
  private timers: Timer[] = [];
  private seq = 0;
  private busy = 0;

  constructor(private t: number) {}

  now = (): Date => new Date(this.t);

  ms(): number {
    return this.t;
  }

  /** the injected sleep: resolves at now + ms, or at once when `signal` aborts */
  sleep = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      if (signal.aborted) {
        resolve();
        return;
      }
      const timer: Timer = {
        at: this.t + ms,
        seq: this.seq++,
        resolve: () => {
          signal.removeEventListener('abort', early);
          resolve();
        },
      };
      const early = (): void => {
        this.timers = this.timers.filter((x) => x !== timer);
        resolve();
      };
      signal.addEventListener('abort', early, { once: true });
      this.timers.push(timer);
    });

  /** runs real I/O as busy: the clock does not move while it is in flight */
  track<T>(call: () => Promise<T>): Promise<T> {
    this.busy++;
    return call().finally(() => {
      this.busy--;
    });
  }

  /** waits (real time) until no tracked call is in flight and every continuation has run */
  async settle(): Promise<void> {
    for (let quiet = 0; quiet < 3;) {
      await new Promise((r) => setImmediate(r));
      if (this.busy > 0) {
        quiet = 0;
        await new Promise((r) => setTimeout(r, 1));
      } else quiet++;
    }
  }

  /**
   * Advances timer by timer until `until` (virtual ms), settling after each; `check` runs at
   * every instant the clock stops at (to observe the world between events; it may read a real
   * server, so it may be async: the clock waits for it).
   */
  async runUntil(
    until: number,
    check: () => void | Promise<void> = () => undefined,
  ): Promise<void> {
    await this.settle();
    await check();
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (!next || next.at > until) break;
      this.timers.shift();
      this.t = Math.max(this.t, next.at);
      next.resolve();
      await this.settle();
      await check();
    }
    this.t = Math.max(this.t, until);
  }
}
