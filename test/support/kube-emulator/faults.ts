// Faults a real API server (or the load balancer and API Priority and Fairness in front of it)
// produces, injected on demand:
// - 429 TooManyRequests with `Retry-After` (APF rejection, filters/priority-and-fairness.go;
//   eviction blocked by a PDB);
// - 500 / 503 / 504 Status errors (etcd timeouts, an apiserver restarting, the LB timing out);
// - a slow response (headers, then the body after a delay) and a truncated one (the connection
//   closes before Content-Length bytes were sent — the write may have happened).

import type { RequestInfo } from './request-info.js';

export type Fault =
  | { kind: 'status'; code: 429 | 500 | 502 | 503 | 504; retryAfterSeconds?: number }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'truncate' };

interface Armed {
  match: (method: string, info: RequestInfo | null) => boolean;
  fault: Fault;
  remaining: number;
}

const REASONS: Record<number, [string, string]> = {
  429: ['TooManyRequests', 'Too many requests, please try again later.'],
  500: ['InternalError', 'Internal error occurred: etcdserver: request timed out'],
  502: ['InternalError', 'bad gateway'],
  503: ['ServiceUnavailable', 'the server is currently unable to handle the request'],
  504: [
    'Timeout',
    'the server was unable to return a response in the time allotted, but may still be processing the request',
  ],
};

export function statusOfFault(code: number): { reason: string; message: string } {
  const [reason, message] = REASONS[code] ?? ['InternalError', 'error'];
  return { reason, message };
}

export class Faults {
  private armed: Armed[] = [];

  /** The next `times` requests matching `match` (all requests by default) get `fault`. */
  inject(fault: Fault, times = 1, match: Armed['match'] = () => true): void {
    this.armed.push({ fault, remaining: times, match });
  }

  clear(): void {
    this.armed = [];
  }

  /** The fault for this request, consuming one use of it. */
  take(method: string, info: RequestInfo | null): Fault | undefined {
    const a = this.armed.find((x) => x.remaining > 0 && x.match(method, info));
    if (!a) return undefined;
    a.remaining--;
    return a.fault;
  }
}
