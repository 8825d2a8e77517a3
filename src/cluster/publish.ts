// Publishes the node's certificate status: conditions (lastTransitionTime kept while the status
// stays the same), de-duplicated Warning events, and the NodeCertificateReport.

import type { ClusterEventSpec, ConditionSpec, ReportSpec } from '../plan/node-status-types.js';
import type { ClusterClient, NodeCondition } from './types.js';

export interface NodeStatusSpec {
  conditions: ConditionSpec[];
  events: ClusterEventSpec[];
  report: ReportSpec;
}

export async function publishNodeStatus(
  client: ClusterClient,
  node: string,
  spec: NodeStatusSpec,
  now: Date,
): Promise<{ events: number }> {
  const current = await client.getNode(node);
  const at = now.toISOString();
  const conditions: NodeCondition[] = spec.conditions.map((c) => {
    const prev = current.conditions.find((x) => x.type === c.type);
    const changed = prev?.status !== c.status;
    return {
      ...c,
      lastHeartbeatTime: at,
      lastTransitionTime: changed ? at : (prev.lastTransitionTime ?? at),
    };
  });
  await client.patchNodeConditions(node, conditions);
  for (const e of spec.events)
    await client.recordEvent({ ...e, node, type: 'Warning', time: at }, current.uid);
  await client.putReport(node, spec.report);
  return { events: spec.events.length };
}
