// The fleet view as a table for a terminal: one line per node, most urgent first. Every value
// that comes from the cluster (node names, signer names) is sanitized: an API object's fields
// are chosen by whoever created it. Full values are in `-o json`.

import { formatResidual } from '../model/human-time.js';
import { escapeTerminal } from '../model/escape.js';
import { clip, renderColumns, type Style } from '../model/text-table.js';
import type { CsrSummary, FleetRow, FleetView } from './fleet-view.js';
import { KUBELET_CLIENT, KUBELET_SERVING } from './types.js';

const RANK: Record<FleetRow['status'], number> = {
  expired: 0,
  critical: 1,
  warning: 2,
  unknown: 3,
  ok: 4,
};

function urgency(r: FleetRow): number {
  if (r.deadlinePassedWhileSilent) return -1;
  const coverage = r.coverage === 'silent' || r.coverage === 'no-agent' ? 0 : 0.5;
  return RANK[r.status] + coverage;
}

const SIGNER_SHORT: Record<string, string> = {
  [KUBELET_SERVING]: 'serving',
  [KUBELET_CLIENT]: 'client',
};

function csrCell(csrs: readonly CsrSummary[]): string {
  if (csrs.length === 0) return '-';
  return csrs
    .map((c) => {
      const who = SIGNER_SHORT[c.signer] ?? escapeTerminal(c.signer);
      const age =
        c.state === 'pending' && c.oldestAgeSeconds !== null
          ? ` (oldest ${formatResidual(c.oldestAgeSeconds * 1000)})`
          : '';
      return `${who} ${c.state} ${c.count}${age}`;
    })
    .join(', ');
}

function coverageCell(r: FleetRow, style: Style): string {
  switch (r.coverage) {
    case 'reporting':
      return style.green('reporting');
    case 'silent':
      return style.yellow(`silent ${formatResidual((r.reportAgeSeconds ?? 0) * 1000)}`);
    case 'no-agent':
      return style.red('no agent');
    case 'no-status':
      return style.yellow('no status yet');
    case 'not-linux':
      return style.dim(`not linux (${escapeTerminal(r.os || 'no os label')})`);
  }
}

function deadlineCell(r: FleetRow, style: Style): string {
  if (r.deadline === null || r.deadlineInSeconds === null) return style.dim('unknown');
  const left = formatResidual(r.deadlineInSeconds * 1000);
  const text = `${r.deadline.slice(0, 10)} (${r.deadlineInSeconds > 0 ? 'in ' : ''}${left})`;
  if (r.deadlinePassedWhileSilent) return style.red(`${text}, passed while silent`);
  if (r.status === 'expired' || r.status === 'critical') return style.red(text);
  if (r.status === 'warning') return style.yellow(text);
  return text;
}

export function renderFleetTable(v: FleetView, style: Style): string {
  const rows = v.nodes
    .slice()
    .sort((a, b) => urgency(a) - urgency(b) || a.node.localeCompare(b.node))
    .map((r) => [
      clip(escapeTerminal(r.node), 63),
      deadlineCell(r, style),
      coverageCell(r, style),
      r.reportAgeSeconds === null ? '-' : formatResidual(r.reportAgeSeconds * 1000),
      csrCell(r.csrs),
    ]);
  let out = renderColumns(['NODE', 'DEADLINE', 'AGENT', 'REPORT AGE', 'KUBELET CSRS'], rows, style);
  const count = (p: (r: FleetRow) => boolean): number => v.nodes.filter(p).length;
  out +=
    `\n${v.nodes.length} nodes at ${v.at}: ${count((r) => r.coverage === 'reporting')} reporting, ` +
    `${count((r) => r.coverage === 'silent')} silent (no report for over ${formatResidual(v.silentAfterSeconds * 1000)}), ` +
    `${count((r) => r.coverage === 'no-agent')} Linux nodes without an agent, ` +
    `${count((r) => r.csrs.some((c) => c.state === 'pending'))} with pending kubelet CSRs\n`;
  if (v.orphanReports.length > 0)
    out += `reports without a Node: ${v.orphanReports.slice(0, 10).map(escapeTerminal).join(', ')}\n`;
  if (v.unattributedCsrs.length > 0)
    out += `kubelet CSRs naming no node: ${v.unattributedCsrs.map((c) => `${escapeTerminal(c.name)} (${c.state})`).join(', ')}\n`;
  return out;
}
