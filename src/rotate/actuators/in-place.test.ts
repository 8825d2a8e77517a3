// The in-place actuator, pure: the Job's name and object, how a Job is judged, what is refused,
// and the step it makes of each situation — over real plans from the planner (planStep).

import { test } from 'node:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import {
  DEADLINE_BEFORE,
  jobFor,
  jobNameFor,
  judgeJob,
  labelsFor,
  labelValue,
  REPORT_GRACE_MS,
  refuseInPlace,
  type LiveJob,
} from './in-place.js';
import { DEADLINE_BEFORE_ANNOTATION } from '../../adapters/kube/renew-jobs.js';
import type { CertificateFacts } from '../../fleet/fleet.js';
import { formatRecord, ROTATION_ANNOTATION } from '../rotation-record.js';
import { readPolicy } from '../../fleet/read-policy.js';
import { inPlaceImageOf } from '../../cli/commands/rotate.js';
import { run } from '../../cli/main.js';
import type { Io } from '../../cli/command.js';
import { planStep, type RotateStep } from '../plan-step.js';
import type { LiveNode } from '../rotate-types.js';
import {
  fleetOf,
  liveNode,
  NOW,
  OPTIONS,
  policyOf,
  recordsToState,
} from '../../../test/rotate/fixtures.js';

const PLAN = 'p-1a2b3c4d';
const NS = 'certdrift';
const IMAGE = 'ghcr.io/certdrift/certdrift:0.1.0';
const SETTINGS = { namespace: NS, image: IMAGE };
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

const node = (name: string, extra: Partial<LiveNode> = {}, labels: Record<string, string> = {}) =>
  liveNode(name, labels, extra.annotations ?? {}, { uid: `uid-${name}`, ...extra });

function jobOf(n: LiveNode, extra: Partial<LiveJob> = {}): LiveJob {
  return {
    namespace: NS,
    name: jobNameFor(PLAN, n.name, n.uid),
    uid: `job-${n.name}`,
    labels: labelsFor(PLAN, n),
    nodeName: n.name,
    conditions: [],
    deleting: false,
    ...extra,
  };
}

test('the Job name: a DNS label of at most 63 characters, deterministic, new for a new node UID', () => {
  const long = `ip-10-0-0-1.${'x'.repeat(230)}.compute.internal`;
  for (const name of ['cp-1', 'CP_1', long, `${long}-b`, '...']) {
    const j = jobNameFor(PLAN, name, 'u1');
    assert.ok(j.length <= 63 && DNS_LABEL.test(j), j);
    assert.equal(j, jobNameFor(PLAN, name, 'u1'));
    assert.notEqual(j, jobNameFor(PLAN, name, 'u2'), 'a recreated node gets a new Job');
    assert.notEqual(j, jobNameFor('p-other', name, 'u1'), 'another plan gets a new Job');
  }
  assert.notEqual(jobNameFor(PLAN, long, 'u'), jobNameFor(PLAN, `${long}-b`, 'u'));
  assert.equal(labelValue('p-1a2b3c4d'), 'p-1a2b3c4d');
  const odd = labelValue(`my run/${'y'.repeat(80)}`);
  assert.ok(odd.length <= 63 && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(odd), odd);
});

test('the Job: pinned to the node, hostPID, the host root read-write, the image given, renew --apply, one attempt, the perNode deadline', () => {
  const n = node('cp-1');
  const job = jobFor(PLAN, n, SETTINGS, 15 * 60_000) as {
    metadata: { name: string; namespace: string; labels: Record<string, string> };
    spec: Record<string, unknown> & {
      template: { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } };
    };
  };
  assert.equal(job.metadata.namespace, NS);
  assert.equal(job.metadata.name, jobNameFor(PLAN, 'cp-1', 'uid-cp-1'));
  assert.equal(job.metadata.labels['certdrift.io/node-uid'], 'uid-cp-1');
  assert.equal(job.spec.backoffLimit, 0);
  assert.equal(job.spec.activeDeadlineSeconds, 900);
  const pod = job.spec.template.spec;
  assert.equal(pod.nodeName, 'cp-1');
  assert.equal(pod.hostPID, true);
  assert.equal(pod.restartPolicy, 'Never');
  assert.equal(pod.containers.length, 1);
  const [c] = pod.containers;
  assert.ok(c);
  assert.equal(c.image, IMAGE);
  assert.deepEqual(c.args, ['renew', '--apply', '--host-root=/host', '--output=json']);
  assert.deepEqual(c.volumeMounts, [
    { name: 'host', mountPath: '/host', mountPropagation: 'HostToContainer' },
  ]);
  assert.deepEqual(pod.volumes, [{ name: 'host', hostPath: { path: '/', type: 'Directory' } }]);
});

