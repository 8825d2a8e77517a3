// A fault proxy in front of the real kube-apiserver: the only stand-in the cluster tests use, and
// only for what a real server does not do on demand. Every request is forwarded unchanged
// (bearer-token identities; client certificates end at the proxy) unless a fault is armed for it:
// - `status`: 429 TooManyRequests with Retry-After (API Priority and Fairness rejecting,
//   staging/src/k8s.io/apiserver/pkg/server/filters/priority-and-fairness.go), 500/503/504 Status
//   errors (etcd timeouts, an apiserver restarting, a load balancer timing out), answered by the
//   proxy as kube-apiserver words them, without forwarding;
// - `slow`: the request is forwarded and the answer's body held back for a while;
// - `truncate`: the request is forwarded (the write happens) and the connection closes after
//   half the body;
// - `hold`: the request waits until `until()` settles, then is forwarded unchanged — another
//   client's write lands between two of ours (a real race, decided by the real server).
// Options for what sits in front of API servers in the field: `pathPrefix` (Rancher's
// /k8s/clusters/<id>: requests must carry it, it is stripped before forwarding) and `sans` (the
// names the proxy's serving certificate holds, to test tls-server-name).
// test/cluster/fault-proxy.test.ts proves the forwarded answers equal the server's own.

import { createServer, request, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { issue } from '../certs.js';

export type Fault =
  | { kind: 'status'; code: 429 | 500 | 502 | 503 | 504; retryAfterSeconds?: number }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'truncate' }
  | { kind: 'hold'; until: () => Promise<unknown> };

export interface FaultProxyOptions {
  /** requests must start with it; forwarded without it */
  pathPrefix?: string;
  /** the serving certificate's subjectAltNames (default IP:127.0.0.1, DNS:localhost) */
  sans?: string[];
}

export type Match = (method: string, path: string) => boolean;

interface Armed {
  fault: Fault;
  remaining: number;
  match: Match;
}

export interface ProxiedRequest {
  method: string;
  path: string;
  status: number;
  fault?: Fault['kind'];
  /** the `jti` of the bearer token the client sent (a service-account JWT), if any */
  tokenId?: string;
}

/** The `jti` claim of a service-account token (what the audit log calls its credential-id). */
export function tokenId(token: string): string | undefined {
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
      jti?: unknown;
    };
    return typeof claims.jti === 'string' ? claims.jti : undefined;
  } catch {
    return undefined;
  }
}

const bearerId = (req: IncomingMessage): { tokenId?: string } => {
  const auth = req.headers.authorization;
  const id = auth?.startsWith('Bearer ') ? tokenId(auth.slice(7)) : undefined;
  return id ? { tokenId: id } : {};
};

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

export class FaultProxy {
  url = '';
  /** the CA the proxy's serving certificate chains to (trust it instead of the cluster's) */
  ca = '';
  readonly requests: ProxiedRequest[] = [];
  private armed: Armed[] = [];
  private server: Server | undefined;

  constructor(
    private readonly upstream: string,
    private readonly upstreamCa: string,
    private readonly opts: FaultProxyOptions = {},
  ) {}

  /** The next `times` requests matching `match` (all by default) get `fault`. */
  inject(fault: Fault, times = 1, match: Match = () => true): void {
    this.armed.push({ fault, remaining: times, match });
  }

  clear(): void {
    this.armed = [];
  }

