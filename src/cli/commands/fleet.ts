// `certdrift fleet`: every Node of the cluster with its certificate deadline, whether an agent
// reports for it, and its kubelet CSRs — once (-o table|json), or served as Prometheus metrics
// (--serve, a one-replica Deployment in deploy/fleet). With --approve-kubelet-serving it also
// approves kubelet-serving CSRs that pass every rule of src/fleet/approve-serving.ts.

import { createServer, type Server } from 'node:http';
import {
  compileDnsPattern,
  MAX_EXPIRATION_SECONDS,
  MAX_PATTERN_LENGTH,
  type ServingPolicy,
} from '../../fleet/approve-serving.js';
import { fleetExitCode, type FleetView } from '../../fleet/fleet-view.js';
import { renderFleetMetrics } from '../../fleet/metrics-text.js';
import { renderFleetTable } from '../../fleet/render-table.js';
import { parseDuration } from '../../model/duration.js';
import { systemClock } from '../../model/clock.js';
import { escapeTerminal } from '../../model/escape.js';
import { COLOR, PLAIN } from '../../model/text-table.js';
import type { CommandDef, Io, Values } from '../command.js';
import { TABLE_OR_JSON_OPTION, UsageError, useColor } from '../command.js';
import { OperationalError } from '../errors.js';
import { stopOnSignals } from '../signals.js';
import { newSyncState, syncFleet, type SyncOptions } from '../../fleet/fleet-sync.js';
import { VERSION } from '../version.js';
import { checkRatios, SCAN_FIELDS } from '../config/scan-config.js';
import { loadLayers, optionsOf } from '../scan-options.js';
import { resolveFields } from '../config/fields.js';

/**
 * The share-of-lifetime thresholds: scan's own definitions (flag, CERTDRIFT_* variable, help,
 * validation), so `fleet --warn-ratio` means what `scan --warn-ratio` means. The day thresholds
 * keep the fleet's whole-day flags.
 */
const RATIO_FIELDS = { warnRatio: SCAN_FIELDS.warnRatio, criticalRatio: SCAN_FIELDS.criticalRatio };

async function ratios(
  values: Values,
  io: Io,
): Promise<{ warnRatio?: number; criticalRatio?: number }> {
  const r = resolveFields<{ warnRatio?: number; criticalRatio?: number }>(
    RATIO_FIELDS,
    {},
    await loadLayers(RATIO_FIELDS, values, io),
  );
  checkRatios(r);
  return r;
}

const str = (v: Values, k: string): string | undefined =>
  typeof v[k] === 'string' ? v[k] : undefined;

function seconds(values: Values, k: string, dflt: string, min: number, max: number): number {
  const text = str(values, k) ?? dflt;
  const ms = parseDuration(text);
  if (ms === null || ms < min * 1000 || ms > max * 1000)
    throw new UsageError(
      `--${k}: expected a duration like 30m or 2h between ${min}s and ${max}s, got ${JSON.stringify(text)}`,
    );
  return Math.floor(ms / 1000);
}

function days(values: Values, k: string, dflt: number): number {
  const text = str(values, k);
  if (text === undefined) return dflt;
  const n = Number(text);
  if (!/^\d{1,4}$/.test(text) || n > 3650)
    throw new UsageError(`--${k}: expected whole days (0–3650), got ${JSON.stringify(text)}`);
  return n;
}

function servingPolicy(values: Values): ServingPolicy | undefined {
  const patterns = Array.isArray(values['serving-dns-pattern'])
    ? values['serving-dns-pattern']
    : [];
  const maxText = str(values, 'max-expiration-seconds');
  if (values['approve-kubelet-serving'] !== true) {
    if (patterns.length > 0 || maxText !== undefined)
      throw new UsageError(
        '--serving-dns-pattern and --max-expiration-seconds apply to --approve-kubelet-serving',
      );
    return undefined;
  }
  if (patterns.length > 32) throw new UsageError('--serving-dns-pattern: at most 32 patterns');
  const dnsPatterns = patterns.map((p) => {
    const re = compileDnsPattern(p);
    if (!re)
      throw new UsageError(
        `--serving-dns-pattern: not a regular expression of 1–${MAX_PATTERN_LENGTH} characters: ${JSON.stringify(p)}`,
      );
    return re;
  });
  let max = MAX_EXPIRATION_SECONDS;
  if (maxText !== undefined) {
    max = Number(maxText);
    if (!/^\d{1,9}$/.test(maxText) || max < 600 || max > MAX_EXPIRATION_SECONDS)
      throw new UsageError(
        `--max-expiration-seconds: expected 600–${MAX_EXPIRATION_SECONDS}, got ${JSON.stringify(maxText)}`,
      );
  }
  return { dnsPatterns, maxExpirationSeconds: max };
}