test('judging a Job: absent, foreign (labels or node), running, complete, failed with a clean bounded reason', () => {
  const n = node('cp-1');
  const judge = (jobs: LiveJob[]) => judgeJob(jobs, PLAN, n, NS);
  assert.equal(judge([]).kind, 'absent');
  assert.equal(judge([jobOf(n, { namespace: 'elsewhere' })]).kind, 'absent');
  assert.equal(judge([jobOf(n)]).kind, 'running');
  assert.equal(judge([jobOf(n, { labels: {} })]).kind, 'foreign');
  assert.equal(judge([jobOf(n, { nodeName: 'cp-2' })]).kind, 'foreign');
  const COMPLETE = [{ type: 'Complete', reason: '', message: '' }];
  const done = judge([jobOf(n, { conditions: COMPLETE, succeeded: 1 })]);
  assert.equal(done.kind, 'succeeded');
  // the Complete condition alone, without the job controller's count of succeeded pods: waited on
  const half = judge([jobOf(n, { conditions: COMPLETE })]);
  assert.deepEqual(half, {
    kind: 'running',
    note: `renew Job ${jobNameFor(PLAN, n.name, n.uid)} says Complete with status.succeeded 0: not trusted, waiting`,
  });
  const failed = judge([
    jobOf(n, {
      conditions: [
        {
          type: 'Failed',
          reason: 'PodFailurePolicy',
          message: `exit code 2\u001b[31m${'z'.repeat(1000)}`,
        },
      ],
    }),
  ]);
  assert.equal(failed.kind, 'failed');
  assert.match(failed.reason, /PodFailurePolicy: exit code 2/);
  assert.ok(!failed.reason.includes('\u001b'), 'no control character');
  assert.ok(failed.reason.length < 450, 'bounded');
});

test('refused: managed and kops nodes, nodes claiming k3s / RKE2, no image, no UID, a foreign Job', () => {
  const refuse = (n: LiveNode, jobs: LiveJob[] = [], settings: typeof SETTINGS = SETTINGS) =>
    refuseInPlace(n, settings, jobs, PLAN);
  assert.match(refuse(node('e', {}, { 'eks.amazonaws.com/nodegroup': 'ng' })) ?? '', /EKS/);
  assert.match(refuse(node('g', {}, { 'cloud.google.com/gke-nodepool': 'p' })) ?? '', /GKE/);
  assert.match(refuse(node('k', {}, { 'kops.k8s.io/instancegroup': 'ig' })) ?? '', /kops/);
  assert.match(
    refuse(node('r', { annotations: { 'rke2.io/node-args': '[]' } })) ?? '',
    /RKE2.*systemctl/,
  );
  assert.match(refuseInPlace(node('a'), undefined, [], PLAN) ?? '', /--in-place-image/);
  assert.match(refuse(node('u', { uid: '' })) ?? '', /UID/);
  const n = node('cp-1');
  assert.match(refuse(n, [jobOf(n, { labels: { x: 'y' } })]) ?? '', /did not create it/);
  assert.equal(refuse(n), null);
  assert.equal(refuse(n, [jobOf(n)]), null, 'its own Job is adopted, not refused');
});

// ---- the step, over real plans ----

const rec = (state: 'renewing' | 'renewed' | 'stuck', plan = PLAN, was?: 'renewing') => ({
  [ROTATION_ANNOTATION]: formatRecord({
    plan,
    state,
    since: NOW.toISOString(),
    ...(was ? { was } : {}),
  }),
});

/** a step over `nodes`; a record written as their annotation goes to the state object */
function step(
  recorded: LiveNode[],
  jobs: LiveJob[] = [],
  group = 'none',
  facts: CertificateFacts[] = [],
): RotateStep {
  const { nodes, state } = recordsToState(recorded);
  return planStep({
    fleet: fleetOf(nodes),
    state,
    facts,
    policy: policyOf({ groups: { [group]: { actuator: 'in-place', perNodeMs: 600_000 } } }),
    planId: PLAN,
    nodes,
    now: NOW,
    options: { ...OPTIONS, inPlace: SETTINGS },
    pods: [],
    nodeClaims: [],
    jobs,
  });
}
const summary = (s: RotateStep) => ({
  work: Object.fromEntries(s.work.map((w) => [w.node, `${w.actuator} ${w.state}`])),
  actions: s.actions.map(
    (a) => `${a.node} ${a.step} ${a.call?.method ?? (a.state ? 'STATE' : '')}`,
  ),
});

