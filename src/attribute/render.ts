// Attributions → the `-o json` document and the table, each as a sequence of chunks so the
// caller can write them with backpressure (at most MAX_CERTIFICATES_KEPT rows, never one string
// of all of them). Log text is untrusted: every string that came from a log is stripped of
// control characters before it reaches a terminal.

import { renderColumns, type Style } from '../model/text-table.js';
import { MAX_CERTIFICATES_KEPT, type Attribution } from './attribute.js';
import type { Residence } from './knowledge.js';

export interface AttributionReport {
  apiVersion: 'certdrift.io/v1alpha1';
  kind: 'CertificateAttribution';
  generatedAt: string;
  logs: string[];
  knowledge: { sources: string[]; certificates: number; problems: string[] };
  summary: {
    failingCertificates: number;
    attributed: number;
    unattributed: number;
    /** every failure read, including those of evicted certificates */
    failures: number;
    /** log lines not read: longer than the 1 MiB line cap */
    skippedLines: number;
    /** failing certificates dropped (least recently seen first) to stay within the cap */
    evictedCertificates: number;
  };
  certificates: Attribution[];
}

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
export const clean = (s: string): string => s.replace(CONTROL, '?');

export function buildAttributionReport(
  rows: Attribution[],
  ctx: {
    now: Date;
    logs: string[];
    sources: string[];
    certificates: number;
    problems: string[];
    /** from the tally and the scanners; without them: the rows' own counts, nothing skipped */
    failures?: number;
    skippedLines?: number;
    evictedCertificates?: number;
  },
): AttributionReport {
  return {
    apiVersion: 'certdrift.io/v1alpha1',
    kind: 'CertificateAttribution',
    generatedAt: ctx.now.toISOString(),
    logs: ctx.logs,
    knowledge: { sources: ctx.sources, certificates: ctx.certificates, problems: ctx.problems },
    summary: {
      failingCertificates: rows.length,
      attributed: rows.filter((r) => r.attributed).length,
      unattributed: rows.filter((r) => !r.attributed).length,
      failures: ctx.failures ?? rows.reduce((n, r) => n + r.count, 0),
      skippedLines: ctx.skippedLines ?? 0,
      evictedCertificates: ctx.evictedCertificates ?? 0,
    },
    certificates: rows,
  };
}

const WHERE: Readonly<Record<Residence, string>> = {
  file: 'file',
  'container-view': 'container view',
  'process-memory': 'process memory',
  'file-history': 'old file',
};

const time = (d: Date | undefined): string => (d ? d.toISOString().replace('.000Z', 'Z') : '-');
const serialOf = (r: Attribution): string => clean(r.serialHex ?? '(not logged)');

/** The document as `JSON.stringify(rep, null, 2)` writes it, one certificate per chunk. */
export function* attributionJsonChunks(rep: AttributionReport): Generator<string> {
  const { certificates, ...head } = rep;
  if (certificates.length === 0) {
    yield JSON.stringify(rep, null, 2) + '\n';
    return;
  }
  // `certificates` is the document's last key: the head without its closing brace, then the rows
  yield JSON.stringify(head, null, 2).replace(/\n\}$/, ',\n  "certificates": [\n');
  for (const [i, row] of certificates.entries())
    yield (
      JSON.stringify(row, null, 2).replace(/^/gm, '    ') +
      (i < certificates.length - 1 ? ',\n' : '\n')
    );
  yield '  ]\n}\n';
}

/** What the summary line adds when the bounds dropped something. */
function boundsNote(s: AttributionReport['summary']): string {
  const notes = [
    s.skippedLines > 0
      ? `${s.skippedLines} log line${s.skippedLines === 1 ? '' : 's'} over 1 MiB skipped`
      : '',
    s.evictedCertificates > 0
      ? `${s.evictedCertificates} failing certificate${s.evictedCertificates === 1 ? '' : 's'} seen least recently dropped (at most ${MAX_CERTIFICATES_KEPT} kept)`
      : '',
  ].filter((n) => n !== '');
  return notes.length > 0 ? ` · ${notes.join(' · ')}` : '';
}

