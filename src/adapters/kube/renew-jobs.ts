// The in-place actuator's Jobs as the rotation sees them: every batch/v1 Job in the rotator's
// namespace, mapped to LiveJob (name, UID, labels, the node its pod template is pinned to, the
// conditions that are True). All of them, not only those with the rotator's labels: a Job that
// took the name of a node's renew Job without being the rotator's must be seen to be refused
// (src/rotate/actuators/in-place.ts judges it). Creating and deleting a Job are planned calls the
// rotation runs through RotateClient.execute, like every other action. Pod logs are never read:
// the node writes them; the Job's conditions, status.succeeded and completionTime are the job
// controller's; the one annotation kept (certdrift.io/deadline-before) is the rotator's own.

import type { LiveJob } from '../../rotate/actuators/in-place.js';

/** the rotator's own annotation (rotate/actuators/in-place.ts DEADLINE_BEFORE; a test keeps them equal) */
export const DEADLINE_BEFORE_ANNOTATION = 'certdrift.io/deadline-before';
import type { HttpCluster } from './http-cluster.js';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
const str = (v: unknown, max = 1024): string => (typeof v === 'string' ? v.slice(0, max) : '');

/** a namespace of certdrift's own holds a few Jobs per node in flight; more is not ours to page */
export const MAX_JOBS = 5000;

export function jobOf(v: unknown): LiveJob {
  const j = obj(v);
  const meta = obj(j.metadata);
  const labels: Record<string, string> = {};
  for (const [k, val] of Object.entries(obj(meta.labels)))
    if (typeof val === 'string') labels[k] = val;
  const status = obj(j.status);
  const conditions = status.conditions;
  // only the annotation the rotator itself writes on its Jobs is kept
  const before = obj(meta.annotations)[DEADLINE_BEFORE_ANNOTATION];
  const done = typeof status.completionTime === 'string' ? Date.parse(status.completionTime) : NaN;
  return {
    namespace: str(meta.namespace),
    name: str(meta.name),
    uid: str(meta.uid),
    labels,
    nodeName: str(obj(obj(obj(j.spec).template).spec).nodeName),
    conditions: (Array.isArray(conditions) ? conditions : [])
      .map(obj)
      .filter((c) => c.status === 'True')
      .slice(0, 32)
      .map((c) => ({ type: str(c.type, 64), reason: str(c.reason, 256), message: str(c.message) })),
    deleting: typeof meta.deletionTimestamp === 'string',
    succeeded:
      typeof status.succeeded === 'number' && Number.isFinite(status.succeeded)
        ? status.succeeded
        : 0,
    completedAt: Number.isNaN(done) ? null : new Date(done),
    annotations:
      typeof before === 'string' ? { [DEADLINE_BEFORE_ANNOTATION]: str(before, 64) } : {},
  };
}

/** every Job in `namespace` (paged; refused past MAX_JOBS) */
export async function listRenewJobs(cluster: HttpCluster, namespace: string): Promise<LiveJob[]> {
  const raw = await cluster.listAll(
    `/apis/batch/v1/namespaces/${encodeURIComponent(namespace)}/jobs`,
    {},
  );
  if (raw.length > MAX_JOBS)
    throw new Error(
      `namespace ${namespace} holds ${raw.length} Jobs (more than ${MAX_JOBS}): not reading them`,
    );
  return raw.map(jobOf);
}
