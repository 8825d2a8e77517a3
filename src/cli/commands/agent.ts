// `certdrift agent`: rescans the node on an interval and serves Prometheus metrics from the last
// complete snapshot. Runs until SIGTERM/SIGINT.

import { hostname } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { systemClock } from '../../model/clock.js';
import { AgentLoop } from '../../agent/loop.js';
import { AgentMetrics, type ScanOutcome } from '../../agent/metrics.js';
import { LedgerRecorder } from '../../agent/ledger-recorder.js';
import { ledgerPath, readLedgerFile, writeLedgerFile } from '../../adapters/host/ledger-file.js';
import { ScanWorker } from '../agent-scan-in-worker.js';
import { AgentScanner, DEFAULT_MAX_IN_PROCESS } from '../agent-scanner.js';
import { agentServer, stopServer } from '../../agent/server.js';
import type { MetricsAccess } from '../../agent/metrics-access.js';
import { ServingTls } from '../../agent/serving-tls.js';
import type { CommandDef, Io, Values } from '../command.js';
import { UsageError } from '../command.js';
import { VERSION } from '../version.js';
import { stopOnSignals } from '../signals.js';
import { loadScanConfig, DISCOVERY_OPTIONS, scanOptions } from '../scan-options.js';
import type { ScanConfig } from '../config/scan-config.js';
import type { Server } from 'node:http';

/**
 * A full GC, run after each render: the agent's own heap is small and barely allocates, so V8
 * would let the previous scan's megabytes of bodies (external memory) wait for a GC that never
 * comes — steady RSS crept up by ~13 MB a scan (BENCHMARKS.md, issue #11). Exposed here, at
 * start-up, so nobody has to pass --expose-gc.
 */
function collectGarbage(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as unknown;
  return typeof gc === 'function' ? () => void (gc as () => unknown)() : () => undefined;
}

/**
 * V8's optimizing compilers (TurboFan, Maglev) off in the agent's own process: what it runs hot is
 * small (a scrape writes a buffer; a typical node's rescan is tens of certificates), and the
 * compilers' code and the optimized code they make cost the pod ~8 MB of binary pages and heap —
 * an eighth of the ≤ 64 MB a typical node may take (BENCHMARKS.md, issue #25, with the CPU per scan
 * it costs). Read when V8 would tier a function up, so setting them here, before the first scan,
 * takes effect. A scan worker is forked with its own flags (agent-scan-in-worker.ts) and optimizes.
 */
function interpretOnly(): void {
  setFlagsFromString('--no-opt');
  setFlagsFromString('--no-maglev');
}

/**
 * Node conditions, events and the NodeCertificateReport: `auto` publishes when running in a
 * cluster (service account), `none` never, anything else is a kubeconfig path. The cluster code
 * loads only when used.
 */
export async function kubernetesPublisher(
  v: unknown,
  node: string,
  io: Io,
): Promise<((o: ScanOutcome) => Promise<void>) | undefined> {
  const mode = typeof v === 'string' ? v : 'auto';
  if (mode === 'none') return undefined;
  const { openCluster } = await import('../../adapters/kube/connect.js');
  const client = openCluster(mode, io.env, `certdrift/${VERSION}`);
  if (!client) return undefined;
  const { publishNodeStatus } = await import('../../adapters/kube/publish.js');
  const { desiredConditions, desiredEvents, desiredReport } =
    await import('../../agent/node-status.js');
  const { publishedLedger } = await import('../../ledger/publish-ledger.js');
  return async (o) => {
    await publishNodeStatus(
      client,
      node,
      {
        conditions: desiredConditions(o.findings),
        events: desiredEvents(node, o.findings),
        report: {
          ...desiredReport(o.inventory, o.findings, o.lifetime, o.now, o.exposition?.certificates),
          // the worker rendered the certificates and kept only their number (agent-scan-worker.ts)
          ...(o.exposition ? { certificates: o.exposition.certificates } : {}),
          // the ledger, bounded (the file under --state-dir keeps all of it)
          ...(o.ledger ? { ledger: publishedLedger(o.ledger) } : {}),
        },
      },
      o.now,
    );
  };
}

