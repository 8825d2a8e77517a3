// Audit findings → SARIF 2.1.0, for code-scanning in CI pipelines. One run, certdrift as the tool,
// every rule described once, results located by file, line and column. Pure.

import type { AuditFinding, AuditRule } from './index.js';
import type { Severity } from '../model/index.js';

const LEVEL: Readonly<Record<Severity, 'error' | 'warning' | 'note'>> = {
  critical: 'error',
  warning: 'warning',
  info: 'note',
  ok: 'note',
};

export interface SarifOptions {
  version: string;
  /** to make file paths relative (SARIF prefers repository-relative URIs) */
  baseDir?: string;
}

function uri(file: string, base: string | undefined): string {
  const rel = base && file.startsWith(`${base}/`) ? file.slice(base.length + 1) : file;
  return rel.split('/').map(encodeURIComponent).join('/');
}

export function renderSarif(
  findings: readonly AuditFinding[],
  rules: readonly AuditRule[],
  opts: SarifOptions,
): string {
  const ids = new Set([...rules.map((r) => r.id), ...findings.map((f) => f.code)]);
  const ruleList = [...ids].map((id) => {
    const r = rules.find((x) => x.id === id);
    const sample = findings.find((f) => f.code === id);
    return {
      id,
      name: id
        .toLowerCase()
        .split('_')
        .map((w) => (w[0]?.toUpperCase() ?? '') + w.slice(1))
        .join(''),
      shortDescription: { text: r?.summary ?? sample?.title ?? id },
      ...(sample?.cause ? { fullDescription: { text: sample.cause } } : {}),
      help: { text: sample?.remedy ?? r?.summary ?? id },
      defaultConfiguration: { level: LEVEL[sample?.severity ?? 'warning'] },
    };
  });
  const results = findings.map((f) => ({
    ruleId: f.code,
    ruleIndex: ruleList.findIndex((r) => r.id === f.code),
    level: LEVEL[f.severity],
    message: { text: `${f.title}. ${f.remedy}` },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: uri(f.location.file, opts.baseDir) },
          region: {
            startLine: Math.max(1, f.location.line),
            startColumn: Math.max(1, f.location.column),
          },
        },
      },
    ],
    properties: { subject: f.subject, evidence: f.evidence },
  }));
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'certdrift',
            version: opts.version,
            informationUri: 'https://github.com/certdrift/certdrift',
            rules: ruleList,
          },
        },
        results,
      },
    ],
  };
  return JSON.stringify(log, null, 2) + '\n';
}
