// Prometheus metrics from a completed scan: the per-certificate families are written directly
// (exposition.ts), everything else lives on a prom-client registry of certdrift's own. Rendered once per
// scan into text that every scrape then serves as is (a scrape never does I/O). Gauges are reset
// and refilled each scan, so a resolved problem disappears; label sets are deduplicated, so a
// duplicate series is impossible by construction. Names in base units (absolute timestamps in
// seconds: let PromQL subtract time()).

import { gzipSync } from 'node:zlib';
import { Counter, Gauge, Registry } from 'prom-client';
import { REASON_CODES } from '../reasons.js';
import { certificateFamilies } from './exposition.js';
import { FINDING_CODES, type Finding, type Inventory, type Workload } from '../model.js';
import type { NodeLifetime } from '../plan/node-lifetime.js';

export interface ScanOutcome {
  inventory: Inventory;
  findings: Finding[];
  lifetime: NodeLifetime | null;
  now: Date;
  durationSeconds: number;
}

type Labels = Record<string, string>;

/** Sets each distinct label set once (the first value wins). */
function setUnique(g: Gauge, seen: Set<string>, labels: Labels, value: number): void {
  const key = JSON.stringify(labels);
  if (seen.has(key)) return;
  seen.add(key);
  g.set(labels, value);
}

const WORKLOAD_LABELS = ['node', 'namespace', 'pod', 'container', 'path'] as const;

export class AgentMetrics {
  readonly registry = new Registry();
  private text = '';
  /** the per-certificate families of the last good scan (kept when a scan fails) */
  private certText = '';
  private gzip: Buffer = gzipSync('');
  private readonly g: Record<string, Gauge>;
  private readonly errors: Counter;
  private readonly scans: Counter;

