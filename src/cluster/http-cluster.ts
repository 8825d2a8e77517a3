// ClusterClient over the Kubernetes REST API with node:https. Why not @kubernetes/client-node: we
// make five calls whose exact semantics matter (strategic-merge-patch content type, the status
// subresource, resourceVersion conflicts); a small client makes each explicit, and each is tested
// against an in-process API emulation (test/support/fake-apiserver.ts).

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ReportSpec } from '../plan/node-status-types.js';
import { ClusterError, type ClusterClient, type NodeCondition, type NodeEvent } from './types.js';

export interface Connection {
  server: string;
  ca?: Buffer;
  token?: string;
  cert?: Buffer;
  key?: Buffer;
  timeoutMs?: number;
}

interface Res {
  status: number;
  body: Record<string, unknown>;
}

const GROUP = '/apis/certdrift.io/v1alpha1/nodecertificatereports';

/** The message of a Kubernetes Status object, or the HTTP status. */
function messageOf(r: Res): string {
  return typeof r.body.message === 'string' ? r.body.message : `HTTP ${r.status}`;
}

export class HttpCluster implements ClusterClient {
  constructor(private readonly conn: Connection) {}

  private call(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<Res> {
    const url = new URL(path, this.conn.server);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        {
          method,
          timeout: this.conn.timeoutMs ?? 10_000,
          headers: {
            accept: 'application/json',
            ...(payload ? { 'content-type': contentType, 'content-length': payload.length } : {}),
            ...(this.conn.token ? { authorization: `Bearer ${this.conn.token}` } : {}),
          },
          ...(this.conn.ca ? { ca: this.conn.ca } : {}),
          ...(this.conn.cert && this.conn.key ? { cert: this.conn.cert, key: this.conn.key } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            let parsed: Record<string, unknown> = {};
            try {
              parsed = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<
                string,
                unknown
              >;
            } catch {
              parsed = {};
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`timed out after ${this.conn.timeoutMs ?? 10_000} ms`)),
      );
      req.on('error', (err) => {
        reject(new ClusterError(`Kubernetes ${method} ${url.href}: ${err.message}`, 0));
      });
      req.end(payload);
    });
  }

  private async ok(
    method: string,
    path: string,
    body?: unknown,
    contentType?: string,
  ): Promise<Res> {
    const r = await this.call(method, path, body, contentType);
    if (r.status < 200 || r.status >= 300) {
      throw new ClusterError(`Kubernetes ${method} ${path}: ${r.status} ${messageOf(r)}`, r.status);
    }
    return r;
  }

  async getNode(name: string): Promise<{ uid: string; conditions: NodeCondition[] }> {
    const r = await this.ok('GET', `/api/v1/nodes/${encodeURIComponent(name)}`);
    const meta = r.body.metadata as { uid?: string } | undefined;
    const status = r.body.status as { conditions?: NodeCondition[] } | undefined;
    return { uid: meta?.uid ?? '', conditions: status?.conditions ?? [] };
  }

  async patchNodeConditions(name: string, conditions: NodeCondition[]): Promise<void> {
    // Strategic merge: conditions merge by `type`, so other owners' conditions are untouched.
    await this.ok(
      'PATCH',
      `/api/v1/nodes/${encodeURIComponent(name)}/status`,
      { status: { conditions } },
      'application/strategic-merge-patch+json',
    );
  }

  async recordEvent(ev: NodeEvent, nodeUid: string): Promise<{ count: number }> {
    const path = '/api/v1/namespaces/default/events';
    const created = await this.call('POST', path, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: ev.name, namespace: 'default' },
      involvedObject: { apiVersion: 'v1', kind: 'Node', name: ev.node, uid: nodeUid },
      reason: ev.reason,
      message: ev.message,
      type: ev.type,
      source: { component: 'certdrift', host: ev.node },
      firstTimestamp: ev.time,
      lastTimestamp: ev.time,
      count: 1,
    });
    if (created.status === 201 || created.status === 200) return { count: 1 };
    if (created.status !== 409)
      throw new ClusterError(
        `Kubernetes POST ${path}: ${created.status} ${messageOf(created)}`,
        created.status,
      );
    // Already recorded: bump it, as kubelet's event recorder does.
    const current = await this.ok('GET', `${path}/${encodeURIComponent(ev.name)}`);
    const count = (typeof current.body.count === 'number' ? current.body.count : 1) + 1;
    await this.ok(
      'PATCH',
      `${path}/${encodeURIComponent(ev.name)}`,
      { count, lastTimestamp: ev.time, message: ev.message },
      'application/merge-patch+json',
    );
    return { count };
  }

  async putReport(node: string, status: ReportSpec): Promise<void> {
    const path = `${GROUP}/${encodeURIComponent(node)}`;
    for (let attempt = 0; attempt < 3; attempt++) {
      let current = await this.call('GET', path);
      if (current.status === 404) {
        const made = await this.call('POST', GROUP, {
          apiVersion: 'certdrift.io/v1alpha1',
          kind: 'NodeCertificateReport',
          metadata: { name: node },
        });
        if (made.status === 409) continue; // created meanwhile: read it again
        if (made.status >= 300)
          throw new ClusterError(
            `Kubernetes POST ${GROUP}: ${made.status} ${messageOf(made)}`,
            made.status,
          );
        current = made;
      } else if (current.status >= 300) {
        throw new ClusterError(
          `Kubernetes GET ${path}: ${current.status} ${messageOf(current)}`,
          current.status,
        );
      }
      const meta = current.body.metadata as { resourceVersion?: string } | undefined;
      // The status subresource takes status only; resourceVersion makes a concurrent write a 409.
      const put = await this.call('PUT', `${path}/status`, {
        apiVersion: 'certdrift.io/v1alpha1',
        kind: 'NodeCertificateReport',
        metadata: { name: node, resourceVersion: meta?.resourceVersion },
        status,
      });
      if (put.status === 409) continue;
      if (put.status >= 300)
        throw new ClusterError(
          `Kubernetes PUT ${path}/status: ${put.status} ${messageOf(put)}`,
          put.status,
        );
      return;
    }
    throw new ClusterError(
      `Kubernetes PUT ${path}/status: still conflicting after 3 attempts`,
      409,
    );
  }
}
