// /metrics (the last snapshot, as rendered after the scan: no I/O per scrape), /healthz (the
// process serves), /readyz (a complete scan has succeeded since start). stopServer() ends it in
// bounded time whatever clients do: idle keep-alive connections are closed at once, and after a
// grace period every remaining connection — a scrape in flight, a client that sent half a request
// and went quiet — is destroyed.
//
// node:http and node:https are taken with process.getBuiltinModule, not imported: on Node 24 an
// ESM import of node:http reads every export of the module, and its lazy WebSocket/EventSource
// exports load undici — 12 MB of RSS the agent never uses (BENCHMARKS.md, issue #25). node:https
// (and node:tls, ~6–9 MB) load only when the agent serves TLS.

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { escapeTerminal } from '../model/escape.js';
import { acceptsGzip } from './accept-encoding.js';
import type { MetricsAccess, Verdict } from './metrics-access.js';
import type { AgentMetrics } from './metrics.js';
import { reloadBeforeHandshake, type ServingTls } from './serving-tls.js';

export interface Readiness {
  ready: boolean;
  lastError: string | undefined;
}

export interface ServeOptions {
  /** HTTPS with this certificate, reloaded when its files change; plain HTTP without */
  tls?: ServingTls;
  /** /metrics only for bearer tokens the API server authenticates and authorizes */
  access?: MetricsAccess;
}

const sockets = new WeakMap<Server, Set<Socket>>();

// A refusal says no more than its status: which check failed, and why, is not the client's.
const REFUSED: Partial<Record<Verdict, [string, Record<string, string>]>> = {
  401: ['Unauthorized\n', { 'www-authenticate': 'Bearer realm="certdrift"' }],
  403: ['Forbidden\n', {}],
  429: ['Too Many Requests\n', { 'retry-after': '1' }],
  503: ['Service Unavailable\n', { 'retry-after': '5' }],
};

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** /metrics as rendered after the last scan: gzip as Prometheus asks, else the plain buffers. */
function metricsBody(metrics: AgentMetrics): Handler {
  return (req, res) => {
    const headers = { 'content-type': metrics.contentType, vary: 'accept-encoding' };
    if (acceptsGzip(req.headers['accept-encoding']))
      res.writeHead(200, { ...headers, 'content-encoding': 'gzip' }).end(metrics.gzipped());
    else {
      const [families, rest] = metrics.plain();
      res.writeHead(200, { ...headers, 'content-length': families.length + rest.length });
      if (req.method === 'HEAD') res.end();
      else {
        res.write(families);
        res.end(rest);
      }
    }
  };
}

/** /metrics for tokens the API server authenticates and authorizes; a refusal says no more. */
function guardedBy(access: MetricsAccess, serve: Handler): Handler {
  return (req, res) => {
    void access.check(req.headers.authorization).then((verdict) => {
      if (res.destroyed) return;
      const refused = REFUSED[verdict];
      if (!refused) serve(req, res);
      else res.writeHead(verdict, { 'content-type': 'text/plain', ...refused[1] }).end(refused[0]);
    });
  };
}

/**
 * /readyz, open for the kubelet's probes: it says ready or not, and a scan error only when
 * /metrics is not guarded (an error can name a path on the node).
 */
function readiness(state: Readiness, guarded: boolean): Handler {
  return (_req, res) => {
    if (state.ready) res.writeHead(200, { 'content-type': 'text/plain' }).end('ready\n');
    else
      res
        .writeHead(503, { 'content-type': 'text/plain' })
        .end(
          guarded
            ? 'not ready\n'
            : `not ready: ${escapeTerminal(state.lastError ?? 'first scan in progress')}\n`,
        );
  };
}

/** GET and HEAD of the three paths; anything else is 405 or 404. */
function routes(metrics: Handler, ready: Handler): Handler {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/metrics') metrics(req, res);
    else if (path === '/healthz') res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    else if (path === '/readyz') ready(req, res);
    else
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end('certdrift agent: /metrics, /healthz, /readyz\n');
  };
}

/** HTTPS when there is a serving certificate (reloaded before handshakes), plain HTTP without. */
function listenerFor(handler: Handler, tls: ServingTls | undefined): Server {
  if (!tls) return process.getBuiltinModule('node:http').createServer(handler);
  const https = process
    .getBuiltinModule('node:https')
    .createServer({ ...tls.load(), minVersion: 'TLSv1.2' }, handler);
  reloadBeforeHandshake(https, tls);
  return https;
}

export function agentServer(
  metrics: AgentMetrics,
  state: Readiness,
  opts: ServeOptions = {},
): Server {
  const body = metricsBody(metrics);
  const server = listenerFor(
    routes(opts.access ? guardedBy(opts.access, body) : body, readiness(state, !!opts.access)),
    opts.tls,
  );
  // every connection is known, so stopServer can end them in bounded time
  const open = new Set<Socket>();
  sockets.set(server, open);
  server.on('connection', (s: Socket) => {
    open.add(s);
    s.once('close', () => open.delete(s));
  });
  return server;
}

/** Stops accepting, lets responses in flight finish for `graceMs`, then cuts every connection. */
export function stopServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const open = sockets.get(server) ?? new Set<Socket>();
    const cut = setTimeout(() => {
      server.closeAllConnections();
      for (const s of open) s.destroy();
    }, graceMs);
    server.close(() => {
      clearTimeout(cut);
      resolve();
    });
    server.closeIdleConnections();
    // A socket that has not had a response yet is waiting for the rest of a request (handlers
    // here answer synchronously): node:http does not count it as idle, nobody will answer it.
    for (const s of open) if (s.bytesWritten === 0) s.destroy();
  });
}
