// The human view of an audit: findings by file and line, then files with problems.

import type { FileAudit } from './index.js';
import type { Severity } from '../model/index.js';
import { escapeTerminal } from '../model/escape.js';
import { renderColumns, type Style } from '../model/text-table.js';

function sev(s: Severity, style: Style): string {
  return s === 'critical' ? style.red(s) : s === 'warning' ? style.yellow(s) : style.dim(s);
}

export function renderAuditTable(files: readonly FileAudit[], style: Style): string {
  const out: string[] = [];
  const findings = files.flatMap((f) => f.findings);
  if (findings.length === 0) out.push('No findings.\n');
  for (const f of findings) {
    out.push(
      `${escapeTerminal(f.location.file)}:${f.location.line}:${f.location.column}: ${sev(f.severity, style)} ${f.code}: ${escapeTerminal(f.title)}\n`,
    );
    if (f.cause) out.push(style.dim(`    cause: ${escapeTerminal(f.cause)}\n`));
    out.push(
      `    remedy: ${escapeTerminal(f.remedy)}${f.fix ? ' (certdrift fix can apply this)' : ''}\n`,
    );
  }
  const problems = files.flatMap((f) =>
    f.problems.map((p) => [
      escapeTerminal(f.file) + (p.pos ? `:${p.pos.line}:${p.pos.column}` : ''),
      escapeTerminal(p.message),
    ]),
  );
  if (problems.length > 0) out.push('\n' + renderColumns(['FILE', 'PROBLEM'], problems, style));
  const workloads = files.reduce((n, f) => n + f.workloads, 0);
  const skipped = files.flatMap((f) => f.skippedKinds);
  out.push(
    `\n${files.length} file${files.length === 1 ? '' : 's'}, ${workloads} pod template${workloads === 1 ? '' : 's'}` +
      (skipped.length > 0
        ? `, ${skipped.length} other document${skipped.length === 1 ? '' : 's'} skipped (${escapeTerminal([...new Set(skipped)].join(', '))})`
        : '') +
      ` · ${findings.filter((f) => f.severity === 'critical').length} critical · ${findings.filter((f) => f.severity === 'warning').length} warning · ${findings.filter((f) => f.severity === 'info').length} info\n`,
  );
  return out.join('');
}
