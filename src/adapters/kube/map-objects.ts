// API JSON → our own types, defensively: a field of the wrong type becomes its empty value, so
// an odd object from a real cluster never throws here.

import { parsePublishedLedger } from '../../ledger/publish-ledger.js';
import type { ReportSpec } from '../../model/node-status.js';
import type { NodeCertificateReport, NodeCondition, NodeInfo } from '../../model/cluster.js';

type Json = Record<string, unknown>;

const obj = (v: unknown): Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const strings = (v: unknown): Record<string, string> =>
  Object.fromEntries(
    Object.entries(obj(v)).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );

function conditionOf(v: unknown): NodeCondition {
  const c = obj(v);
  const status = str(c.status);
  return {
    type: str(c.type),
    status: status === 'True' || status === 'False' ? status : 'Unknown',
    reason: str(c.reason),
    message: str(c.message),
    ...(typeof c.lastHeartbeatTime === 'string' ? { lastHeartbeatTime: c.lastHeartbeatTime } : {}),
    ...(typeof c.lastTransitionTime === 'string'
      ? { lastTransitionTime: c.lastTransitionTime }
      : {}),
  };
}

export function nodeInfoOf(v: unknown): NodeInfo {
  const n = obj(v);
  const meta = obj(n.metadata);
  const spec = obj(n.spec);
  const conditions = obj(n.status).conditions;
  return {
    name: str(meta.name),
    uid: str(meta.uid),
    createdAt: str(meta.creationTimestamp),
    labels: strings(meta.labels),
    annotations: strings(meta.annotations),
    unschedulable: spec.unschedulable === true,
    ...(typeof spec.providerID === 'string' ? { providerID: spec.providerID } : {}),
    conditions: Array.isArray(conditions) ? conditions.map(conditionOf) : [],
  };
}

export function reportOf(v: unknown): NodeCertificateReport {
  const r = obj(v);
  const meta = obj(r.metadata);
  const owners: unknown[] = Array.isArray(meta.ownerReferences) ? meta.ownerReferences : [];
  const node = owners.map(obj).find((o) => o.kind === 'Node');
  const s = obj(r.status);
  const num = (x: unknown): number => (typeof x === 'number' ? x : 0);
  const ledger = parsePublishedLedger(s.ledger);
  const status: ReportSpec | null =
    r.status === undefined
      ? null
      : {
          scannedAt: str(s.scannedAt),
          ...(typeof s.deadline === 'string' ? { deadline: s.deadline } : {}),
          ...(typeof s.deadlineNotBefore === 'string'
            ? { deadlineNotBefore: s.deadlineNotBefore }
            : {}),
          ...(typeof s.replaceBy === 'string' ? { replaceBy: s.replaceBy } : {}),
          worstSeverity: str(s.worstSeverity),
          certificates: num(s.certificates),
          staleViews: num(s.staleViews),
          notReloaded: num(s.notReloaded),
          findings: (Array.isArray(s.findings) ? s.findings : []).map((f) => {
            const x = obj(f);
            return {
              code: str(x.code),
              severity: str(x.severity),
              subject: str(x.subject),
              title: str(x.title),
            };
          }),
          ...(ledger ? { ledger } : {}),
        };
  return { name: str(meta.name), ...(node ? { nodeUid: str(node.uid) } : {}), status };
}