test('step: a fresh group starts one node with its Job then its record; the next waits', () => {
  const s = step([node('a'), node('b')]);
  assert.deepEqual(summary(s), {
    work: { a: 'in-place start', b: 'in-place not-yet' },
    actions: ['a create-renew-job POST', 'a record-renewing STATE'],
  });
  const create = s.actions[0]?.call;
  assert.ok(create);
  assert.equal(create.path, `/apis/batch/v1/namespaces/${NS}/jobs`);
  assert.equal(
    (create.body as { spec: { activeDeadlineSeconds: number } }).spec.activeDeadlineSeconds,
    600,
    "the group's perNode",
  );
});

test('step: running → waits; complete → recorded renewed (the slot held); renewed → the next starts', () => {
  const a = node('a', { annotations: rec('renewing') });
  const b = node('b');
  assert.deepEqual(summary(step([a, b], [jobOf(a)])), {
    work: { a: 'in-place continue', b: 'in-place over-limit' },
    actions: [],
  });
  const complete = jobOf(a, {
    conditions: [{ type: 'Complete', reason: '', message: '' }],
    succeeded: 1,
  });
  assert.deepEqual(summary(step([a, b], [complete])), {
    work: { a: 'in-place continue', b: 'in-place over-limit' },
    actions: ['a record-renewed STATE'],
  });
  const done = node('a', { annotations: rec('renewed') });
  assert.deepEqual(summary(step([done, b], [complete])), {
    work: { a: 'in-place renewed', b: 'in-place start' },
    actions: ['b create-renew-job POST', 'b record-renewing STATE'],
  });
  // a renewed record of another campaign is reported, never acted on (a person removes it)
  const old = node('a', { annotations: rec('renewed', 'p-older') });
  const w = step([old], []).work.find((x) => x.node === 'a');
  assert.ok(w);
  assert.equal(w.state, 'stuck');
  assert.match(w.note, /record of plan p-older .*not acted on/);
});

test('step: failed → stuck with the reason, recorded once, and nothing else starts; a Job gone → run again', () => {
  const a = node('a', { annotations: rec('renewing') });
  const b = node('b');
  const failed = jobOf(a, {
    conditions: [
      {
        type: 'Failed',
        reason: 'DeadlineExceeded',
        message: 'Job was active longer than specified deadline',
      },
    ],
  });
  const s = step([a, b], [failed]);
  assert.deepEqual(summary(s), {
    work: { a: 'in-place stuck', b: 'in-place over-limit' },
    actions: ['a record-stuck STATE'],
  });
  assert.match(s.work[0]?.note ?? '', /DeadlineExceeded/);
  const stuck = node('a', { annotations: rec('stuck', PLAN, 'renewing') });
  assert.deepEqual(summary(step([stuck, b], [failed])).actions, [], 'reported, not retried');
  assert.deepEqual(summary(step([a, b], [])).actions, ['a create-renew-job POST']);
});

test('step: an interrupted start adopts its Job; a retry deletes only its own failed Job (UID precondition); a foreign Job blocks', () => {
  const a = node('a');
  assert.deepEqual(summary(step([a], [jobOf(a)])).actions, ['a record-renewing STATE']);
  const failed = jobOf(a, {
    conditions: [{ type: 'Failed', reason: 'PodFailurePolicy', message: '' }],
  });
  const retry = step([a], [failed]);
  assert.deepEqual(summary(retry).actions, [
    'a delete-renew-job DELETE',
    'a create-renew-job POST',
    'a record-renewing STATE',
  ]);
  assert.deepEqual((retry.actions[0]?.call?.body as { preconditions: unknown }).preconditions, {
    uid: failed.uid,
  });
  const foreign = step([a, node('b')], [jobOf(a, { labels: {} })]);
  assert.deepEqual(summary(foreign), {
    work: { a: 'in-place blocked', b: 'in-place not-yet' },
    actions: [],
  });
  assert.match(foreign.work[0]?.note ?? '', /did not create it .*: refused/);
});

test('step: a managed group named in-place is blocked with the reason', () => {
  const ng = { 'eks.amazonaws.com/nodegroup': 'ng' };
  const s = step([node('e1', {}, ng), node('e2', {}, ng)], [], 'eks/ng');
  assert.deepEqual(summary(s), {
    work: { e1: 'in-place blocked', e2: 'in-place not-yet' },
    actions: [],
  });
  assert.match(s.work[0]?.note ?? '', /no CA key/);
});