  constructor(
    private readonly node: string,
    private readonly x509Compat = false,
  ) {
    const gauge = (name: string, help: string, labelNames: readonly string[]): Gauge =>
      new Gauge({ name, help, labelNames: [...labelNames], registers: [this.registry] });
    this.g = {
      stale: gauge(
        'certdrift_stale_view',
        '1 per running container that sees an older certificate file than the node (kops #16400).',
        WORKLOAD_LABELS,
      ),
      notReloaded: gauge(
        'certdrift_not_reloaded',
        '1 per component that started before its certificate file was replaced and loads it once.',
        WORKLOAD_LABELS,
      ),
      duplicates: gauge(
        'certdrift_running_duplicates',
        'RUNNING instances of a pod container, when more than one.',
        ['node', 'namespace', 'pod', 'container'],
      ),
      risky: gauge(
        'certdrift_risky_mount',
        '1 per risky mount: single-file certificate mount or hidden host mounts.',
        [...WORKLOAD_LABELS, 'kind'],
      ),
      findings: gauge(
        'certdrift_findings',
        'Findings of the last scan by code and severity (every code present, 0 when none).',
        ['node', 'code', 'severity'],
      ),
      superseded: gauge(
        'certdrift_superseded_certificates',
        'Certificates nothing uses whose names say they were replaced (rotated kubelet files, backups); not exported per certificate, never alerted on.',
        ['node'],
      ),
      deadline: gauge(
        'certdrift_node_certificate_deadline_seconds',
        "Earliest expiry among the node's own certificates (Unix timestamp).",
        ['node', 'component', 'path'],
      ),
      replaceBy: gauge(
        'certdrift_node_replace_by_seconds',
        'Date by which to replace or renew the node (Unix timestamp).',
        ['node'],
      ),
      servedNotAfter: gauge(
        'certdrift_served_certificate_not_after_seconds',
        'Expiry of the certificate a local TLS endpoint presents (Unix timestamp).',
        ['node', 'endpoint', 'component'],
      ),
      servedMismatch: gauge(
        'certdrift_served_certificate_mismatch',
        '1 when a local TLS endpoint presents another certificate than its configured file (SERVED_STALE).',
        ['node', 'endpoint', 'component', 'path'],
      ),
      sourceUp: gauge(
        'certdrift_source_up',
        '1 when a source of facts (files, cri, proc) answered at the last scan.',
        ['node', 'source'],
      ),
      duration: gauge('certdrift_scan_duration_seconds', 'Duration of the last complete scan.', [
        'node',
      ]),
      lastSuccess: gauge(
        'certdrift_last_successful_scan_timestamp_seconds',
        'When the last complete scan finished (Unix timestamp).',
        ['node'],
      ),
    };
    this.errors = new Counter({
      name: 'certdrift_item_errors_total',
      help: 'Files, blocks or entries that could not be read or parsed, by reason.',
      labelNames: ['node', 'reason'],
      registers: [this.registry],
    });
    this.scans = new Counter({
      name: 'certdrift_scans_total',
      help: 'Scans by result.',
      labelNames: ['node', 'result'],
      registers: [this.registry],
    });
    // Counters start at zero for every reason and result, so rate() works from the first scrape.
    for (const reason of REASON_CODES) this.errors.inc({ node, reason }, 0);
    for (const result of ['success', 'failure']) this.scans.inc({ node, result }, 0);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text every scrape serves, as of the last update. */
  current(): string {
    return this.text;
  }

  /** The same, gzip-compressed once per scan (Prometheus asks for gzip). */
  gzipped(): Buffer {
    return this.gzip;
  }

  /**
   * Renders the text once, then empties the gauges: between scans only the text is served, so
   * the registry need not keep tens of thousands of series alive (counters keep their totals).
   */
  private async render(certificates = this.certText): Promise<void> {
    this.certText = certificates;
    const rest = await this.registry.metrics();
    this.text = certificates ? `${certificates}\n${rest}` : rest;
    this.gzip = gzipSync(this.text, { level: 6 });
    for (const g of Object.values(this.g)) g.reset();
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

  async update(o: ScanOutcome): Promise<void> {
    for (const g of Object.values(this.g)) g.reset();
    const node = this.node;
    const seen = new Map<Gauge, Set<string>>();
    const set = (g: Gauge | undefined, labels: Labels, v: number): void => {
      if (!g) return;
      let s = seen.get(g);
      if (!s) seen.set(g, (s = new Set()));
      setUnique(g, s, labels, v);
    };
    const nowMs = o.now.getTime();
    const byId = new Map(o.inventory.workloads.map((w) => [w.id, w]));
    // Drift gauges come from the findings (one truth for scan, events and metrics), labelled by
    // the workload each finding targets — present under the /proc fallback too.
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
      set(this.g.findings, { node, code, severity }, n);
    }
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
          { node, namespace: w.pod?.namespace ?? '', pod: w.pod?.name ?? '', container: w.name },
          n,
        );
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
    for (const e of o.inventory.errors) this.errors.inc({ node, reason: e.reason });
    set(this.g.duration, { node }, o.durationSeconds);
    set(this.g.lastSuccess, { node }, nowMs / 1000);
    this.scans.inc({ node, result: 'success' });
    // Superseded history is counted, not exported per certificate: expiry alerts must never fire
    // on a rotated kubelet file or a backup nothing uses.
    const inUse = o.inventory.certificates.filter((c) => c.superseded === undefined);
    set(this.g.superseded, { node }, o.inventory.certificates.length - inUse.length);
    await this.render(certificateFamilies(inUse, node, nowMs, this.x509Compat));
  }

  /** A scan that failed as a whole: sources down, the last good certificate values kept. */
  async failed(sources: { source: string; up: boolean }[]): Promise<void> {
    for (const s of sources)
      this.g.sourceUp?.set({ node: this.node, source: s.source }, s.up ? 1 : 0);
    this.scans.inc({ node: this.node, result: 'failure' });
    await this.render();
  }
}
