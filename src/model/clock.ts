// Time as a dependency: the agent's loop and `rotate --wait`'s drive sleep and read the time only
// through a Clock, so tests drive them without waiting.

export interface Clock {
  now(): Date;
  /** resolves after `ms`, or early (without error) when `signal` aborts */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The one real clock; the CLI hands it in, every other module takes a Clock or a `now`. */
export const systemClock: Clock = {
  // eslint-disable-next-line no-restricted-syntax -- this is the wall clock the rest is given
  now: () => new Date(),
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
