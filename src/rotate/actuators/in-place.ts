// The `in-place` actuator: instead of replacing a node, run `certdrift renew --apply` on it as a
// Job pinned to it (hostPID, the host root read-write at /host, the agent's image) and take the
// renew's own proof — exit 0: every consumer holds the new certificates — as the node's
// validation. Pure: the Job object for a node, how its outcome is judged, and what the actuator
// refuses. What is trusted for "renewed": the Job's status — its Complete condition AND
// status.succeeded ≥ 1, both written by kube-controller-manager's job controller (never pod logs,
// which the node writes) — and then, where the node has a NodeCertificateReport, its deadline
// having moved past the one it showed when the Job was made (recorded by the rotator on the Job,
// `certdrift.io/deadline-before`). The job controller still learns the pod's end from the node's
// kubelet (a node reports its own pods), so the report is the second witness: a Complete Job
// whose node still reports the old deadline is waited for, then recorded stuck. Both witnesses
// end at the node (its agent publishes the report), so they catch a renewal that did not take,
// not a node that lies (docs/rotate.md: what is trusted). The Job lives in the rotator's own
// namespace under a deterministic name (plan id + node name + node UID), so a rerun adopts the
// Job it made instead of making another, and a Job of that name the rotator did not make is
// refused, never adopted or deleted (DESIGN.md convention 13). It never drains or deletes a node.

import type { ActuatorDef } from './actuator.js';
import { recordAction as recordIn, type RecordContext } from './calls.js';
import type { ApiCall, LiveNode, NodeWork, RotateAction } from '../rotate-types.js';

/** what the in-place actuator needs from the operator (flags; never a node-written object) */
export interface InPlaceSettings {
  /** the rotator's namespace: the Jobs live there */
  namespace: string;
  /** the agent's image (the DaemonSet's), from --in-place-image */
  image: string;
  /** ttlSecondsAfterFinished: how long a finished Job (the outcome) stays readable */
  ttlSeconds?: number;
}

/** a batch/v1 Job in the rotator's namespace, as the rotation sees it */
export interface LiveJob {
  namespace: string;
  name: string;
  uid: string;
  labels: Readonly<Record<string, string>>;
  /** spec.template.spec.nodeName */
  nodeName: string;
  /** status.conditions with status True: type, reason, message */
  conditions: readonly { type: string; reason: string; message: string }[];
  deleting: boolean;
  /** status.succeeded: pods the job controller counted succeeded */
  succeeded?: number;
  /** status.completionTime (the job controller's) */
  completedAt?: Date | null;
  /** metadata.annotations the rotator wrote (`certdrift.io/deadline-before`) */
  annotations?: Readonly<Record<string, string>>;
}

export const RENEW_SERVICE_ACCOUNT = 'certdrift-renew';
export const MANAGED_BY = 'app.kubernetes.io/managed-by';
export const ROTATOR = 'certdrift-rotator';
export const PLAN_LABEL = 'certdrift.io/plan';
export const NODE_UID_LABEL = 'certdrift.io/node-uid';
export const NODE_ANNOTATION = 'certdrift.io/node';
export const DEFAULT_TTL_SECONDS = 86_400;
/** the node's report deadline when its Job was made (RFC 3339), written by the rotator */
export const DEADLINE_BEFORE = 'certdrift.io/deadline-before';
/** how long after its Job completed a node's report may take to show the later deadline */
export const REPORT_GRACE_MS = 3_600_000;
const CONTAINER = 'renew';
const MAX_NAME = 63;

/** distributions whose nodes hold no CA key: `certdrift renew` has nothing to renew there */
const MANAGED = new Set(['eks', 'gke', 'aks']);