function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[?([^\]]*)\]?)?:(\d{1,5})$/.exec(text);
  const port = Number(m?.[2]);
  if (!m || port > 65535)
    throw new UsageError(`--listen: expected HOST:PORT or :PORT, got ${JSON.stringify(text)}`);
  return { host: m[1] || '0.0.0.0', port };
}

/** /metrics (the last view), /healthz, and /readyz once a sync succeeded; GET and HEAD only. */
function fleetServer(
  current: () => FleetView | null,
  metrics: (v: FleetView | null) => string,
): Server {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const view = current();
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(metrics(view));
    } else if (path === '/healthz') res.writeHead(200).end('ok\n');
    else if (path === '/readyz')
      res.writeHead(view ? 200 : 503).end(view ? 'ok\n' : 'no sync yet\n');
    else res.writeHead(404).end();
  });
  server.requestTimeout = 10_000;
  return server;
}

async function serve(
  sync: () => Promise<FleetView>,
  metrics: (v: FleetView | null) => string,
  listen: { host: string; port: number },
  intervalMs: number,
  io: Io,
  onError: () => void,
): Promise<number> {
  let view: FleetView | null = null;
  const server = fleetServer(() => view, metrics);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, resolve);
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound ? bound.port : listen.port;
  io.stderr.write(`certdrift fleet: serving /metrics on ${listen.host}:${port}\n`);
  const stop = stopOnSignals();
  try {
    while (!stop.signal.aborted) {
      try {
        view = await sync();
      } catch (err) {
        onError();
        io.stderr.write(
          `certdrift fleet: sync failed: ${escapeTerminal((err as Error).message)}\n`,
        );
      }
      await systemClock.sleep(intervalMs, stop.signal);
    }
  } finally {
    stop.release();
    await new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
  }
  return 0;
}

async function runFleet(values: Values, positionals: string[], io: Io): Promise<number> {
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const output = str(values, 'output') ?? 'table';
  if (output !== 'table' && output !== 'json')
    throw new UsageError(`--output: expected table or json, got ${JSON.stringify(output)}`);
  const at = str(values, 'at');
  const fixed = at === undefined ? undefined : Date.parse(at);
  if (fixed !== undefined && Number.isNaN(fixed))
    throw new UsageError(`--at: expected an RFC 3339 time, got ${JSON.stringify(at)}`);
  const now = (): Date => new Date(fixed ?? Date.now());
  const warnDays = days(values, 'warn-days', 30);
  const criticalDays = days(values, 'critical-days', 7);
  if (criticalDays > warnDays) throw new UsageError('--critical-days must not exceed --warn-days');
  const approve = servingPolicy(values);
  const opts: SyncOptions = {
    silentAfterSeconds: seconds(values, 'silent-after', '30m', 60, 30 * 86_400),
    warnDays,
    criticalDays,
    ...(await ratios(values, io)),
    ...(approve ? { approve } : {}),
    log: (line) => io.stderr.write(`certdrift fleet: ${line}\n`),
  };
  const kube = str(values, 'kubernetes') ?? 'auto';
  // Loaded only here: the cluster client is the heaviest part of the CLI.
  const { connectionFor } = await import('../../adapters/kube/connect.js');
  const { KubeApi } = await import('../../adapters/kube/kube-api.js');
  const { HttpFleetCluster } = await import('../../adapters/kube/fleet-api.js');
  const conn = connectionFor(kube, io.env);
  if (!conn)
    throw new OperationalError(
      '--kubernetes auto: not running in a pod (no KUBERNETES_SERVICE_HOST); give a kubeconfig path',
    );
  const cluster = new HttpFleetCluster(new KubeApi(conn, { userAgent: `certdrift/${VERSION}` }));
  const state = newSyncState();
  if (values.serve === true) {
    const interval = seconds(values, 'interval', '60s', 5, 3600);
    return serve(
      () => syncFleet(cluster, opts, state, now),
      (v) => renderFleetMetrics(v, state.counters),
      parseListen(str(values, 'listen') ?? ':9732'),
      interval * 1000,
      io,
      () => state.counters.syncErrors++,
    );
  }
  if (str(values, 'listen') !== undefined || str(values, 'interval') !== undefined)
    throw new UsageError('--listen and --interval apply to --serve');
  const view = await syncFleet(cluster, opts, state, now);
  if (output === 'json') io.stdout.write(JSON.stringify(view, null, 2) + '\n');
  else {
    io.stdout.write(renderFleetTable(view, useColor(values.color, io) ? COLOR : PLAIN));
  }
  return fleetExitCode(view);
}