  async start(): Promise<void> {
    const now = Date.now();
    const ca = await issue({
      cn: 'certdrift-fault-proxy-ca',
      isCA: true,
      key: 'p256',
      notBefore: new Date(now - 3_600_000),
      notAfter: new Date(now + 86_400_000),
      seed: `proxy-ca|${now}|${Math.random()}`,
    });
    const leaf = await issue({
      cn: 'fault-proxy',
      key: 'p256',
      eku: ['serverAuth'],
      sans: this.opts.sans ?? ['IP:127.0.0.1', 'DNS:localhost'],
      issuer: ca,
      notBefore: new Date(now - 3_600_000),
      notAfter: new Date(now + 86_400_000),
      seed: `proxy|${now}|${Math.random()}`,
    });
    this.ca = ca.pem;
    this.server = createServer({ cert: leaf.pem, key: leaf.keyPem }, (req, res) => {
      this.handle(req, res);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => {
      if (!this.server) resolve();
      else
        this.server.close(() => {
          resolve();
        });
    });
  }

  private take(method: string, path: string): Fault | undefined {
    const a = this.armed.find((x) => x.remaining > 0 && x.match(method, path));
    if (!a) return undefined;
    a.remaining--;
    return a.fault;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const method = req.method ?? 'GET';
    const prefix = this.opts.pathPrefix ?? '';
    const asked = req.url ?? '/';
    if (!asked.startsWith(prefix + '/')) {
      req.resume();
      this.requests.push({ method, path: asked, status: 404 });
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end(`fault proxy: not under ${prefix}`);
      return;
    }
    const path = asked.slice(prefix.length);
    const fault = this.take(method, path);
    if (fault?.kind === 'hold') {
      req.pause();
      // paused: the body waits in the socket; pipe() resumes it when forwarded
      void fault.until().finally(() => {
        this.forward(req, res, method, path, fault);
      });
      return;
    }
    const log = (status: number): void => {
      this.requests.push({
        method,
        path,
        status,
        ...(fault ? { fault: fault.kind } : {}),
        ...bearerId(req),
      });
    };
    if (fault?.kind === 'status') {
      req.resume();
      const [reason, message] = REASONS[fault.code] ?? ['InternalError', 'error'];
      const body = JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message,
        reason,
        code: fault.code,
        ...(fault.retryAfterSeconds !== undefined
          ? { details: { retryAfterSeconds: fault.retryAfterSeconds } }
          : {}),
      });
      res.writeHead(fault.code, {
        'content-type': 'application/json',
        ...(fault.retryAfterSeconds !== undefined
          ? { 'retry-after': String(fault.retryAfterSeconds) }
          : {}),
      });
      res.end(body);
      log(fault.code);
      return;
    }
    this.forward(req, res, method, path, fault);
  }

  private forward(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    path: string,
    fault: Fault | undefined,
  ): void {
    const log = (status: number): void => {
      this.requests.push({
        method,
        path,
        status,
        ...(fault ? { fault: fault.kind } : {}),
        ...bearerId(req),
      });
    };
    const headers = { ...req.headers };
    delete headers.host;
    let answered = false;
    const up = request(
      new URL(this.upstream + path),
      { method, headers, ca: this.upstreamCa, agent: false },
      (ur) => {
        answered = true;
        const status = ur.statusCode ?? 502;
        log(status);
        const chunks: Buffer[] = [];
        ur.on('data', (c: Buffer) => chunks.push(c));
        ur.on('end', () => {
          if (res.headersSent) return; // the upload failed first and was answered 502
          const body = Buffer.concat(chunks);
          const outHeaders = { ...ur.headers, 'content-length': String(body.length) };
          delete outHeaders['transfer-encoding'];
          res.writeHead(status, outHeaders);
          if (fault?.kind === 'truncate') {
            res.write(body.subarray(0, Math.floor(body.length / 2)));
            res.socket?.destroy();
          } else if (fault?.kind === 'slow') {
            setTimeout(() => res.end(body), fault.delayMs);
          } else {
            res.end(body);
          }
        });
      },
    );
    up.on('error', (err) => {
      // The server may answer and close before the whole request body was sent (413 for a body
      // over its limit): the upload fails, but the answer is on its way — give it a moment to
      // arrive and pass it on; only when none comes is the failure the proxy's to report.
      setTimeout(() => {
        if (answered || res.headersSent) return;
        log(502);
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`fault proxy: upstream: ${err.message}`);
      }, 250);
    });
    req.pipe(up);
  }
}
