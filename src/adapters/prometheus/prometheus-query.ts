// The one Prometheus call `certdrift rotate --defer-while` makes: GET /api/v1/query on
// --prometheus-url, bounded by a timeout; the pure judge (rotate/defer-query.ts) decides. A
// failure to connect or a timeout refuses (no node starts), never reads as "no series".

import { judgeQuery, queryPath } from '../../rotate/defer-query.js';
import type { GateAnswer } from '../../rotate/run-step.js';

export function prometheusGate(
  baseUrl: string,
  query: string,
  timeoutMs = 10_000,
): () => Promise<GateAnswer> {
  const url = new URL(queryPath(query), baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  // keep a path prefix (Prometheus behind --web.route-prefix or a proxy)
  url.pathname = `${new URL(baseUrl).pathname.replace(/\/$/, '')}/api/v1/query`;
  return async () => {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      return judgeQuery(query, r.status, await r.text());
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code;
      return {
        kind: 'refuse',
        reason: `Prometheus at ${url.origin} did not answer (${cause ?? (e as Error).message})`,
      };
    }
  };
}
