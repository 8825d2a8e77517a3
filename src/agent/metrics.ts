// Prometheus metrics from a completed scan: the per-certificate families are written directly
// (exposition.ts), everything else lives on a small registry of certdrift's own (text-registry.ts,
// prom-client's output without prom-client). Rendered once per
// scan into text that every scrape then serves as is (a scrape never does I/O). Gauges are reset
// and refilled each scan, so a resolved problem disappears; label sets are deduplicated, so a
// duplicate series is impossible by construction. Names in base units (absolute timestamps in
// seconds: let PromQL subtract time()).

import {
  counter,
  gauge,
  TextRegistry,
  type Counter,
  type Gauge,
  type Sample,
} from './text-registry.js';
import { REASON_CODES } from '../model/reasons.js';
import { certificateFamilies } from './exposition.js';
import { deflatePrefix, gzipAfter, type DeflatedPrefix } from './gzip-splice.js';
import type { CacheStats } from '../node/ports.js';
import { FINDING_CODES, type Finding, type Inventory, type Workload } from '../model/index.js';
import type { NodeLifetime } from '../node/lifetime.js';
import type { Ledger } from '../ledger/types.js';

export interface ScanOutcome {
  inventory: Inventory;
  findings: Finding[];
  lifetime: NodeLifetime | null;
  now: Date;
  durationSeconds: number;
  /**
   * The per-certificate families, already rendered where the scan ran (the agent's worker
   * process), so the agent never holds thousands of certificate objects. When set,
   * `inventory.certificates` is empty; `certificates` and `superseded` say how many there were.
   */
  exposition?: {
    /** the rendered families; absent when `unchanged` */
    text?: Uint8Array;
    /** the families are byte for byte those of the previous outcome (the worker's render cache) */
    unchanged?: boolean;
    certificates: number;
    superseded: number;
  };
  /** how many files the scan parsed and how many it reused from the parse cache */
  cache?: CacheStats;
  /** the certificate ledger updated where the scan ran (agent --state-dir), see ledger-recorder.ts */
  ledger?: Ledger;
  /**
   * The worker kept the ledger as it was: nothing it records changed since its last update,
   * which is less than LEDGER_REFRESH_MS old (agent-scan-worker.ts). Nothing to write.
   */
  ledgerUnchanged?: boolean;
  /** set by the worker when `findings` equal its last scan's; the agent puts them back */
  findingsUnchanged?: boolean;
}

type Labels = Record<string, string>;
/** Sets a gauge's series once per scan (a second value for the same labels is dropped). */
type SetGauge = (g: Gauge | undefined, labels: Labels, v: number) => void;

/** Sets each distinct label set once (the first value wins). */
function setUnique(g: Gauge, seen: Set<string>, labels: Labels, value: number): void {
  const key = JSON.stringify(labels);
  if (seen.has(key)) return;
  seen.add(key);
  g.set(labels, value);
}

const WORKLOAD_LABELS = ['node', 'namespace', 'pod', 'container', 'path'] as const;

type GaugeOf = (name: string, help: string, labelNames: readonly string[]) => Gauge;

/** What the node's containers see: drift, components not reloaded, duplicates, risky mounts. */
function driftGauges(g: GaugeOf): Record<string, Gauge> {
  return {
    stale: g(
      'certdrift_stale_view',
      '1 per running container that sees an older certificate file than the node (kops #16400).',
      WORKLOAD_LABELS,
    ),
    notReloaded: g(
      'certdrift_not_reloaded',
      '1 per component that started before its certificate file was replaced and loads it once.',
      WORKLOAD_LABELS,
    ),
    duplicates: g(
      'certdrift_running_duplicates',
      'RUNNING instances of a pod container, when more than one.',
      ['node', 'namespace', 'pod', 'container'],
    ),
    risky: g(
      'certdrift_risky_mount',
      '1 per risky mount: single-file certificate mount or hidden host mounts.',
      [...WORKLOAD_LABELS, 'kind'],
    ),
  };
}