/**
 * Who may read /metrics: `none` (anyone who reaches the port), or `kubernetes` — a bearer token
 * the API server authenticates (TokenReview) and authorizes for `get` on /metrics
 * (SubjectAccessReview), as kube-rbac-proxy does. Loaded only when used.
 */
async function metricsAccess(
  values: Values,
  listenHost: string,
  tls: boolean,
  io: Io,
): Promise<MetricsAccess | undefined> {
  const mode = typeof values['metrics-auth'] === 'string' ? values['metrics-auth'] : 'none';
  if (mode === 'none') return undefined;
  if (mode !== 'kubernetes')
    throw new UsageError(
      `--metrics-auth: expected none or kubernetes, got ${JSON.stringify(mode)}`,
    );
  // Scrapers' tokens must not cross the network in clear: only a loopback listener (a sidecar
  // in the same network namespace) may take them without TLS.
  if (!tls && !isLoopback(listenHost))
    throw new UsageError(
      '--metrics-auth kubernetes needs --tls-cert-file and --tls-key-file (bearer tokens are not sent in clear), or a loopback --listen',
    );
  const source = typeof values.kubernetes === 'string' ? values.kubernetes : 'auto';
  if (source === 'none')
    throw new UsageError(
      '--metrics-auth kubernetes asks the API server: --kubernetes cannot be none',
    );
  const { connectionFor } = await import('../../adapters/kube/connect.js');
  const conn = connectionFor(source, io.env);
  if (!conn)
    throw new UsageError(
      '--metrics-auth kubernetes: not running in a pod (no KUBERNETES_SERVICE_HOST); give --kubernetes KUBECONFIG',
    );
  const { ApiAccessReviewer } = await import('../../adapters/kube/access-review.js');
  const { MetricsAccess } = await import('../../agent/metrics-access.js');
  return new MetricsAccess(new ApiAccessReviewer(conn, `certdrift/${VERSION}`), () => Date.now());
}

function isLoopback(host: string): boolean {
  return /^127\./.test(host) || host === '::1' || host === 'localhost';
}

function servingTls(values: Values, log: (m: string) => void): ServingTls | undefined {
  const cert = values['tls-cert-file'];
  const key = values['tls-key-file'];
  if (cert === undefined && key === undefined) return undefined;
  if (typeof cert !== 'string' || typeof key !== 'string')
    throw new UsageError('--tls-cert-file and --tls-key-file go together');
  return new ServingTls({ certFile: cert, keyFile: key }, () => Date.now(), log);
}

export function parseListen(v: unknown): { host: string; port: number } {
  const s = typeof v === 'string' ? v : ':9731';
  const m = /^(?:\[?([^\]]*)\]?)?:(\d{1,5})$/.exec(s);
  const port = Number(m?.[2]);
  if (s.includes('$('))
    throw new UsageError(
      `--listen: ${JSON.stringify(s)} names a variable the kubelet did not expand; define it in the container's env (e.g. NODE_IP from status.hostIP)`,
    );
  if (!m || port > 65535)
    throw new UsageError(`--listen: expected HOST:PORT or :PORT, got ${JSON.stringify(s)}`);
  return { host: m[1] || '0.0.0.0', port };
}

/** --interval (seconds, ≥ 1, default 300) and --jitter (a fraction in [0, 1), default 0.1). */
export function loopTiming(values: Values): { intervalS: number; jitter: number } {
  const intervalS = typeof values.interval === 'string' ? Number(values.interval) : 300;
  const jitter = typeof values.jitter === 'string' ? Number(values.jitter) : 0.1;
  if (!(intervalS >= 1)) throw new UsageError('--interval: expected seconds ≥ 1');
  if (!(jitter >= 0 && jitter < 1)) throw new UsageError('--jitter: expected a fraction in [0, 1)');
  return { intervalS, jitter };
}

/** The certificate ledger under --state-dir (none: no ledger). */
function ledgerRecorder(
  values: Values,
  node: string,
  log: (m: string) => void,
): LedgerRecorder | undefined {
  const stateDir =
    typeof values['state-dir'] === 'string' ? values['state-dir'] : '/var/lib/certdrift';
  if (stateDir === 'none') return undefined;
  const ledgerFile = ledgerPath(stateDir);
  return new LedgerRecorder(
    {
      // an unusable ledger is moved aside (named by the time), never replaced silently
      read: () => readLedgerFile(ledgerFile, { moveAsideAt: new Date() }),
      write: (l) => {
        writeLedgerFile(ledgerFile, l);
      },
    },
    node,
    log,
  );
}