/** FNV-1a 32 bits from a seed: two seeds give 64 bits, no crypto needed in a pure module */
function fnv1a(text: string, seed: number): string {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

const hash64 = (text: string): string => fnv1a(text, 0x811c9dc5) + fnv1a(text, 0x01234567);

/** a label value (≤ 63, [a-z0-9A-Z._-], alphanumeric ends): the text itself when it is one */
export function labelValue(text: string): string {
  if (/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/.test(text)) return text;
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 40)
    .replace(/^-+|-+$/g, '');
  return `${slug === '' ? 'x' : slug}-${hash64(text)}`;
}

/**
 * `certdrift-renew-<node>-<hash of plan, node, UID>`, at most 63 characters (a DNS label: the job
 * controller copies it into the label batch.kubernetes.io/job-name). The hash keeps two nodes
 * whose names share a long prefix apart, and a node recreated under the same name (new UID) gets
 * a new Job.
 */
export function jobNameFor(planId: string, node: string, uid: string): string {
  const h = hash64(`${planId}\n${node}\n${uid}`);
  const room = MAX_NAME - 'certdrift-renew-'.length - h.length - 1;
  const slug = node
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, room)
    .replace(/-+$/g, '');
  return `certdrift-renew-${slug === '' ? '' : `${slug}-`}${h}`;
}

export function labelsFor(planId: string, node: LiveNode): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'certdrift-renew',
    [MANAGED_BY]: ROTATOR,
    [PLAN_LABEL]: labelValue(planId),
    // the name for people and selectors (a hash when it is no label value); the UID for identity
    [NODE_ANNOTATION]: labelValue(node.name),
    [NODE_UID_LABEL]: labelValue(node.uid),
  };
}

/**
 * The Job that renews `node` in place; activeDeadlineSeconds is the group's perNode time.
 * `deadlineBefore`: the node's report deadline now, kept on the Job for the proof (renewalProof).
 */
export function jobFor(
  planId: string,
  node: LiveNode,
  settings: InPlaceSettings,
  perNodeMs: number,
  deadlineBefore: Date | null = null,
): Record<string, unknown> {
  const labels = labelsFor(planId, node);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobNameFor(planId, node.name, node.uid),
      namespace: settings.namespace,
      labels,
      annotations: {
        [NODE_ANNOTATION]: node.name,
        [PLAN_LABEL]: planId,
        ...(deadlineBefore ? { [DEADLINE_BEFORE]: deadlineBefore.toISOString() } : {}),
      },
    },
    spec: {
      // One attempt: a failed renew is a person's to read, not a loop's to repeat.
      backoffLimit: 0,
      activeDeadlineSeconds: Math.max(1, Math.ceil(perNodeMs / 1000)),
      ttlSecondsAfterFinished: settings.ttlSeconds ?? DEFAULT_TTL_SECONDS,
      // The exit code reaches the Job's Failed condition (reason PodFailurePolicy, the message
      // naming it): 2 = a consumer still holds the old certificate or a renewal was refused,
      // 3 = renew could not run.
      podFailurePolicy: {
        rules: [
          {
            action: 'FailJob',
            onExitCodes: { containerName: CONTAINER, operator: 'In', values: [1, 2, 3] },
          },
        ],
      },
      template: { metadata: { labels }, spec: renewPodSpec(node, settings) },
    },
  };
}

