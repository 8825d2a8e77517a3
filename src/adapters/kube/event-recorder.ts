// De-duplicated Events with exactly the `create` and `patch` verbs (no `get`): the first
// occurrence is created; a repeat patches `count` from the count this process last wrote, as
// client-go's EventCorrelator does (tools/record/events_cache.go). An Event created before this
// process started answers 409 on create: a merge patch of the timestamps returns the stored
// count, a second one bumps it. Events expire (the API server's --event-ttl, 1 h by default), so
// a patch may find nothing (404): then it is created again.

import { messageOf, type KubeApi } from './kube-api.js';
import { ClusterError, type NodeEvent } from '../../model/cluster.js';

const MERGE = 'application/merge-patch+json';
/** Events of Node objects go to `default`, where kubelet records them too. */
export const EVENT_NAMESPACE = 'default';
const PATH = `/api/v1/namespaces/${EVENT_NAMESPACE}/events`;

export class EventRecorder {
  private counts = new Map<string, number>();

  constructor(private readonly api: KubeApi) {}

  private fail(
    method: string,
    path: string,
    r: { status: number; body: Record<string, unknown> },
  ): never {
    throw new ClusterError(`Kubernetes ${method} ${path}: ${r.status} ${messageOf(r)}`, r.status);
  }

  /** Patches the event; the stored count after the patch, or null when it no longer exists. */
  private async patch(ev: NodeEvent, fields: Record<string, unknown>): Promise<number | null> {
    const path = `${PATH}/${encodeURIComponent(ev.name)}`;
    const r = await this.api.call(
      'PATCH',
      path,
      { ...fields, lastTimestamp: ev.time, message: ev.message },
      MERGE,
    );
    if (r.status === 404) return null;
    if (r.status >= 300) this.fail('PATCH', path, r);
    return typeof r.body.count === 'number' ? r.body.count : 1;
  }

  private async create(ev: NodeEvent, nodeUid: string): Promise<boolean> {
    const r = await this.api.call('POST', PATH, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: ev.name, namespace: EVENT_NAMESPACE },
      involvedObject: { apiVersion: 'v1', kind: 'Node', name: ev.node, uid: nodeUid },
      reason: ev.reason,
      message: ev.message,
      type: ev.type,
      source: { component: 'certdrift', host: ev.node },
      reportingComponent: 'certdrift',
      reportingInstance: ev.node,
      firstTimestamp: ev.time,
      lastTimestamp: ev.time,
      count: 1,
    });
    if (r.status === 409) return false;
    if (r.status >= 300) this.fail('POST', PATH, r);
    return true;
  }

  async record(ev: NodeEvent, nodeUid: string): Promise<{ count: number }> {
    const known = this.counts.get(ev.name);
    if (known !== undefined) {
      const after = await this.patch(ev, { count: known + 1 });
      if (after !== null) {
        this.counts.set(ev.name, after);
        return { count: after };
      }
    }
    // Two rounds at most: an event that exists (409) may expire before the patch reaches it.
    for (let round = 0; round < 2; round++) {
      if (await this.create(ev, nodeUid)) {
        this.counts.set(ev.name, 1);
        return { count: 1 };
      }
      const stored = await this.patch(ev, {});
      if (stored === null) continue;
      const bumped = await this.patch(ev, { count: stored + 1 });
      if (bumped === null) continue;
      this.counts.set(ev.name, bumped);
      return { count: bumped };
    }
    throw new ClusterError(
      `Kubernetes events ${ev.name}: kept vanishing between create and patch`,
      404,
    );
  }
}