/** What the scan concluded: findings, superseded files, the node's deadline, served endpoints. */
function verdictGauges(g: GaugeOf): Record<string, Gauge> {
  return {
    findings: g(
      'certdrift_findings',
      'Findings of the last scan by code and severity (every code present, 0 when none).',
      ['node', 'code', 'severity'],
    ),
    superseded: g(
      'certdrift_superseded_certificates',
      'Certificates nothing uses whose names say they were replaced (rotated kubelet files, backups); not exported per certificate, never alerted on.',
      ['node'],
    ),
    deadline: g(
      'certdrift_node_certificate_deadline_seconds',
      "Earliest expiry among the node's own certificates (Unix timestamp).",
      ['node', 'component', 'path'],
    ),
    replaceBy: g(
      'certdrift_node_replace_by_seconds',
      'Date by which to replace or renew the node (Unix timestamp).',
      ['node'],
    ),
    servedNotAfter: g(
      'certdrift_served_certificate_not_after_seconds',
      'Expiry of the certificate a local TLS endpoint presents (Unix timestamp).',
      ['node', 'endpoint', 'component'],
    ),
    servedMismatch: g(
      'certdrift_served_certificate_mismatch',
      '1 when a local TLS endpoint presents another certificate than its configured file (SERVED_STALE).',
      ['node', 'endpoint', 'component', 'path'],
    ),
  };
}

/** How the scan itself went: sources, duration, files parsed or reused, last success. */
function scanGauges(g: GaugeOf): Record<string, Gauge> {
  return {
    sourceUp: g(
      'certdrift_source_up',
      '1 when a source of facts (files, cri, proc) answered at the last scan.',
      ['node', 'source'],
    ),
    duration: g('certdrift_scan_duration_seconds', 'Duration of the last complete scan.', ['node']),
    cacheFiles: g(
      'certdrift_scan_files',
      'Files the last scan parsed, or reused unchanged from the previous scans (the agent parses only files whose device, inode, size or times changed).',
      ['node', 'result'],
    ),
    lastSuccess: g(
      'certdrift_last_successful_scan_timestamp_seconds',
      'When the last complete scan finished (Unix timestamp).',
      ['node'],
    ),
  };
}

/**
 * The node-level gauges, registered in the order they are rendered: drift, findings, the node's
 * deadline, served endpoints, sources, the scan.
 */
function nodeGauges(registry: TextRegistry): Record<string, Gauge> {
  const g: GaugeOf = (name, help, labelNames) => gauge(registry, { name, help, labelNames });
  return { ...driftGauges(g), ...verdictGauges(g), ...scanGauges(g) };
}

export class AgentMetrics {
  readonly registry = new TextRegistry();
  /** the body every plain scrape serves, encoded once per scan (BENCHMARKS.md, issue #11) */
  /** the node-level series, rendered each scan; served after certText */
  private rest: Buffer = Buffer.alloc(0);
  /** the per-certificate families of the last good scan (kept when a scan fails) */
  private certText: Buffer = Buffer.alloc(0);
  /** certText deflated once, for as long as it is served (gzip-splice.ts) */
  private certDeflated: DeflatedPrefix | undefined;
  /** node-level series of the last render, restored when a scan fails (the snapshot stays whole) */
  private kept: {
    g: Gauge;
    values: Sample[];
  }[] = [];
  private gzip: Buffer = Buffer.alloc(0);
  private readonly g: Record<string, Gauge>;
  private readonly errors: Counter;
  private readonly scans: Counter;

