// Certificate deadlines per node, from the two documents that carry them:
// - `kubectl get nodecertificatereports -o json`: the agent's NodeCertificateReport
//   (deploy/base/crd.yaml), cluster-scoped, named after the node, `status.deadline`;
// - `certdrift scan -o json` of one node (docs/scan-schema.md), `node.deadline`. A scan document
//   carries no node name field, so the name is given (`--scan NODE=FILE`) or read from the
//   kubelet client certificate's subject (CN `system:node:<name>`, the Node authorizer's form).
// Pure and total: problems are reported, never thrown.

import type { CertificateFacts, InputProblem } from './fleet.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function readTime(v: unknown): Date | null | 'bad' {
  if (v === undefined || v === null) return null;
  const t = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isNaN(t) ? 'bad' : new Date(t);
}

export function parseReportList(
  doc: unknown,
  source: string,
): { facts: CertificateFacts[]; problems: InputProblem[] } {
  const facts: CertificateFacts[] = [];
  const problems: InputProblem[] = [];
  const items =
    isObj(doc) && Array.isArray(doc.items)
      ? doc.items
      : isObj(doc) && doc.kind === 'NodeCertificateReport'
        ? [doc]
        : null;
  if (items === null) {
    problems.push({
      source,
      message:
        'expected a List of NodeCertificateReports (`kubectl get nodecertificatereports -o json`)',
    });
    return { facts, problems };
  }
  items.forEach((item: unknown, i) => {
    const where = `${source}: items[${i}]`;
    if (!isObj(item) || (item.kind !== undefined && item.kind !== 'NodeCertificateReport')) {
      problems.push({ source: where, message: 'not a NodeCertificateReport' });
      return;
    }
    const name = isObj(item.metadata) ? item.metadata.name : undefined;
    if (typeof name !== 'string' || name === '') {
      problems.push({ source: where, message: 'report without metadata.name' });
      return;
    }
    const deadline = readTime(isObj(item.status) ? item.status.deadline : undefined);
    if (deadline === 'bad') {
      problems.push({
        source: where,
        message: `report ${JSON.stringify(name)}: status.deadline is not an RFC 3339 time`,
      });
      return;
    }
    facts.push({ node: name, deadline, source: 'report' });
  });
  return { facts, problems };
}

const NODE_CN = /^system:node:(.+)$/;

export function parseScanDocument(
  doc: unknown,
  source: string,
  nodeName: string | null,
): { facts: CertificateFacts[]; problems: InputProblem[] } {
  if (!isObj(doc) || doc.kind !== 'NodeScan')
    return {
      facts: [],
      problems: [{ source, message: 'expected `certdrift scan -o json` output (kind NodeScan)' }],
    };
  let name = nodeName;
  if (name === null && Array.isArray(doc.certificates))
    for (const c of doc.certificates)
      if (isObj(c) && c.component === 'kubelet-client' && typeof c.commonName === 'string') {
        name = NODE_CN.exec(c.commonName)?.[1] ?? null;
        if (name !== null) break;
      }
  if (name === null)
    return {
      facts: [],
      problems: [
        {
          source,
          message:
            'cannot tell which node this scan is of (no kubelet client certificate CN system:node:<name>); pass it as --scan NODE=FILE',
        },
      ],
    };
  const deadline = readTime(isObj(doc.node) ? doc.node.deadline : undefined);
  if (deadline === 'bad')
    return { facts: [], problems: [{ source, message: 'node.deadline is not an RFC 3339 time' }] };
  return { facts: [{ node: name, deadline, source: 'scan' }], problems: [] };
}