export const fleetCommand: CommandDef = {
  name: 'fleet',
  summary: 'every node of the cluster: deadline, agent coverage, kubelet CSRs (+ strict approver)',
  usage:
    'certdrift fleet [--kubernetes auto|KUBECONFIG] [-o table|json] [--silent-after 30m] [--approve-kubelet-serving [--serving-dns-pattern REGEX]…] [--serve [--listen :9732] [--interval 60s]]',
  description: [
    'Reads every Node, NodeCertificateReport and kubelet CertificateSigningRequest from the API',
    "server and shows, per node: its certificate deadline (from the agent's report), how old that",
    'report is (silent after --silent-after), Linux nodes with no report at all (no agent runs',
    'there), deadlines that passed while the report was silent, and its kubelet CSRs by signer',
    '(serving, client) and state (pending with age, approved but not issued, issued, denied,',
    'failed). --serve exports the same as Prometheus metrics (docs/metrics.md) for deploy/fleet.',
    '',
    '--approve-kubelet-serving approves a `kubernetes.io/kubelet-serving` CSR only when it was',
    'requested by system:node:<name> in group system:nodes, Node <name> exists, the request has',
    'CN system:node:<name> and O system:nodes only, the usages kubelet asks for, at least one SAN,',
    "no email/URI/other SANs, IP SANs among the Node's addresses, DNS SANs among its names or",
    'matching a --serving-dns-pattern, and expirationSeconds within --max-expiration-seconds.',
    'Anything else stays Pending with one Event on the CSR per reason. Client CSRs are never',
    'approved. Needs the deploy/fleet/approver component (README: "The fleet view").',
    'Exit codes (one-shot): 0 all covered and fine, 1 warnings (silent node, no agent, a kubelet',
    'CSR not issued, deadline within --warn-days), 2 critical (deadline within --critical-days,',
    'passed, or passed while silent), 3 usage or operational error.',
    '--warn-ratio and --critical-ratio judge the share of the deadline certificate’s lifetime',
    'left as well (either threshold raises the status), from the report’s deadlineNotBefore; a',
    'report without it (written by an older agent) is judged by days only (lifetimeLeft: null).',
  ].join('\n'),
  options: {
    kubernetes: {
      type: 'string',
      value: 'auto|KUBECONFIG',
      description: "`auto`: the pod's service account; else a kubeconfig file",
      shownDefault: 'auto',
    },
    output: TABLE_OR_JSON_OPTION,
    'silent-after': {
      type: 'string',
      value: 'DURATION',
      description: 'a report not updated for this long is silent',
      shownDefault: '30m',
    },
    'warn-days': {
      type: 'string',
      value: 'DAYS',
      description: 'deadline warning',
      shownDefault: '30',
    },
    'critical-days': {
      type: 'string',
      value: 'DAYS',
      description: 'deadline critical',
      shownDefault: '7',
    },
    ...optionsOf(RATIO_FIELDS),
    at: {
      type: 'string',
      value: 'DATE',
      description: 'judge ages and deadlines as of this RFC 3339 time',
      shownDefault: 'now',
    },
    'approve-kubelet-serving': {
      type: 'boolean',
      description: 'approve kubelet-serving CSRs that pass every rule (see above)',
    },
    'serving-dns-pattern': {
      type: 'string',
      multiple: true,
      value: 'REGEX',
      description: "a DNS SAN allowed besides the node's own names (matches the whole name)",
    },
    'max-expiration-seconds': {
      type: 'string',
      value: 'N',
      description: 'the longest spec.expirationSeconds approved',
      shownDefault: String(MAX_EXPIRATION_SECONDS),
    },
    serve: { type: 'boolean', description: 'keep running: sync every --interval, serve /metrics' },
    listen: {
      type: 'string',
      value: 'HOST:PORT',
      description: 'with --serve',
      shownDefault: ':9732',
    },
    interval: {
      type: 'string',
      value: 'DURATION',
      description: 'with --serve: time between syncs',
      shownDefault: '60s',
    },
    color: {
      type: 'string',
      value: 'WHEN',
      description: 'auto, always or never',
      shownDefault: 'auto',
    },
  },
  examples: [
    'certdrift fleet --kubernetes ~/.kube/config',
    'certdrift fleet --kubernetes ~/.kube/config -o json | jq \'.nodes[] | select(.coverage != "reporting")\'',
    "certdrift fleet --serve --approve-kubelet-serving --serving-dns-pattern '[a-z0-9-]+\\.nodes\\.example\\.com'",
  ],
  run: runFleet,
};
