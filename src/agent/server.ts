// /metrics (the last snapshot, as rendered after the scan: no I/O per scrape), /healthz (the
// process serves), /readyz (a complete scan has succeeded since start). stopServer() ends it in
// bounded time whatever clients do: idle keep-alive connections are closed at once, and after a
// grace period every remaining connection — a scrape in flight, a client that sent half a request
// and went quiet — is destroyed.

import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { escapeTerminal } from '../model/escape.js';
import { acceptsGzip } from './accept-encoding.js';
import type { AgentMetrics } from './metrics.js';

export interface Readiness {
  ready: boolean;
  lastError: string | undefined;
}

const sockets = new WeakMap<Server, Set<Socket>>();

export function agentServer(metrics: AgentMetrics, state: Readiness): Server {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/metrics') {
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
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      if (state.ready) res.writeHead(200, { 'content-type': 'text/plain' }).end('ready\n');
      else
        res
          .writeHead(503, { 'content-type': 'text/plain' })
          .end(`not ready: ${escapeTerminal(state.lastError ?? 'first scan in progress')}\n`);
    } else {
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end('certdrift agent: /metrics, /healthz, /readyz\n');
    }
  });
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
