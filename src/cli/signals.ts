// The one way a long-running command stops: the first SIGTERM or SIGINT aborts a signal (the
// command finishes what is in flight and returns); `release` takes the handlers off again, so a
// command run in-process (tests, a second command) leaves none behind.

export interface SignalStop {
  signal: AbortSignal;
  release: () => void;
}

/** Aborts on the first SIGTERM or SIGINT, after `onSignal` (a log line) when given. */
export function stopOnSignals(onSignal?: (sig: 'SIGTERM' | 'SIGINT') => void): SignalStop {
  const stop = new AbortController();
  const handler = (sig: 'SIGTERM' | 'SIGINT') => (): void => {
    onSignal?.(sig);
    stop.abort();
  };
  const onTerm = handler('SIGTERM');
  const onInt = handler('SIGINT');
  process.once('SIGTERM', onTerm);
  process.once('SIGINT', onInt);
  return {
    signal: stop.signal,
    release: () => {
      process.removeListener('SIGTERM', onTerm);
      process.removeListener('SIGINT', onInt);
    },
  };
}
