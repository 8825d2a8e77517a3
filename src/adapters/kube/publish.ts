// Publishes the node's certificate status: conditions (lastTransitionTime kept while the status
// stays the same), de-duplicated Warning events, and the NodeCertificateReport owned by the Node.
// One failed part does not stop the others (an event the API refuses must not keep the report
// from being written); the failures are thrown together at the end, so the caller marks the
// source down and the next cycle, which publishes everything again, completes the work.

import type { ClusterEventSpec, ConditionSpec, ReportSpec } from '../../model/node-status.js';
import { ClusterError, type ClusterClient, type NodeCondition } from '../../model/cluster.js';

export interface NodeStatusSpec {
  conditions: ConditionSpec[];
  events: ClusterEventSpec[];
  report: ReportSpec;
}

/** metav1.Time has whole seconds: send what the server will store, so comparisons hold. */
export function metaTime(d: Date): string {
  return new Date(Math.floor(d.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export async function publishNodeStatus(
  client: ClusterClient,
  node: string,
  spec: NodeStatusSpec,
  now: Date,
): Promise<{ events: number }> {
  const current = await client.getNode(node);
  const at = metaTime(now);
  const failures: ClusterError[] = [];
  const attempt = async (what: () => Promise<unknown>): Promise<boolean> => {
    try {
      await what();
      return true;
    } catch (e) {
      if (!(e instanceof ClusterError)) throw e;
      failures.push(e);
      return false;
    }
  };
  const conditions: NodeCondition[] = spec.conditions.map((c) => {
    const prev = current.conditions.find((x) => x.type === c.type);
    const changed = prev?.status !== c.status;
    return {
      ...c,
      lastHeartbeatTime: at,
      lastTransitionTime: changed ? at : (prev.lastTransitionTime ?? at),
    };
  });
  await attempt(() => client.patchNodeConditions(node, conditions));
  let events = 0;
  for (const e of spec.events)
    if (
      await attempt(() =>
        client.recordEvent({ ...e, node, type: 'Warning', time: at }, current.uid),
      )
    )
      events++;
  await attempt(() => client.putReport(node, current.uid, spec.report));
  const [first, ...rest] = failures;
  if (first)
    throw new ClusterError(
      rest.length === 0
        ? first.message
        : `${first.message} (and ${rest.length} more: ${rest.map((f) => f.message).join('; ')})`,
      first.status,
    );
  return { events };
}