  constructor(
    private readonly node: string,
    private readonly x509Compat = false,
    /** called after each render, when the previous bodies became garbage (agent.ts: a GC) */
    private readonly afterRender: () => void = () => undefined,
  ) {
    this.g = nodeGauges(this.registry);
    this.errors = counter(this.registry, {
      name: 'certdrift_item_errors_total',
      help: 'Files, blocks or entries that could not be read or parsed, by reason.',
      labelNames: ['node', 'reason'],
    });
    this.scans = counter(this.registry, {
      name: 'certdrift_scans_total',
      help: 'Scans by result.',
      labelNames: ['node', 'result'],
    });
    // Counters start at zero for every reason and result, so rate() works from the first scrape.
    for (const reason of REASON_CODES) this.errors.inc({ node, reason }, 0);
    for (const result of ['success', 'failure']) this.scans.inc({ node, result }, 0);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text every scrape serves, as of the last update (decoded on each call: for tests). */
  current(): string {
    return Buffer.concat(this.plain()).toString('utf8');
  }

  /**
   * The same as bytes, encoded once per scan, in two parts (the per-certificate families, kept
   * while certificates do not change, and the node-level series): a plain scrape writes these
   * buffers as they are instead of encoding megabytes of text per request.
   */
  plain(): [Buffer, Buffer] {
    return [this.certText, this.rest];
  }

  /** The same, gzip-compressed once per scan (Prometheus asks for gzip). */
  gzipped(): Buffer {
    return this.gzip;
  }

  /**
   * Renders the body once, then empties the gauges: between scans only the bytes are served, so
   * the registry need not keep tens of thousands of series alive (counters keep their totals).
   * `certificates` are new per-certificate families; without it the last ones stay (a failed scan,
   * or a scan whose families are byte for byte unchanged). Compression runs on libuv's thread
   * pool, and the families are compressed only when they change (gzip-splice.ts): scrapes are
   * served meanwhile (the previous body).
   */
  private async render(certificates?: Uint8Array): Promise<void> {
    const rest = this.registry.metrics();
    // The few node-level series (deadline, last success, sources…) are kept as values, so a
    // failed scan can re-render them: the last good snapshot stays whole, only marked down.
    this.kept = [];
    for (const g of Object.values(this.g)) {
      this.kept.push({ g, values: g.get().values });
      g.reset();
    }
    let certText = this.certText;
    let deflated = this.certDeflated;
    if (certificates !== undefined) {
      certText = Buffer.from(certificates.buffer, certificates.byteOffset, certificates.byteLength);
      deflated = undefined;
    }
    deflated ??= await deflatePrefix(certText);
    const restBytes = Buffer.from(certText.length > 0 ? `\n${rest}` : rest);
    const gz = await gzipAfter(deflated, restBytes);
    this.certText = certText;
    this.certDeflated = deflated;
    this.rest = restBytes;
    this.gzip = gz;
    // Only when megabytes of families were replaced: a full collection costs more than the rest
    // of an unchanged rescan, and the few kilobytes of node-level series need none.
    if (certificates !== undefined) this.afterRender();
  }

  private workloadLabels(w: Workload | undefined, path: string): Labels {
    return {
      node: this.node,
      namespace: w?.pod?.namespace ?? '',
      pod: w?.pod?.name ?? '',
      container: w?.name ?? '',
      path,
    };
  }

  /** Drift gauges and the findings count, from the findings (one truth for scan, events, metrics). */
  private setFindingGauges(o: ScanOutcome, set: SetGauge): void {
    const byId = new Map(o.inventory.workloads.map((w) => [w.id, w]));
    // Labelled by the workload each finding targets — present under the /proc fallback too.
    const counts = new Map<string, number>();
    for (const code of FINDING_CODES)
      for (const sev of ['info', 'warning', 'critical']) counts.set(`${code}|${sev}`, 0);
    for (const f of o.findings) {
      const k = `${f.code}|${f.severity}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
      const w = f.target ? byId.get(f.target) : undefined;
      const mountPath = (f.evidence.mount ?? '').split(' -> ')[0] ?? '';
      if (f.code === 'STALE_VIEW')
        set(this.g.stale, this.workloadLabels(w, f.evidence.path ?? ''), 1);
      if (f.code === 'NOT_RELOADED')
        set(this.g.notReloaded, this.workloadLabels(w, f.evidence.path ?? ''), 1);
      if (f.code === 'RISKY_FILE_MOUNT')
        set(this.g.risky, { ...this.workloadLabels(w, mountPath), kind: 'single-file' }, 1);
      if (f.code === 'HIDDEN_HOST_MOUNTS')
        set(this.g.risky, { ...this.workloadLabels(w, mountPath), kind: 'hidden-host-mounts' }, 1);
    }
    for (const [k, n] of counts) {
      const [code = '', severity = ''] = k.split('|');
      set(this.g.findings, { node: this.node, code, severity }, n);
    }
  }

  /** RUNNING instances per pod container, where there is more than one. */
  private setDuplicates(o: ScanOutcome, set: SetGauge): void {
    const running = new Map<string, { w: Workload; n: number }>();
    for (const w of o.inventory.workloads) {
      if (w.kind !== 'container' || w.state !== 'running' || !w.pod) continue;
      const k = `${w.pod.namespace}/${w.pod.name}/${w.name}`;
      running.set(k, { w, n: (running.get(k)?.n ?? 0) + 1 });
    }
    for (const { w, n } of running.values())
      if (n > 1)
        set(
          this.g.duplicates,
          {
            node: this.node,
            namespace: w.pod?.namespace ?? '',
            pod: w.pod?.name ?? '',
            container: w.name,
          },
          n,
        );
  }

  /** The node's deadline, its served endpoints and which sources answered. */
  private setNodeGauges(o: ScanOutcome, set: SetGauge): void {
    const node = this.node;
    if (o.lifetime) {
      set(
        this.g.deadline,
        { node, component: o.lifetime.by.component, path: o.lifetime.by.path },
        o.lifetime.deadline.getTime() / 1000,
      );
      set(this.g.replaceBy, { node }, o.lifetime.replaceBy.getTime() / 1000);
    }
    for (const s of o.inventory.served ?? []) {
      if (s.served)
        set(
          this.g.servedNotAfter,
          { node, endpoint: s.endpoint, component: s.component },
          s.served.notAfter.getTime() / 1000,
        );
      if (s.served && s.file)
        set(
          this.g.servedMismatch,
          { node, endpoint: s.endpoint, component: s.component, path: s.certFile ?? '' },
          s.served.fingerprintSha256 === s.file.fingerprintSha256 ? 0 : 1,
        );
    }
    for (const s of o.inventory.sources)
      set(this.g.sourceUp, { node, source: s.source }, s.up ? 1 : 0);
  }

  async update(o: ScanOutcome): Promise<void> {
    for (const g of Object.values(this.g)) g.reset();
    const node = this.node;
    const seen = new Map<Gauge, Set<string>>();
    const set: SetGauge = (g, labels, v) => {
      if (!g) return;
      let s = seen.get(g);
      if (!s) seen.set(g, (s = new Set()));
      setUnique(g, s, labels, v);
    };
    const nowMs = o.now.getTime();
    this.setFindingGauges(o, set);
    this.setDuplicates(o, set);
    this.setNodeGauges(o, set);
    for (const e of o.inventory.errors) this.errors.inc({ node, reason: e.reason });
    set(this.g.duration, { node }, o.durationSeconds);
    set(this.g.lastSuccess, { node }, nowMs / 1000);
    this.scans.inc({ node, result: 'success' });
    // Superseded history is counted, not exported per certificate: expiry alerts must never fire
    // on a rotated kubelet file or a backup nothing uses.
    const inUse = o.inventory.certificates.filter((c) => c.superseded === undefined);
    set(
      this.g.superseded,
      { node },
      o.exposition?.superseded ?? o.inventory.certificates.length - inUse.length,
    );
    if (o.cache) {
      set(this.g.cacheFiles, { node, result: 'reused' }, o.cache.reused);
      set(this.g.cacheFiles, { node, result: 'parsed' }, o.cache.parsed);
    }
    await this.render(
      o.exposition?.unchanged
        ? undefined
        : (o.exposition?.text ??
            Buffer.from(certificateFamilies(inUse, node, nowMs, this.x509Compat))),
    );
  }

  /** A scan that failed as a whole: sources down, the last good certificate values kept. */
  async failed(sources: { source: string; up: boolean }[]): Promise<void> {
    for (const { g, values } of this.kept) for (const v of values) g.set(v.labels, v.value);
    for (const s of sources)
      this.g.sourceUp?.set({ node: this.node, source: s.source }, s.up ? 1 : 0);
    this.scans.inc({ node: this.node, result: 'failure' });
    await this.render();
  }
}