/** Runs the loop until SIGTERM or SIGINT, then stops the worker and the server (bounded). */
async function runUntilSignalled(
  loop: AgentLoop,
  worker: Pick<AgentScanner, 'stop'>,
  server: Parameters<typeof stopServer>[0],
  log: (m: string) => void,
): Promise<void> {
  const stop = stopOnSignals((sig) => {
    log(`${sig}: finishing`);
  });
  await loop.run(stop.signal);
  worker.stop();
  // Bounded whatever clients do (a half-sent request, a slow reader): 2 s for responses in flight.
  await stopServer(server, 2000);
}

/**
 * Where scans run. In a worker process that keeps the parse cache between them and is recycled
 * when its memory grows: the agent's own memory stays flat (BENCHMARKS.md, issue #11) — on a node
 * with many certificates. On a typical node they run in the agent's own process after the first
 * scan: a second process would double the pod's memory (issue #25, agent-scanner.ts).
 */
function agentScanner(values: Values, intervalS: number): AgentScanner {
  const scanTimeoutMs = Math.max(60_000, 2 * intervalS * 1000);
  const scanWorker = values['scan-worker'] ?? 'auto';
  if (scanWorker !== 'auto' && scanWorker !== 'always')
    throw new UsageError(
      `--scan-worker: expected auto or always, got ${JSON.stringify(scanWorker)}`,
    );
  return new AgentScanner(
    new ScanWorker(undefined, scanTimeoutMs),
    scanTimeoutMs,
    scanWorker === 'always' ? 0 : DEFAULT_MAX_IN_PROCESS,
  );
}

/** One scan as the loop runs it: through the scanner, recorded in the ledger when there is one. */
function scanStep(
  worker: AgentScanner,
  config: ScanConfig,
  values: Values,
  node: string,
  ledger: LedgerRecorder | undefined,
): () => Promise<ScanOutcome> {
  return async () => {
    const o = await worker.scan(
      { ...config, probeServed: values['no-probe'] !== true },
      {
        node,
        x509Compat: values['x509-compat'] === true,
        ...(ledger ? { ledger: { previous: ledger.previous() } } : {}),
      },
    );
    return ledger ? ledger.record(o) : o;
  };
}

/** Listens where --listen says; resolves once the port is bound. */
async function listenOn(server: Server, listen: { host: string; port: number }): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, resolve);
  });
}

function startedLine(
  node: string,
  listen: { host: string; port: number },
  tls: boolean,
  guarded: boolean,
  timing: { intervalS: number; jitter: number },
): string {
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return `certdrift agent for node ${node} on ${tls ? 'https' : 'http'}://${host}:${listen.port}${guarded ? ' (/metrics for authorized tokens)' : ''}, scanning every ${timing.intervalS}s ±${Math.round(timing.jitter * 100)}%`;
}

async function runAgent(values: Values, positionals: string[], io: Io): Promise<number> {
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  interpretOnly();
  const config = await loadScanConfig(values, io);
  const listen = parseListen(values.listen);
  const timing = loopTiming(values);
  const node =
    typeof values['node-name'] === 'string'
      ? values['node-name']
      : (io.env.NODE_NAME ?? hostname());
  const metrics = new AgentMetrics(node, values['x509-compat'] === true, collectGarbage());
  const log = (m: string): void => void io.stderr.write(`${new Date().toISOString()} ${m}\n`);
  const publish = await kubernetesPublisher(values.kubernetes, node, io);
  const ledger = ledgerRecorder(values, node, log);
  const worker = agentScanner(values, timing.intervalS);
  const loop = new AgentLoop(
    {
      scan: scanStep(worker, config, values, node, ledger),
      metrics,
      clock: systemClock,
      random: Math.random,
      log,
      ...(publish ? { publish } : {}),
    },
    { intervalMs: timing.intervalS * 1000, jitter: timing.jitter },
  );
  const tls = servingTls(values, log);
  const access = await metricsAccess(values, listen.host, tls !== undefined, io);
  const server = agentServer(metrics, loop, {
    ...(tls ? { tls } : {}),
    ...(access ? { access } : {}),
  });
  await listenOn(server, listen);
  log(startedLine(node, listen, tls !== undefined, access !== undefined, timing));
  await runUntilSignalled(loop, worker, server, log);
  return 0;
}