/** the renew pod: pinned to the node, the host's PID namespace and root, the agent's image */
function renewPodSpec(node: LiveNode, settings: InPlaceSettings): Record<string, unknown> {
  return {
    nodeName: node.name,
    hostPID: true,
    restartPolicy: 'Never',
    serviceAccountName: RENEW_SERVICE_ACCOUNT,
    automountServiceAccountToken: false,
    // nodeName bypasses the scheduler, but kubelet admission still checks taints
    tolerations: [
      { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists' },
      { key: 'node-role.kubernetes.io/master', operator: 'Exists' },
    ],
    containers: [renewContainer(settings.image)],
    volumes: [{ name: 'host', hostPath: { path: '/', type: 'Directory' } }],
  };
}

/** `certdrift renew --apply` as root with only the capabilities its reads and writes need */
function renewContainer(image: string): Record<string, unknown> {
  return {
    name: CONTAINER,
    image,
    args: ['renew', '--apply', '--host-root=/host', '--output=json'],
    securityContext: {
      runAsUser: 0,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      // as the agent (deploy/base/daemonset.yaml): read other processes' files
      appArmorProfile: { type: 'Unconfined' },
      seLinuxOptions: { type: 'spc_t' },
      capabilities: {
        drop: ['ALL'],
        // DAC_READ_SEARCH, SYS_PTRACE: the agent's reads; CHOWN, FOWNER, DAC_OVERRIDE:
        // atomic writes that keep each file's owner and mode
        add: ['CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'SYS_PTRACE'],
      },
    },
    resources: { requests: { cpu: '50m', memory: '96Mi' }, limits: { memory: '512Mi' } },
    volumeMounts: [{ name: 'host', mountPath: '/host', mountPropagation: 'HostToContainer' }],
  };
}

export type JobVerdict =
  | { kind: 'absent' }
  | { kind: 'foreign'; reason: string }
  | { kind: 'running'; note: string }
  | { kind: 'succeeded'; job: LiveJob }
  | { kind: 'failed'; reason: string; job: LiveJob };

/** control characters out, bounded: a condition message is data, not terminal input */
function clean(text: string, max = 300): string {
  const t = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}

/** the Job of this plan for this node, judged by its labels, its node and its conditions */
export function judgeJob(
  jobs: readonly LiveJob[],
  planId: string,
  node: LiveNode,
  namespace: string,
): JobVerdict {
  const name = jobNameFor(planId, node.name, node.uid);
  const job = jobs.find((j) => j.namespace === namespace && j.name === name);
  if (!job) return { kind: 'absent' };
  const want = labelsFor(planId, node);
  const off = Object.entries(want).filter(([k, v]) => job.labels[k] !== v);
  if (off.length > 0 || job.nodeName !== node.name)
    return {
      kind: 'foreign',
      reason: `Job ${namespace}/${name} exists but this rotator did not create it (${off.length > 0 ? `labels ${off.map(([k]) => k).join(', ')} differ` : `pinned to ${clean(job.nodeName, 80) || 'no node'}`}): refused, remove it by hand`,
    };
  const cond = (type: string) => job.conditions.find((c) => c.type === type);
  const failed = cond('Failed') ?? cond('FailureTarget');
  if (failed) {
    const why = [failed.reason, failed.message].filter((s) => s !== '').join(': ');
    return { kind: 'failed', reason: `renew Job ${name} failed: ${clean(why)}`, job };
  }
  // Both the job controller's: the Complete condition and its count of succeeded pods.
  if (cond('Complete') && (job.succeeded ?? 0) >= 1) return { kind: 'succeeded', job };
  if (cond('Complete'))
    return {
      kind: 'running',
      note: `renew Job ${name} says Complete with status.succeeded ${job.succeeded ?? 0}: not trusted, waiting`,
    };
  if (job.deleting) return { kind: 'running', note: `renew Job ${name} is being deleted` };
  return { kind: 'running', note: `renew Job ${name} running` };
}

export type RenewalProof =
  | { kind: 'proven'; note: string }
  | { kind: 'waiting'; note: string }
  | { kind: 'disproven'; reason: string };

/**
 * Whether a succeeded Job is believed: where the Job recorded the node's report deadline at its
 * creation and the node has a report now, that deadline must have moved forward; it may take
 * REPORT_GRACE_MS after the Job completed (`started`: when, if the Job has no completionTime).
 */
export function renewalProof(
  job: LiveJob,
  report: Date | null | undefined,
  now: Date,
  started: string,
): RenewalProof {
  const base = `renew Job ${job.name} Complete, status.succeeded ${job.succeeded ?? 0} (job controller)`;
  const before = Date.parse(job.annotations?.[DEADLINE_BEFORE] ?? '');
  if (Number.isNaN(before) || report === null || report === undefined)
    return { kind: 'proven', note: `${base}; no NodeCertificateReport deadline to cross-check` };
  const was = new Date(before).toISOString();
  if (report.getTime() > before)
    return {
      kind: 'proven',
      note: `${base}; its NodeCertificateReport deadline moved from ${was} to ${report.toISOString()}`,
    };
  const done = job.completedAt?.getTime() ?? Date.parse(started);
  if (now.getTime() - done > REPORT_GRACE_MS)
    return {
      kind: 'disproven',
      reason: `${base}, but the node's NodeCertificateReport still shows deadline ${report.toISOString()} (${was} before the renewal): not trusted`,
    };
  return {
    kind: 'waiting',
    note: `${base}; waiting for the node's NodeCertificateReport to show a deadline later than ${was}`,
  };
}

/** why the in-place actuator cannot work for this node; null when it can */
export function refuseInPlace(
  node: LiveNode,
  settings: InPlaceSettings | undefined,
  jobs: readonly LiveJob[],
  planId: string,
): string | null {
  if (MANAGED.has(node.kind))
    return `in-place: ${node.kind.toUpperCase()} nodes hold no CA key (a managed control plane): nothing renew can renew here, use another actuator`;
  if (node.kind === 'kops')
    return 'in-place: kops issues node certificates at boot (kops-controller, nodeup): replacement is the supported way, use the kops actuator';
  // A node-written annotation may only narrow what the rotator does, never widen it: a node that
  // claims to be k3s / RKE2 is refused, never trusted for anything else.
  const rancher = Object.keys(node.annotations).find((k) => /^(k3s|rke2)\.io\//.test(k));
  if (rancher !== undefined)
    return `in-place: a ${rancher.startsWith('k3s') ? 'k3s' : 'RKE2'} node — its rotation restarts the service through systemctl on the host, which renew runs only on the host itself, not from a pod: run certdrift renew on the node`;
  if (!settings) return "in-place: needs --in-place-image (the agent DaemonSet's image)";
  if (node.uid === '') return 'in-place: the Node has no UID to name its Job by';
  const v = judgeJob(jobs, planId, node, settings.namespace);
  return v.kind === 'foreign' ? v.reason : null;
}

const jobsPath = (ns: string): string => `/apis/batch/v1/namespaces/${encodeURIComponent(ns)}/jobs`;

/** the node's record in the rotation state object: renewing (Job made) or renewed (proven) */
function recordAction(ctx: RecordContext, state: 'renewing' | 'renewed'): RotateAction {
  return recordIn(
    ctx,
    state === 'renewing' ? 'record-renewing' : 'record-renewed',
    state === 'renewing'
      ? 'record the node renewing in place'
      : 'record the node renewed: its renew Job proved every consumer holds the new certificates',
    state,
  );
}

export interface InPlaceContext extends RecordContext {
  jobs: readonly LiveJob[];
  settings: InPlaceSettings | undefined;
  perNodeMs: number;
  /** the node's NodeCertificateReport deadline now; absent or null: it has none */
  reportDeadline?: Date | null;
}

/** a node's in-place actions: start (create or adopt its Job), continue (record the outcome) */
export function inPlaceActions(work: NodeWork, ctx: InPlaceContext): RotateAction[] {
  const { node, settings } = ctx;
  if (!settings || (work.state !== 'start' && work.state !== 'continue')) return [];
  const v = judgeJob(ctx.jobs, ctx.planId, node, settings.namespace);
  if (v.kind === 'foreign') return [];
  const job = jobFor(ctx.planId, node, settings, ctx.perNodeMs, ctx.reportDeadline ?? null);
  const name = jobNameFor(ctx.planId, node.name, node.uid);
  const create: RotateAction = {
    node: node.name,
    step: 'create-renew-job',
    summary: `create Job ${settings.namespace}/${name}: certdrift renew --apply on the node (image ${settings.image})`,
    call: { method: 'POST', path: jobsPath(settings.namespace), body: job },
  };
  const renewing = recordAction(ctx, 'renewing');
  if (work.state === 'continue') {
    if (v.kind === 'succeeded')
      return renewalProof(
        v.job,
        ctx.reportDeadline,
        ctx.now,
        ctx.record?.since ?? ctx.now.toISOString(),
      ).kind === 'proven'
        ? [recordAction(ctx, 'renewed')]
        : [];
    // its Job vanished (deleted by hand, or its TTL passed while no run looked): run it again —
    // renew is idempotent, and the proof is what counts
    return v.kind === 'absent' ? [create] : [];
  }
  if (v.kind === 'absent') return [create, renewing];
  if (v.kind === 'failed') {
    // A person cleared the stuck record to retry: the failed Job (ours, this UID only) goes first.
    const del: ApiCall = {
      method: 'DELETE',
      path: `${jobsPath(settings.namespace)}/${encodeURIComponent(name)}`,
      body: {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        propagationPolicy: 'Background',
        preconditions: { uid: v.job.uid },
      },
      absentIsDone: true,
    };
    return [
      {
        node: node.name,
        step: 'delete-renew-job',
        summary: `delete the failed Job ${settings.namespace}/${name} to run it again`,
        call: del,
      },
      create,
      renewing,
    ];
  }
  // ours, running or finished (an interrupted run made it): adopted, only the record is missing
  return [renewing];
}

/** the work of a node whose record says `renewing`: judged by its Job */
export function renewingWork(
  base: Pick<NodeWork, 'node' | 'group'>,
  since: string,
  node: LiveNode,
  jobs: readonly LiveJob[],
  planId: string,
  settings: InPlaceSettings | undefined,
  proof: { now: Date; report?: Date | null } | null = null,
): NodeWork {
  const w = { ...base, actuator: 'in-place' as const };
  if (!settings)
    return {
      ...w,
      state: 'stuck',
      note: `renewing since ${since}, but --in-place-image is not set`,
    };
  const v = judgeJob(jobs, planId, node, settings.namespace);
  switch (v.kind) {
    case 'foreign':
      return { ...w, state: 'stuck', note: v.reason, recordStuck: 'renewing' };
    case 'failed':
      return { ...w, state: 'stuck', note: v.reason, recordStuck: 'renewing' };
    case 'succeeded': {
      const p = renewalProof(v.job, proof?.report, proof?.now ?? new Date(0), since);
      if (p.kind === 'disproven')
        return { ...w, state: 'stuck', note: p.reason, recordStuck: 'renewing' };
      if (p.kind === 'waiting') return { ...w, state: 'continue', note: p.note };
      return { ...w, state: 'continue', note: `renewed and proven: ${p.note} (since ${since})` };
    }
    case 'absent':
      return {
        ...w,
        state: 'continue',
        note: `renewing since ${since}: its Job is gone, run again`,
      };
    case 'running':
      return { ...w, state: 'continue', note: `${v.note} (since ${since})` };
  }
}

/**
 * The registry's entry. A node's in-place work is its Job's (nodePlan hands every in-place node
 * to inPlaceActions before any drain logic); `start` serves callers that ask the registry alone.
 */
export const inPlaceActuator: ActuatorDef = {
  name: 'in-place',
  surges: false,
  finishedWhen: 'job-complete',
  needs: [],
  start: (ctx) => {
    const why = refuseInPlace(ctx.node, ctx.options.inPlace, ctx.jobs ?? [], ctx.planId);
    if (why !== null) return { refused: why };
    return {
      actions: inPlaceActions(
        {
          node: ctx.node.name,
          group: ctx.node.group,
          actuator: 'in-place',
          state: 'start',
          note: '',
        },
        {
          ...ctx,
          jobs: ctx.jobs ?? [],
          settings: ctx.options.inPlace,
          perNodeMs: ctx.perNodeMs ?? 20 * 60_000,
        },
      ),
    };
  },
};
