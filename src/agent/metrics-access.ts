// Who may read /metrics, decided as kube-rbac-proxy and controller-runtime's
// WithAuthenticationAndAuthorization decide it: the bearer token is checked with a TokenReview,
// then the user it names with a SubjectAccessReview for `get` on the non-resource URL /metrics.
//
// Bounded so that nobody on the node network can turn the agent into an amplifier against the
// API server: answers are cached per token (by its SHA-256, never the token itself) for a short
// time, concurrent requests with one token share one review, the cache has a fixed size, and
// reviews come out of a token bucket — past it, a request is answered 429 without a review.
// Callers get a bare verdict; what the API server said is never echoed to the client.

import { createHash } from 'node:crypto';
import type { AccessReviewer } from '../model/access-review.js';

export type { AccessReviewer, ReviewedUser } from '../model/access-review.js';

/** 200 allowed; 401 no or bad token; 403 not allowed; 429 over the review rate; 503 reviews failed */
export type Verdict = 200 | 401 | 403 | 429 | 503;

export interface MetricsAccessOptions {
  /** how long an allowed token is trusted without a review (default 60 s) */
  allowTtlMs?: number;
  /** how long a refused token stays refused without a review (default 10 s) */
  denyTtlMs?: number;
  /** cached tokens at most (default 1,024; the oldest goes first) */
  maxEntries?: number;
  /** reviews per second on average (default 5) and in a burst (default 20) */
  reviewsPerSecond?: number;
  reviewBurst?: number;
  /** the longest bearer token looked at (default 16 KiB; longer ones are 401 without a review) */
  maxTokenBytes?: number;
}

interface Entry {
  verdict: Verdict;
  until: number;
}

export class MetricsAccess {
  private readonly cache = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<Verdict>>();
  private tokens: number;
  private refilledAt: number;
  private readonly o: Required<MetricsAccessOptions>;
  /** reviews made (TokenReview + SubjectAccessReview each count one), for metrics and tests */
  reviews = 0;

  constructor(
    private readonly reviewer: AccessReviewer,
    private readonly now: () => number,
    opts: MetricsAccessOptions = {},
    private readonly path = '/metrics',
  ) {
    this.o = {
      allowTtlMs: opts.allowTtlMs ?? 60_000,
      denyTtlMs: opts.denyTtlMs ?? 10_000,
      maxEntries: opts.maxEntries ?? 1024,
      reviewsPerSecond: opts.reviewsPerSecond ?? 5,
      reviewBurst: opts.reviewBurst ?? 20,
      maxTokenBytes: opts.maxTokenBytes ?? 16_384,
    };
    this.tokens = this.o.reviewBurst;
    this.refilledAt = now();
  }

  /** The verdict for a request's Authorization header. */
  check(authorization: string | undefined): Promise<Verdict> {
    const token = bearerToken(authorization, this.o.maxTokenBytes);
    if (token === undefined) return Promise.resolve(401);
    const key = createHash('sha256').update(token).digest('base64');
    const t = this.now();
    const hit = this.cache.get(key);
    if (hit && hit.until > t) return Promise.resolve(hit.verdict);
    if (hit) this.cache.delete(key);
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    if (!this.take(t)) return Promise.resolve(429);
    const p = this.review(token).then((verdict) => {
      this.inFlight.delete(key);
      if (verdict !== 503) this.remember(key, verdict);
      return verdict;
    });
    this.inFlight.set(key, p);
    return p;
  }

  private async review(token: string): Promise<Verdict> {
    try {
      this.reviews++;
      const user = await this.reviewer.reviewToken(token);
      if (!user) return 401;
      this.reviews++;
      return (await this.reviewer.reviewAccess(user, 'get', this.path)) ? 200 : 403;
    } catch {
      // The API server could not answer: nobody is let in, nothing is cached, and the client
      // learns only that it should come back.
      return 503;
    }
  }

  private remember(key: string, verdict: Verdict): void {
    const ttl = verdict === 200 ? this.o.allowTtlMs : this.o.denyTtlMs;
    if (this.cache.size >= this.o.maxEntries) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(key, { verdict, until: this.now() + ttl });
  }

  /** One review's worth from the bucket, refilled at reviewsPerSecond up to the burst. */
  private take(t: number): boolean {
    const elapsed = Math.max(0, t - this.refilledAt);
    this.tokens = Math.min(
      this.o.reviewBurst,
      this.tokens + (elapsed / 1000) * this.o.reviewsPerSecond,
    );
    this.refilledAt = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** The token of `Authorization: Bearer <token>` (RFC 6750 b64token characters), else undefined. */
export function bearerToken(header: string | undefined, maxBytes = 16_384): string | undefined {
  if (header === undefined || header.length > maxBytes + 7) return undefined;
  const m = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  return m?.[1];
}