export const agentCommand: CommandDef = {
  name: 'agent',
  summary: 'watch the node: rescan on an interval, serve Prometheus /metrics, /healthz, /readyz',
  usage:
    'certdrift agent [--listen HOST:PORT] [--node-name NAME] [--interval SECONDS] [scan options]',
  description: [
    'Runs as a DaemonSet pod (host root mounted read-only at e.g. /host, hostPID for the container',
    'view). Rescans every --interval ± --jitter, keeps the last complete snapshot and serves it: a',
    'scrape never triggers I/O. /readyz turns ready after the first complete scan. A failed scan is',
    'retried with backoff; a missing runtime or unreadable file only marks its source down. SIGTERM',
    'stops it cleanly. Metrics are documented in docs/metrics.md.',
  ].join('\n'),
  options: {
    ...scanOptions([
      ...DISCOVERY_OPTIONS,
      'warn-days',
      'critical-days',
      'warn-ratio',
      'critical-ratio',
    ]),
    listen: {
      type: 'string',
      value: 'HOST:PORT',
      description: 'where to serve /metrics, /healthz, /readyz',
      shownDefault: ':9731',
    },
    'tls-cert-file': {
      type: 'string',
      value: 'FILE',
      description:
        'serve HTTPS with this certificate (PEM, e.g. a mounted kubernetes.io/tls Secret); reloaded when it changes',
    },
    'tls-key-file': {
      type: 'string',
      value: 'FILE',
      description: 'the private key of --tls-cert-file',
    },
    'metrics-auth': {
      type: 'string',
      value: 'MODE',
      description:
        'who may read /metrics: none, or kubernetes (a bearer token the API server authenticates and authorizes for GET /metrics; /healthz and /readyz stay open)',
      shownDefault: 'none',
    },
    'node-name': {
      type: 'string',
      value: 'NAME',
      description: 'the node label on every series',
      shownDefault: '$NODE_NAME, else the host name',
    },
    interval: {
      type: 'string',
      value: 'SECONDS',
      description: 'time between scans',
      shownDefault: '300',
    },
    jitter: {
      type: 'string',
      value: 'FRACTION',
      description: 'random spread of the interval',
      shownDefault: '0.1',
    },
    kubernetes: {
      type: 'string',
      value: 'MODE',
      description:
        'publish node conditions, events and the NodeCertificateReport: auto (in a cluster), none, or a kubeconfig path',
      shownDefault: 'auto',
    },
    'state-dir': {
      type: 'string',
      value: 'DIR',
      description:
        'where the certificate ledger persists (ledger.json; give the DaemonSet a hostPath here); none keeps no ledger',
      shownDefault: '/var/lib/certdrift',
    },
    'no-probe': {
      type: 'boolean',
      description:
        'skip the TLS handshakes with local serving endpoints (served-certificate metrics, SERVED_STALE)',
    },
    'scan-worker': {
      type: 'string',
      value: 'WHEN',
      description: `where scans run: auto (the first in a worker process, which is kept only on a node with more than ${String(DEFAULT_MAX_IN_PROCESS)} certificates; the agent's own process otherwise), or always (a kept worker process)`,
      shownDefault: 'auto',
    },
    'x509-compat': {
      type: 'boolean',
      description:
        'also export x509_cert_not_after/_not_before/_expired (x509-certificate-exporter names)',
    },
  },
  examples: [
    'certdrift agent --host-root /host --listen :9731',
    'certdrift agent --host-root /host --listen $NODE_IP:9731 --tls-cert-file /etc/certdrift/tls/tls.crt --tls-key-file /etc/certdrift/tls/tls.key --metrics-auth kubernetes',
    'curl -s localhost:9731/metrics | grep certdrift_stale_view',
  ],
  run: runAgent,
};
