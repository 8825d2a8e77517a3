// Requests to the API server with the behaviour real clients need on real clusters:
// - the server URL's path prefix is kept (Rancher and other authenticating proxies);
// - a 401 re-reads the credential (rotated token file, expired plugin credential) and retries
//   once (client-go: transport/token_source.go re-reads per request; exec.go refreshes on 401);
// - 429 and 5xx are retried a bounded number of times with exponential backoff, waiting at
//   least what `Retry-After` asks (client-go rest/request.go retries on Retry-After; we also
//   retry 5xx without it, and network errors, because every call we make tolerates a repeat:
//   creates answer 409, updates carry a resourceVersion);
// - every request says who it is: `User-Agent: certdrift/<version>`.

import type { Connection } from './connection.js';
import { exchange, NetworkError, type RawResponse } from './transport.js';
import { ClusterError } from '../../model/cluster.js';

export interface ApiResponse {
  status: number;
  body: Record<string, unknown>;
}

export interface KubeApiOptions {
  userAgent: string;
  /** attempts per request, first included (default 4) */
  maxAttempts?: number;
  /** injected for tests; default setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

const RETRIED = new Set([429, 500, 502, 503, 504]);
const BASE_MS = 500;
const MAX_MS = 30_000;

/** Delay before retry number `n` (0-based): Retry-After when given (capped), else backoff. */
export function retryDelayMs(n: number, retryAfter: string | undefined): number {
  const backoff = Math.min(MAX_MS, BASE_MS * 2 ** n);
  const secs =
    retryAfter !== undefined && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) : NaN;
  return Number.isNaN(secs) ? backoff : Math.min(MAX_MS, Math.max(secs * 1000, 1));
}

export function messageOf(r: ApiResponse): string {
  return typeof r.body.message === 'string' ? r.body.message : `HTTP ${r.status}`;
}

/** A response body as an object: JSON objects as they are, anything else said in words. */
export function responseBody(status: number, body: Buffer): Record<string, unknown> {
  try {
    const text = body.toString('utf8');
    const v: unknown = text === '' ? {} : JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : {};
  } catch {
    return { message: `HTTP ${status} with a body that is not JSON` };
  }
}

export class KubeApi {
  constructor(
    readonly conn: Connection,
    private readonly opts: KubeApiOptions,
  ) {}

  /**
   * The same connection with other options: an eviction is sent once per step (a 429 is the
   * budget's answer, never retried within the step), every other call keeps the retries.
   */
  withOptions(opts: Partial<KubeApiOptions>): KubeApi {
    return new KubeApi(this.conn, { ...this.opts, ...opts });
  }

  /** One exchange with the current credentials (a token as a bearer header). */
  private async send(
    method: string,
    url: URL,
    payload: Buffer | undefined,
    contentType: string,
  ): Promise<RawResponse> {
    const auth = await this.conn.credentials.get();
    return exchange(
      this.conn,
      auth,
      method,
      url,
      {
        accept: 'application/json',
        'user-agent': this.opts.userAgent,
        ...(auth.token ? { authorization: `Bearer ${auth.token}` } : {}),
        ...(payload ? { 'content-type': contentType, 'content-length': payload.length } : {}),
      },
      payload,
    );
  }

  /**
   * The response whatever its status; throws ClusterError only when none arrived after retries.
   * `beforeAttempt` is asked before every attempt, the first and each retry: a reason stops the
   * call there (a write retried for minutes must not land after its caller's guard — the
   * rotation Lease — stopped allowing it).
   */
  async call(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
    beforeAttempt?: () => string | null,
  ): Promise<ApiResponse> {
    const base = new URL(this.conn.server);
    const url = new URL(base.href.replace(/\/+$/, '') + path);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const attempts = this.opts.maxAttempts ?? 4;
    const sleep = this.opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    let refreshed = false;
    let last = '';
    for (let n = 0; n < attempts; n++) {
      const stop = beforeAttempt?.() ?? null;
      if (stop !== null)
        throw new ClusterError(
          `Kubernetes ${method} ${url.href}: not ${n === 0 ? 'sent' : 'retried'}: ${stop}${last ? ` (last answer: ${last})` : ''}`,
          0,
        );
      let raw: RawResponse;
      try {
        raw = await this.send(method, url, payload, contentType);
      } catch (e) {
        if (!(e instanceof NetworkError))
          throw new ClusterError(`Kubernetes ${method} ${url.href}: ${(e as Error).message}`, 0);
        last = e.message;
        if (n + 1 < attempts) await sleep(retryDelayMs(n, undefined));
        continue;
      }
      const res = { status: raw.status, body: responseBody(raw.status, raw.body) };
      if (res.status === 401 && !refreshed) {
        // The credential may have rotated under us: re-read it and try once more.
        refreshed = true;
        if (await this.conn.credentials.refresh()) {
          n--;
          continue;
        }
      }
      if (RETRIED.has(res.status) && n + 1 < attempts) {
        last = `${res.status} ${messageOf(res)}`;
        const ra = raw.headers['retry-after'];
        await sleep(retryDelayMs(n, typeof ra === 'string' ? ra : undefined));
        continue;
      }
      return res;
    }
    throw new ClusterError(
      `Kubernetes ${method} ${url.href}: ${last} (after ${attempts} attempts)`,
      0,
    );
  }

  /** The response of a 2xx; anything else is a ClusterError with the server's message. */
  async ok(
    method: string,
    path: string,
    body?: unknown,
    contentType?: string,
  ): Promise<ApiResponse> {
    const r = await this.call(method, path, body, contentType);
    if (r.status < 200 || r.status >= 300)
      throw new ClusterError(`Kubernetes ${method} ${path}: ${r.status} ${messageOf(r)}`, r.status);
    return r;
  }
}
