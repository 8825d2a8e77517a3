// The human view of a scan: certificates soonest-expiry first, item errors, findings that are
// not about a single certificate row, and a plain-language summary.

import type { CertUse, Severity } from '../../model/index.js';
import { day } from '../../model/human-time.js';
import type { CertificateRow, RowStatus, ScanReport } from './scan-report.js';
import { escapeTerminal } from '../../model/escape.js';
import { clip, renderColumns, type Style } from '../../model/text-table.js';

/** Widest a cell may be in the table (full values in -o json). */
const WIDTH = { subject: 40, usedBy: 36, location: 90, problem: 110, path: 70 };
/** Item-error rows shown before a count of the rest. */
const MAX_ERROR_ROWS = 50;

function statusText(s: RowStatus, style: Style): string {
  switch (s) {
    case 'superseded':
      return style.dim(s);
    case 'ok':
      return style.green('ok');
    case 'warning':
      return style.yellow('warning');
    case 'critical':
    case 'expired':
      return style.red(s);
    case 'not-yet-valid':
      return style.yellow(s);
  }
}

function severityText(s: Severity, style: Style): string {
  return s === 'critical' ? style.red(s) : s === 'warning' ? style.yellow(s) : style.dim(s);
}

function location(c: CertificateRow): string {
  const kc = c.kubeconfig;
  const base = c.links.length > 0 ? `${c.links[0] ?? ''} -> ${c.path}` : c.path;
  if (kc) return `${base} (${kc.entry} ${kc.name})`;
  return c.index > 0 ? `${base} #${c.index}` : base;
}

/** Who uses it, shortly: component names, a container as pod/container, `-` for nothing seen. */
function usedByText(uses: readonly CertUse[]): string {
  const names = new Set<string>();
  for (const u of uses) {
    if (u.via === 'mount') names.add(u.by.split('/').slice(1).join('/'));
    else if (u.by.startsWith('kubeconfig '))
      names.add(u.by.slice(u.by.lastIndexOf('/') + 1)); // the kubeconfig that names it
    else names.add(u.by);
  }
  return names.size > 0 ? [...names].join(', ') : '-';
}

