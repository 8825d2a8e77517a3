// --defer-while QUERY: kured's idea (its --prometheus-url / --alert-filter-regexp) — before a node
// starts, ask Prometheus's HTTP API (GET /api/v1/query, https://prometheus.io/docs/prometheus/
// latest/querying/api/#instant-queries) and wait while the query returns any series. Judging the
// answer is pure: a vector or matrix with series defers, an empty one proceeds; everything else —
// an HTTP error, a body that is not the API's JSON, `status: "error"`, a scalar or string result
// — refuses. An error is never taken for "no series".

import type { GateAnswer } from './run-step.js';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | null =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null;

export function queryPath(query: string): string {
  return `/api/v1/query?query=${encodeURIComponent(query)}`;
}

function seriesName(s: unknown): string {
  const metric = obj(obj(s)?.metric) ?? {};
  const name = typeof metric.__name__ === 'string' ? metric.__name__ : '';
  const labels = Object.entries(metric)
    .filter(([k, v]) => k !== '__name__' && typeof v === 'string')
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .sort();
  return `${name}{${labels.join(',')}}`;
}

/** the gate's answer from one HTTP response of /api/v1/query */
export function judgeQuery(query: string, httpStatus: number, body: string): GateAnswer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return {
      kind: 'refuse',
      reason: `Prometheus answered HTTP ${httpStatus} with a body that is not JSON`,
    };
  }
  const doc = obj(parsed);
  if (doc?.status === 'error') {
    const type = typeof doc.errorType === 'string' ? doc.errorType : 'error';
    const msg = typeof doc.error === 'string' ? doc.error : '';
    return { kind: 'refuse', reason: `Prometheus query failed (${type}): ${msg}` };
  }
  if (httpStatus < 200 || httpStatus >= 300 || doc?.status !== 'success')
    return { kind: 'refuse', reason: `Prometheus answered HTTP ${httpStatus} without success` };
  const data = obj(doc.data);
  const type = data?.resultType;
  const result = data?.result;
  if ((type !== 'vector' && type !== 'matrix') || !Array.isArray(result))
    return {
      kind: 'refuse',
      reason: `--defer-while must select series (an instant vector); ${JSON.stringify(query)} gave ${typeof type === 'string' ? type : 'no result type'}`,
    };
  if (result.length === 0) return { kind: 'proceed' };
  const shown = result.slice(0, 3).map(seriesName).join(', ');
  return {
    kind: 'defer',
    reason: `${JSON.stringify(query)} returns ${result.length} series (${shown}${result.length > 3 ? ', …' : ''})`,
  };
}
