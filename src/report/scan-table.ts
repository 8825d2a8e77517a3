// The human view of a scan: certificates soonest-expiry first, item errors, findings that are
// not about a single certificate row, and a plain-language summary.

import type { CertStatus, Severity } from '../model.js';
import { day } from './duration.js';
import type { CertificateRow, ScanReport } from './scan-report.js';
import { sanitize } from './sanitize.js';
import { renderColumns, type Style } from './text-table.js';

function statusText(s: CertStatus, style: Style): string {
  switch (s) {
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

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function renderScanTable(r: ScanReport, style: Style): string {
  const out: string[] = [];
  const rows = [...r.certificates]
    .sort((a, b) => a.residualSeconds - b.residualSeconds || (a.path < b.path ? -1 : 1))
    .map((c) => [
      sanitize(c.component),
      sanitize(c.commonName || c.subject),
      `${day(new Date(c.notAfter))} ${c.notAfter.slice(11, 16)} UTC`,
      c.residual,
      statusText(c.status, style),
      sanitize(location(c)),
    ]);
  if (rows.length > 0)
    out.push(
      renderColumns(
        ['COMPONENT', 'SUBJECT', 'EXPIRES', 'RESIDUAL', 'STATUS', 'LOCATION'],
        rows,
        style,
      ),
    );
  else
    out.push(
      `No certificates found under ${sanitize(r.hostRoot)} (presets: ${r.presets.join(', ') || 'none'}). ` +
        'Is this a Kubernetes node? Point --host-root at its root file system or add --path GLOB.\n',
    );

  if (r.errors.length > 0) {
    out.push(
      '\n' +
        renderColumns(
          ['REASON', 'PATH', 'PROBLEM'],
          r.errors.map((e) => [style.yellow(e.reason), sanitize(e.path), sanitize(e.message)]),
          style,
        ),
    );
  }

  const other = r.findings.filter((f) => !f.code.startsWith('CERT_'));
  if (other.length > 0) {
    out.push('\n' + style.bold('FINDINGS') + '\n');
    for (const f of other) {
      out.push(`${severityText(f.severity, style)} ${f.code}: ${sanitize(f.title)}\n`);
      for (const [k, v] of Object.entries(f.evidence))
        if (v !== '') out.push(style.dim(`    ${sanitize(k)}: ${sanitize(v)}\n`));
      if (f.cause) out.push(`    cause: ${sanitize(f.cause)}\n`);
      out.push(`    remedy: ${sanitize(f.remedy)}\n`);
    }
  }

  const s = r.summary;
  const parts = [
    `${plural(s.certificates, 'certificate')} in ${plural(s.files, 'file')}`,
    ...(['expired', 'critical', 'warning', 'not-yet-valid'] as const)
      .filter((k) => s.byStatus[k] > 0)
      .map((k) => `${s.byStatus[k]} ${k}`),
    `${s.byStatus.ok} ok`,
    ...(s.errors > 0 ? [plural(s.errors, 'error')] : []),
    ...(s.privateKeys > 0 ? [`${plural(s.privateKeys, 'private key')} (never shown)`] : []),
  ];
  out.push(`\n${parts.join(' · ')}\n`);
  out.push(
    style.dim(
      `host root ${sanitize(r.hostRoot)} · presets: ${r.presets.join(', ') || 'none'} · warning < ${r.thresholds.warningDays}d, critical < ${r.thresholds.criticalDays}d`,
    ) + '\n',
  );
  const containers = r.workloads.filter((w) => w.kind === 'container');
  for (const src of r.sources.filter((x) => x.source !== 'files')) {
    if (src.up) {
      const running = containers.filter((w) => w.state === 'running').length;
      out.push(
        style.dim(
          `containers via ${src.source} ${sanitize(src.endpoint ?? '')}: ${containers.length} (${running} running) · host processes: ${r.workloads.length - containers.length}`,
        ) + '\n',
      );
    } else {
      const fallback = src.source === 'cri' ? ' — using the /proc view instead' : '';
      out.push(
        style.yellow(`${src.source} unavailable: ${sanitize(src.message ?? '')}${fallback}`) + '\n',
      );
    }
  }
  if (r.node) out.push(`${sanitize(r.node.statement)}\n`);
  return out.join('');
}