/** `warning < 30d or < 33% of lifetime left, critical < 7d`: either threshold raises the status. */
function thresholdText(t: ScanReport['thresholds']): string {
  const one = (days: number, ratio: number | undefined): string =>
    `< ${days}d${ratio !== undefined ? ` or < ${Math.round(ratio * 1000) / 10}% of lifetime left` : ''}`;
  return `warning ${one(t.warningDays, t.warningRatio)}, critical ${one(t.criticalDays, t.criticalRatio)}`;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Certificates in use first, soonest expiry first; superseded history last (dimmed). */
function certificateTable(r: ScanReport, style: Style): string {
  const rank = (c: CertificateRow): number => (c.status === 'superseded' ? 1 : 0);
  const rows = [...r.certificates]
    .sort(
      (a, b) =>
        rank(a) - rank(b) || a.residualSeconds - b.residualSeconds || (a.path < b.path ? -1 : 1),
    )
    .map((c) => {
      const cells = [
        escapeTerminal(c.component),
        clip(escapeTerminal(c.commonName || c.subject), WIDTH.subject),
        `${day(new Date(c.notAfter))} ${c.notAfter.slice(11, 16)} UTC`,
        c.residual,
        statusText(c.status, style),
        clip(escapeTerminal(usedByText(c.usedBy)), WIDTH.usedBy),
        clip(escapeTerminal(location(c)), WIDTH.location),
      ];
      return c.status === 'superseded' ? cells.map((x, i) => (i === 4 ? x : style.dim(x))) : cells;
    });
  if (rows.length > 0)
    return renderColumns(
      ['COMPONENT', 'SUBJECT', 'EXPIRES', 'RESIDUAL', 'STATUS', 'USED BY', 'LOCATION'],
      rows,
      style,
    );
  return (
    `No certificates found under ${escapeTerminal(r.hostRoot)} (presets: ${r.presets.join(', ') || 'none'}). ` +
    'Is this a Kubernetes node? Point --host-root at its root file system or add --path GLOB.\n'
  );
}

/** The first MAX_ERROR_ROWS item errors, then a count of the rest by reason. */
function errorTable(r: ScanReport, style: Style): string {
  if (r.errors.length === 0) return '';
  const shown = r.errors.slice(0, MAX_ERROR_ROWS);
  let text =
    '\n' +
    renderColumns(
      ['REASON', 'PATH', 'PROBLEM'],
      shown.map((e) => [
        style.yellow(e.reason),
        clip(escapeTerminal(e.path), WIDTH.path),
        clip(escapeTerminal(e.message), WIDTH.problem),
      ]),
      style,
    );
  if (r.errors.length > shown.length) {
    const byReason = new Map<string, number>();
    for (const e of r.errors.slice(MAX_ERROR_ROWS))
      byReason.set(e.reason, (byReason.get(e.reason) ?? 0) + 1);
    const counts = [...byReason].map(([k, n]) => `${n} ${k}`).join(', ');
    text += style.dim(
      `… and ${r.errors.length - shown.length} more errors (${counts}); -o json lists them all\n`,
    );
  }
  return text;
}

/** The superseded note, and the findings that are not about a single certificate row. */
function findingsSection(r: ScanReport, style: Style): string {
  const out: string[] = [];
  const other = r.findings.filter((f) => !f.code.startsWith('CERT_'));
  const superseded = r.summary.byStatus.superseded;
  if (superseded > 0)
    out.push(
      style.dim(
        `\n${plural(superseded, 'certificate')} superseded and not in use (rotated kubelet files, backups): listed for clean-up, never alarmed on.\n`,
      ),
    );
  if (other.length > 0) {
    out.push('\n' + style.bold('FINDINGS') + '\n');
    for (const f of other) {
      out.push(`${severityText(f.severity, style)} ${f.code}: ${escapeTerminal(f.title)}\n`);
      for (const [k, v] of Object.entries(f.evidence))
        if (v !== '') out.push(style.dim(`    ${escapeTerminal(k)}: ${escapeTerminal(v)}\n`));
      if (f.cause) out.push(`    cause: ${escapeTerminal(f.cause)}\n`);
      out.push(`    remedy: ${escapeTerminal(f.remedy)}\n`);
    }
  }
  return out.join('');
}

/** Counts by status, what was looked at (host root, presets, thresholds, runtimes), the node. */
function summarySection(r: ScanReport, style: Style): string {
  const out: string[] = [];
  const s = r.summary;
  const parts = [
    `${plural(s.certificates, 'certificate')} in ${plural(s.files, 'file')}`,
    ...(['expired', 'critical', 'warning', 'not-yet-valid'] as const)
      .filter((k) => s.byStatus[k] > 0)
      .map((k) => `${s.byStatus[k]} ${k}`),
    `${s.byStatus.ok} ok`,
    ...(s.byStatus.superseded > 0 ? [`${s.byStatus.superseded} superseded`] : []),
    ...(s.errors > 0 ? [plural(s.errors, 'error')] : []),
    ...(s.privateKeys > 0 ? [`${plural(s.privateKeys, 'private key')} (never shown)`] : []),
  ];
  out.push(`\n${parts.join(' · ')}\n`);
  out.push(
    style.dim(
      `host root ${escapeTerminal(r.hostRoot)} · presets: ${r.presets.join(', ') || 'none'} · ${thresholdText(r.thresholds)}`,
    ) + '\n',
  );
  out.push(sourceLines(r, style));
  if (r.node) out.push(`${escapeTerminal(r.node.statement)}\n`);
  return out.join('');
}

/** One line per source of workloads: how many it found, or why it did not answer. */
function sourceLines(r: ScanReport, style: Style): string {
  const out: string[] = [];
  const containers = r.workloads.filter((w) => w.kind === 'container');
  for (const src of r.sources.filter((x) => x.source !== 'files')) {
    if (src.up) {
      const running = containers.filter((w) => w.state === 'running').length;
      out.push(
        style.dim(
          `containers via ${src.source} ${escapeTerminal(src.endpoint ?? '')}: ${containers.length} (${running} running) · host processes: ${r.workloads.length - containers.length}`,
        ) + '\n',
      );
    } else {
      const fallback = src.source === 'cri' ? ' — using the /proc view instead' : '';
      out.push(
        style.yellow(`${src.source} unavailable: ${escapeTerminal(src.message ?? '')}${fallback}`) +
          '\n',
      );
    }
  }
  return out.join('');
}

export function renderScanTable(r: ScanReport, style: Style): string {
  return (
    certificateTable(r, style) +
    errorTable(r, style) +
    findingsSection(r, style) +
    summarySection(r, style)
  );
}
