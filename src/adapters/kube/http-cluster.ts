// ClusterClient over the Kubernetes REST API with node:https. Why not @kubernetes/client-node: we
// make a handful of calls whose exact semantics matter (strategic-merge-patch content type, the
// status subresource, resourceVersion conflicts, the RBAC each needs); a small client makes each
// explicit, and each is tested against a real kube-apiserver with the shipped RBAC and CRD applied
// (test/cluster, on the control plane of test/support/control-plane/). The verbs used here are
// exactly the rules in deploy/base/rbac.yaml; changing a call means changing the role
// (test/cluster/rbac-minimal.test.ts checks both ways, from the server's audit log).

import type { ReportSpec } from '../../model/node-status.js';
import { EventRecorder } from './event-recorder.js';
import { KubeApi, messageOf, type ApiResponse } from './kube-api.js';
import { nodeInfoOf, reportOf } from './map-objects.js';
import {
  ClusterError,
  type ClusterClient,
  type ListOptions,
  type NodeCertificateReport,
  type NodeCondition,
  type NodeEvent,
  type NodeInfo,
} from '../../model/cluster.js';

const GROUP = '/apis/certdrift.io/v1alpha1/nodecertificatereports';
const MERGE = 'application/merge-patch+json';

interface OwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

const fail = (method: string, path: string, r: ApiResponse): never => {
  throw new ClusterError(`Kubernetes ${method} ${path}: ${r.status} ${messageOf(r)}`, r.status);
};

export class HttpCluster implements ClusterClient {
  private readonly events: EventRecorder;

  constructor(readonly api: KubeApi) {
    this.events = new EventRecorder(api);
  }

  async getNode(name: string): Promise<{ uid: string; conditions: NodeCondition[] }> {
    const r = await this.api.ok('GET', `/api/v1/nodes/${encodeURIComponent(name)}`);
    const n = nodeInfoOf(r.body);
    return { uid: n.uid, conditions: n.conditions };
  }

  async patchNodeConditions(name: string, conditions: NodeCondition[]): Promise<void> {
    // Strategic merge: conditions merge by `type`, so other owners' conditions are untouched.
    await this.api.ok(
      'PATCH',
      `/api/v1/nodes/${encodeURIComponent(name)}/status`,
      { status: { conditions } },
      'application/strategic-merge-patch+json',
    );
  }

  recordEvent(ev: NodeEvent, nodeUid: string): Promise<{ count: number }> {
    return this.events.record(ev, nodeUid);
  }

  async putReport(node: string, nodeUid: string, status: ReportSpec): Promise<void> {
    const path = `${GROUP}/${encodeURIComponent(node)}`;
    // The Node owns its report: the garbage collector deletes the report with the node. No
    // blockOwnerDeletion, which would need `delete` on nodes (OwnerReferencesPermissionEnforcement).
    const owner: OwnerRef = { apiVersion: 'v1', kind: 'Node', name: node, uid: nodeUid };
    for (let attempt = 0; attempt < 3; attempt++) {
      let current = await this.api.call('GET', path);
      if (current.status === 404) {
        current = await this.api.call('POST', GROUP, {
          apiVersion: 'certdrift.io/v1alpha1',
          kind: 'NodeCertificateReport',
          metadata: { name: node, ownerReferences: [owner] },
        });
        if (current.status === 409) continue; // created meanwhile: read it again
        if (current.status >= 300) fail('POST', GROUP, current);
      } else if (current.status >= 300) fail('GET', path, current);
      const meta = (current.body.metadata ?? {}) as {
        resourceVersion?: string;
        ownerReferences?: OwnerRef[];
      };
      let rv = meta.resourceVersion;
      const refs = meta.ownerReferences ?? [];
      if (!refs.some((o) => o.kind === 'Node' && o.uid === nodeUid)) {
        // A report written before reports had owners (or for an older node of this name):
        // point it at this node. Lists are replaced by a merge patch, so keep other owners.
        const others = refs.filter((o) => o.kind !== 'Node');
        const p = await this.api.call(
          'PATCH',
          path,
          { metadata: { resourceVersion: rv, ownerReferences: [...others, owner] } },
          MERGE,
        );
        if (p.status === 409) continue;
        if (p.status >= 300) fail('PATCH', path, p);
        rv = (p.body.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
      }
      // The status subresource takes status only; resourceVersion makes a concurrent write a
      // 409 (and a custom resource refuses an update without one: 422).
      const put = await this.api.call('PUT', `${path}/status`, {
        apiVersion: 'certdrift.io/v1alpha1',
        kind: 'NodeCertificateReport',
        metadata: { name: node, resourceVersion: rv },
        status,
      });
      if (put.status === 409) continue;
      if (put.status >= 300) fail('PUT', `${path}/status`, put);
      return;
    }
    throw new ClusterError(
      `Kubernetes PUT ${path}/status: still conflicting after 3 attempts`,
      409,
    );
  }

  /** Follows `continue` tokens until the list is complete. */
  /** every item of a list, all pages (also used by the rotation edge) */
  async listAll(path: string, opts: ListOptions): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let token: string | undefined;
    do {
      const q = new URLSearchParams({ limit: String(opts.pageSize ?? 500) });
      if (opts.labelSelector) q.set('labelSelector', opts.labelSelector);
      if (opts.fieldSelector) q.set('fieldSelector', opts.fieldSelector);
      if (token) q.set('continue', token);
      const r = await this.api.ok('GET', `${path}?${q.toString()}`);
      const page = Array.isArray(r.body.items) ? (r.body.items as Record<string, unknown>[]) : [];
      items.push(...page);
      const next = (r.body.metadata as { continue?: unknown } | undefined)?.continue;
      token = typeof next === 'string' && next !== '' ? next : undefined;
    } while (token);
    return items;
  }

  async listNodes(opts: ListOptions = {}): Promise<NodeInfo[]> {
    return (await this.listAll('/api/v1/nodes', opts)).map(nodeInfoOf);
  }

  async listNodeCertificateReports(opts: ListOptions = {}): Promise<NodeCertificateReport[]> {
    return (await this.listAll(GROUP, opts)).map(reportOf);
  }
}
