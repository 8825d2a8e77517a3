// /metrics (the last snapshot, as rendered after the scan: no I/O per scrape), /healthz (the
// process serves), /readyz (a first complete scan exists).

import { createServer, type Server } from 'node:http';
import type { AgentMetrics } from './metrics.js';

export interface Readiness {
  ready: boolean;
  lastError: string | undefined;
}

export function agentServer(metrics: AgentMetrics, state: Readiness): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/metrics') {
      const gzip = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
      const headers = { 'content-type': metrics.contentType, vary: 'accept-encoding' };
      if (gzip)
        res.writeHead(200, { ...headers, 'content-encoding': 'gzip' }).end(metrics.gzipped());
      else res.writeHead(200, headers).end(metrics.plain());
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      if (state.ready) res.writeHead(200, { 'content-type': 'text/plain' }).end('ready\n');
      else
        res
          .writeHead(503, { 'content-type': 'text/plain' })
          .end(`not ready: ${state.lastError ?? 'first scan in progress'}\n`);
    } else {
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end('certdrift agent: /metrics, /healthz, /readyz\n');
    }
  });
}