test('the policy names the actuator per group; an unknown name is a problem with its line', () => {
  const ok = readPolicy('groups:\n  none: { actuator: in-place, perNode: 15m }\n');
  assert.deepEqual(ok.problems, []);
  assert.equal(ok.policy.groups.none?.actuator, 'in-place');
  const bad = readPolicy('groups:\n  none:\n    actuator: renew\n');
  assert.equal(bad.problems.length, 1);
  const [p] = bad.problems;
  assert.ok(p);
  assert.equal(p.key, 'groups.none.actuator');
  assert.equal(p.line, 3);
  assert.match(p.message, /expected kops, capi, karpenter, drain, in-place/);
});

test('--in-place-image takes an image reference, nothing with spaces or control characters', () => {
  assert.equal(inPlaceImageOf(undefined), undefined);
  assert.equal(inPlaceImageOf(IMAGE), IMAGE);
  const digest = `registry.local:5000/certdrift@sha256:${'a'.repeat(64)}`;
  assert.equal(inPlaceImageOf(digest), digest);
  for (const bad of ['', 'x y', 'img\n', '-rf', 'a'.repeat(600), true])
    assert.throws(() => inPlaceImageOf(bad), /--in-place-image/);
});

test("the Job's arguments are the renew command's own flags: the real CLI parses them (a host with nothing to renew: exit 3)", async () => {
  const job = jobFor(PLAN, node('cp-1'), SETTINGS, 60_000) as {
    spec: { template: { spec: { containers: { args: string[] }[] } } };
  };
  const args = job.spec.template.spec.containers[0]?.args ?? [];
  const host = mkdtempSync(join(tmpdir(), 'certdrift-in-place-host-'));
  let err = '';
  const io = {
    stdout: { write: () => true, isTTY: false },
    stderr: { write: (x: string) => ((err += x), true), isTTY: false },
    env: {},
  } as unknown as Io;
  const code = await run(
    args.map((a) => (a === '--host-root=/host' ? `--host-root=${host}` : a)),
    io,
  );
  assert.equal(code, 3, err);
  assert.match(err, /nothing certdrift can renew here/);
});

test("step: a Complete Job is believed only once the node's NodeCertificateReport deadline moved past the one recorded on the Job; past the grace it is stuck", () => {
  const a = node('a', { annotations: rec('renewing') });
  const before = new Date(NOW.getTime() - 86_400_000);
  const job = (completedAgoMs: number) =>
    jobOf(a, {
      conditions: [{ type: 'Complete', reason: '', message: '' }],
      succeeded: 1,
      completedAt: new Date(NOW.getTime() - completedAgoMs),
      annotations: { [DEADLINE_BEFORE]: before.toISOString() },
    });
  const facts = (deadline: Date | null): CertificateFacts[] => [
    { node: 'a', deadline, source: 'report' },
  ];
  // the report still shows the old deadline, the Job completed 10 minutes ago: waited for
  const waiting = step([a], [job(600_000)], 'none', facts(before));
  assert.deepEqual(summary(waiting), { work: { a: 'in-place continue' }, actions: [] });
  assert.match(waiting.work[0]?.note ?? '', /waiting for the node's NodeCertificateReport/);
  // it moved a year ahead: recorded renewed, the note says what proved it
  const later = new Date(NOW.getTime() + 365 * 86_400_000);
  const proven = step([a], [job(600_000)], 'none', facts(later));
  assert.deepEqual(summary(proven).actions, ['a record-renewed STATE']);
  assert.match(proven.work[0]?.note ?? '', /deadline moved from .* to /);
  // still the old deadline two hours after the Job completed: not trusted, recorded stuck
  const stuck = step([a], [job(2 * REPORT_GRACE_MS)], 'none', facts(before));
  assert.deepEqual(summary(stuck), {
    work: { a: 'in-place stuck' },
    actions: ['a record-stuck STATE'],
  });
  assert.match(stuck.work[0]?.note ?? '', /still shows deadline .*: not trusted/);
  // no report to cross-check: the job controller's word, said so
  const alone = step([a], [job(600_000)], 'none', []);
  assert.deepEqual(summary(alone).actions, ['a record-renewed STATE']);
  assert.match(alone.work[0]?.note ?? '', /no NodeCertificateReport deadline to cross-check/);
  // the Job the step creates records the report deadline it started from
  const fresh = step([node('c')], [], 'none', [{ node: 'c', deadline: before, source: 'report' }]);
  const create = fresh.actions.find((x) => x.step === 'create-renew-job');
  const meta = (create?.call?.body as { metadata: { annotations: Record<string, string> } })
    .metadata;
  assert.equal(meta.annotations[DEADLINE_BEFORE], before.toISOString());
});

test('the adapter keeps the annotation the rotator writes under the same name as the actuator', () => {
  assert.equal(DEADLINE_BEFORE_ANNOTATION, DEADLINE_BEFORE);
});
