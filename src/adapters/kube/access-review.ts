// TokenReview and SubjectAccessReview against the API server, for the agent's /metrics
// (agent/metrics-access.ts decides; this only asks). The same two calls kube-rbac-proxy and
// controller-runtime's metrics filter make: authentication.k8s.io/v1 TokenReview with the
// scraper's token, then authorization.k8s.io/v1 SubjectAccessReview with the user, groups, uid
// and extra the review returned and `nonResourceAttributes {path, verb}`. Each is one attempt:
// a scrape waits for no retry, and a failed review lets nobody in.

import type { AccessReviewer, ReviewedUser } from '../../model/access-review.js';
import type { Connection } from './connection.js';
import { KubeApi, messageOf } from './kube-api.js';
import { ClusterError } from '../../model/cluster.js';

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function extraOf(v: unknown): Record<string, string[]> | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const out: Record<string, string[]> = {};
  for (const [k, vals] of Object.entries(v as Record<string, unknown>)) out[k] = strings(vals);
  return out;
}

export class ApiAccessReviewer implements AccessReviewer {
  private readonly api: KubeApi;

  constructor(conn: Connection, userAgent: string) {
    this.api = new KubeApi(conn, { userAgent, maxAttempts: 1 });
  }

  async reviewToken(token: string): Promise<ReviewedUser | null> {
    const r = await this.api.call('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      spec: { token },
    });
    if (r.status !== 201 && r.status !== 200)
      throw new ClusterError(`TokenReview: ${r.status} ${messageOf(r)}`, r.status);
    const status = (r.body.status ?? {}) as Record<string, unknown>;
    if (status.authenticated !== true) return null;
    const user = (status.user ?? {}) as Record<string, unknown>;
    if (typeof user.username !== 'string' || user.username === '') return null;
    const extra = extraOf(user.extra);
    return {
      username: user.username,
      groups: strings(user.groups),
      ...(typeof user.uid === 'string' ? { uid: user.uid } : {}),
      ...(extra ? { extra } : {}),
    };
  }

  async reviewAccess(user: ReviewedUser, verb: string, path: string): Promise<boolean> {
    const r = await this.api.call('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: user.username,
        groups: user.groups,
        ...(user.uid ? { uid: user.uid } : {}),
        ...(user.extra ? { extra: user.extra } : {}),
        nonResourceAttributes: { path, verb },
      },
    });
    if (r.status !== 201 && r.status !== 200)
      throw new ClusterError(`SubjectAccessReview: ${r.status} ${messageOf(r)}`, r.status);
    const status = (r.body.status ?? {}) as Record<string, unknown>;
    return status.allowed === true && status.denied !== true;
  }
}