/** One line per failing certificate, then its details (cause, remedy or what would identify it). */
export function renderAttributionTable(rep: AttributionReport, style: Style): string {
  return [...attributionTableChunks(rep, style)].join('');
}

/** The table as chunks: the table, one detail block per certificate, the summary. */
export function* attributionTableChunks(rep: AttributionReport, style: Style): Generator<string> {
  if (rep.certificates.length === 0) {
    yield `No client-certificate failures in ${rep.logs.join(', ') || 'the log'}.${boundsNote(rep.summary)}\n`;
    return;
  }
  const rows = rep.certificates.map((r) => [
    String(r.count),
    time(r.first),
    time(r.last),
    r.kind,
    serialOf(r),
    r.attributed ? clean(r.node ?? '') : style.yellow('unattributed'),
    clean(r.component ?? '-'),
    r.places[0] ? WHERE[r.places[0].residence] : '-',
    r.cause?.code ?? '-',
  ]);
  const table = renderColumns(
    ['COUNT', 'FIRST', 'LAST', 'KIND', 'SERIAL', 'NODE', 'COMPONENT', 'WHERE', 'CAUSE'],
    rows,
    style,
  );
  yield table + '\n';
  for (const [i, r] of rep.certificates.entries())
    yield (i > 0 ? '\n' : '') + detailBlock(r, style);
  const s = rep.summary;
  const footer = `${s.failingCertificates} failing certificate${s.failingCertificates === 1 ? '' : 's'} (${s.failures} failures) · ${s.attributed} attributed · ${s.unattributed} unattributed · knowledge: ${rep.knowledge.certificates} certificates from ${rep.knowledge.sources.length} source${rep.knowledge.sources.length === 1 ? '' : 's'}${boundsNote(s)}`;
  const problems = rep.knowledge.problems.map((p) => `warning: ${clean(p)}\n`);
  yield `\n${footer}\n${problems.join('')}`;
}

export function detailBlock(r: Attribution, style: Style): string {
  const head = r.attributed
    ? `${style.red(r.kind)} serial ${serialOf(r)}: ${clean(r.node ?? '')} ${clean(r.component ?? '')}`
    : `${style.yellow(r.kind)} serial ${serialOf(r)}: unattributed`;
  const lines = [head];
  if (r.serialDecimal)
    lines.push(
      `    logged as: SN=${clean(r.serialDecimal)}, SKID=${clean(r.skid)}, AKID=${clean(r.akid)} (first at ${clean(r.firstSeenIn)})`,
    );
  if (r.certNotAfter) lines.push(`    expired: ${time(r.certNotAfter)}`);
  if (r.certNotBefore) lines.push(`    not valid before: ${time(r.certNotBefore)}`);
  for (const [i, p] of r.places.entries())
    lines.push(
      `    ${i === 0 ? 'held in' : 'also in'}: ${WHERE[p.residence]} ${clean(p.location)} [${clean(p.source)}]`,
    );
  if (r.ambiguous)
    lines.push(
      `    ambiguous: the serial is known on ${new Set(r.places.map((p) => p.node)).size} nodes${r.match === 'serial' ? ' and the knowledge has no key identifiers to tell them apart' : ''}; the first is the likeliest holder`,
    );
  else if (r.match === 'serial')
    lines.push('    matched by serial only (the knowledge records no key identifiers)');
  for (const o of r.otherCa ?? [])
    lines.push(
      `    not this one: ${clean(o.node)} ${clean(o.component)} ${WHERE[o.residence]} ${clean(o.location)} has the same serial from another CA (AKID ${clean(o.authorityKeyId ?? '?')})`,
    );
  if (r.cause) {
    lines.push(`    cause: ${clean(r.cause.text)}`);
    lines.push(`    remedy: ${clean(r.cause.remedy)}`);
  }
  if (r.identify) lines.push(`    to identify: ${clean(r.identify)}`);
  if (!r.attributed || r.cause) return lines.join('\n') + '\n';
  lines.push(
    '    cause: certdrift knows where this certificate is but diagnosed nothing wrong there',
  );
  return lines.join('\n') + '\n';
}
