// The fleet view as Prometheus text exposition (format 0.0.4), for `certdrift fleet --serve`.
// Base units and absolute times (seconds since the epoch): alerts subtract time() themselves,
// so a scrape that is late or a view that is a minute old never shifts a threshold.
// Documented in docs/metrics.md ("Fleet metrics"); alerts in deploy/monitoring/prometheusrule.yaml.

import type { FleetView } from './fleet-view.js';

export interface FleetCounters {
  /** completed syncs: when the last one ended (ms since the epoch); null before the first */
  lastSyncMs: number | null;
  syncErrors: number;
  approved: number;
  /** CSRs left Pending, counted once per CSR and reason */
  leftPending: Record<string, number>;
}

const esc = (v: string): string =>
  v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labels = (l: Record<string, string>): string =>
  `{${Object.entries(l)
    .map(([k, v]) => `${k}="${esc(v)}"`)
    .join(',')}}`;
const seconds = (text: string): number | null => {
  const t = Date.parse(text);
  return Number.isNaN(t) ? null : t / 1000;
};

export const FLEET_FAMILIES = [
  'certdrift_fleet_node_report_present',
  'certdrift_fleet_node_report_scanned_timestamp_seconds',
  'certdrift_fleet_node_deadline_seconds',
  'certdrift_fleet_kubelet_csrs',
  'certdrift_fleet_kubelet_csr_oldest_created_timestamp_seconds',
  'certdrift_fleet_last_sync_timestamp_seconds',
  'certdrift_fleet_sync_errors_total',
  'certdrift_fleet_serving_csrs_approved_total',
  'certdrift_fleet_serving_csrs_left_pending_total',
] as const;

/** Lines of the exposition, in the order written. */
class Exposition {
  readonly lines: string[] = [];

  family(name: string, type: string, help: string): void {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  }

  sample(name: string, l: Record<string, string>, value: number): void {
    this.lines.push(`${name}${Object.keys(l).length > 0 ? labels(l) : ''} ${String(value)}`);
  }
}

/** Per node: report present, last scan, certificate deadline. */
function nodeFamilies(out: Exposition, nodes: FleetView['nodes']): void {
  out.family(
    'certdrift_fleet_node_report_present',
    'gauge',
    'Whether the Node has a NodeCertificateReport (0 on a Linux node: no agent runs there).',
  );
  for (const r of nodes)
    out.sample(
      'certdrift_fleet_node_report_present',
      { node: r.node, os: r.os },
      r.coverage === 'no-agent' || r.coverage === 'not-linux' ? 0 : 1,
    );
  out.family(
    'certdrift_fleet_node_report_scanned_timestamp_seconds',
    'gauge',
    "When the node's agent last scanned, as written in its report (absent: no report or no status).",
  );
  for (const r of nodes) {
    const t = r.scannedAt === null ? null : seconds(r.scannedAt);
    if (t !== null)
      out.sample('certdrift_fleet_node_report_scanned_timestamp_seconds', { node: r.node }, t);
  }
  out.family(
    'certdrift_fleet_node_deadline_seconds',
    'gauge',
    "The node's last known certificate deadline (earliest expiry of its own certificates).",
  );
  for (const r of nodes) {
    const t = r.deadline === null ? null : seconds(r.deadline);
    if (t !== null) out.sample('certdrift_fleet_node_deadline_seconds', { node: r.node }, t);
  }
}

/** Per node, signer and state: how many kubelet CSRs, and when the oldest was created. */
function csrFamilies(out: Exposition, nodes: FleetView['nodes']): void {
  const counts: string[] = [];
  const oldest: string[] = [];
  for (const r of nodes)
    for (const s of r.csrs) {
      const l = labels({ node: r.node, signer: s.signer, state: s.state });
      counts.push(`certdrift_fleet_kubelet_csrs${l} ${String(s.count)}`);
      const t = seconds(s.oldestCreatedAt);
      if (t !== null)
        oldest.push(
          `certdrift_fleet_kubelet_csr_oldest_created_timestamp_seconds${l} ${String(t)}`,
        );
    }
  out.family(
    'certdrift_fleet_kubelet_csrs',
    'gauge',
    "The node's kubelet CertificateSigningRequests by signer and state (pending, approved = not yet issued, issued, denied, failed).",
  );
  out.lines.push(...counts);
  out.family(
    'certdrift_fleet_kubelet_csr_oldest_created_timestamp_seconds',
    'gauge',
    'Creation time of the oldest of those CSRs in that state.',
  );
  out.lines.push(...oldest);
}

/** The fleet view's own work: syncs, their errors, the serving CSRs approved or left pending. */
function counterFamilies(out: Exposition, c: FleetCounters): void {
  out.family(
    'certdrift_fleet_last_sync_timestamp_seconds',
    'gauge',
    'When the fleet view was last read from the API server.',
  );
  if (c.lastSyncMs !== null)
    out.sample('certdrift_fleet_last_sync_timestamp_seconds', {}, c.lastSyncMs / 1000);
  out.family('certdrift_fleet_sync_errors_total', 'counter', 'Reads of the fleet that failed.');
  out.sample('certdrift_fleet_sync_errors_total', {}, c.syncErrors);
  out.family(
    'certdrift_fleet_serving_csrs_approved_total',
    'counter',
    'kubelet-serving CSRs certdrift approved.',
  );
  out.sample('certdrift_fleet_serving_csrs_approved_total', {}, c.approved);
  out.family(
    'certdrift_fleet_serving_csrs_left_pending_total',
    'counter',
    'kubelet-serving CSRs certdrift left Pending, once per CSR and reason.',
  );
  for (const [reason, n] of Object.entries(c.leftPending).sort())
    out.sample('certdrift_fleet_serving_csrs_left_pending_total', { reason }, n);
}

export function renderFleetMetrics(v: FleetView | null, c: FleetCounters): string {
  const out = new Exposition();
  const nodes = v?.nodes ?? [];
  nodeFamilies(out, nodes);
  csrFamilies(out, nodes);
  counterFamilies(out, c);
  return out.lines.join('\n') + '\n';
}
