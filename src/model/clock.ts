// Time as a dependency: the agent's loop and `rotate --wait`'s drive sleep and read the time only
// through a Clock, so tests drive them without waiting.

export interface Clock {
  now(): Date;
  /** resolves after `ms`, or early (without error) when `signal` aborts */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * A reading that only moves forward (ms from an arbitrary origin), for measuring how long ago
 * something happened HERE: the wall clock can jump (NTP, an admin's `date -s`), so a lease's
 * expiry measured on it could pass early (client-go's leaderelection measures observedTime on the
 * monotonic clock Go's time.Now carries).
 */
export interface MonotonicClock {
  monotonicMs(): number;
}

/** The one real clock; the CLI hands it in, every other module takes a Clock or a `now`. */
export const systemClock: Clock & MonotonicClock = {
  // eslint-disable-next-line no-restricted-syntax -- this is the wall clock the rest is given
  now: () => new Date(),
  monotonicMs: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) {
        resolve();
        return;
      }
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};
