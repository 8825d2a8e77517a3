// The in-place actuator on the REAL control plane: the rotator (its own ServiceAccount, the RBAC
// of deploy/rotator + actuators/in-place) creates a renew Job pinned to one node at a time; the
// real job controller (kube-controller-manager) turns the pod's end into the Job's conditions,
// and those alone decide: KWOK plays a kubelet whose renew exits 0 (its pod-complete stage for
// Job-owned pods), and for a failing renew the test writes the pod's status as kubelet would
// (terminated, exit code 2: a consumer still holds the old certificate) on a node KWOK leaves
// alone. Success validates the node and the next one starts; failure leaves it stuck with the
// reason and starts nothing; a rerun adopts its own Job; a Job of the same name made by someone
// else is refused and left alone; the rotator uses exactly the verbs its Role grants.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/command.js';
import { DEFAULT_POLICY, type PlanPolicy } from '../../src/fleet/plan-policy.js';
import { runStep, type RotateEdge, type StepRun } from '../../src/rotate/index.js';
import type { RotateClient } from '../../src/adapters/kube/rotate-client.js';
import { jobFor, jobNameFor, NODE_UID_LABEL } from '../../src/rotate/actuators/in-place.js';
import type { RotateOptions } from '../../src/rotate/rotate-types.js';
import type { Obj } from '../support/control-plane/index.js';
import { renderDeploy, renderOverlay } from '../support/deploy-manifests.js';
import { relocate } from '../support/control-plane/install.js';
import { DAY_MS, recordOf, removeRecord, rotatorLab, type RotatorLab } from './rotator-cluster.js';

const IMAGE = 'ghcr.io/certdrift/certdrift:0.1.0';
const PLAN = 'p-in-place';
const policy: PlanPolicy = { ...DEFAULT_POLICY, groups: { none: { actuator: 'in-place' } } };

function settingsOf(lab: RotatorLab) {
  const options: RotateOptions = {
    afterDrain: 'none',
    drainTimeoutMs: 3_600_000,
    inPlace: { namespace: lab.namespace, image: IMAGE },
    // the fixture's nodes are due by their reports only, all at once (report-jump.ts)
  };
  return { policy, planId: PLAN, options, apply: true };
}

const results = (r: StepRun): string[] =>
  r.outcomes.map((o) => `${o.action.node} ${o.action.step} ${o.result}`);
const stateOf = (r: StepRun, node: string): string | undefined =>
  r.step.work.find((w) => w.node === node)?.state;

async function uidOf(lab: RotatorLab, node: string): Promise<string> {
  const n = await lab.get(`/api/v1/nodes/${node}`);
  const uid = n?.metadata?.uid;
  return typeof uid === 'string' ? uid : '';
}

async function jobOf(lab: RotatorLab, node: string): Promise<Obj | null> {
  const name = jobNameFor(PLAN, node, await uidOf(lab, node));
  return lab.get(`/apis/batch/v1/namespaces/${lab.namespace}/jobs/${name}`);
}

const conditionOf = (job: Obj | null, type: string) =>
  (
    (job?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ??
    []
  ).find((c) => c.type === type && c.status === 'True');

/**
 * The nodes' agents after a renewal, one pass: for each renew Job the job controller marked
 * Complete, its node's NodeCertificateReport now shows a deadline a year ahead (the agent rescans
 * the renewed files). Until then a Complete Job is not believed (actuators/in-place.ts).
 */
async function agentsPublish(lab: RotatorLab): Promise<string[]> {
  const published: string[] = [];
  for (const job of await lab.cp.admin.list(`/apis/batch/v1/namespaces/${lab.namespace}/jobs`)) {
    if (!conditionOf(job, 'Complete')) continue;
    const node = (job.metadata?.annotations as Record<string, string> | undefined)?.[
      'certdrift.io/node'
    ];
    if (node === undefined) continue;
    const r = await lab.cp.admin.request(
      'PATCH',
      `/apis/certdrift.io/v1alpha1/nodecertificatereports/${node}/status`,
      { status: { deadline: new Date(Date.now() + 365 * DAY_MS).toISOString() } },
      'application/merge-patch+json',
    );
    if (r.status === 200) published.push(node);
  }
  return published;
}

async function jobFinished(
  lab: RotatorLab,
  node: string,
  type: 'Complete' | 'Failed' | 'FailureTarget',
) {
  await lab.cp.waitFor(`the renew Job of ${node} ${type}`, 30_000, async () =>
    conditionOf(await jobOf(lab, node), type) ? true : undefined,
  );
}

test('in-place: a Job pinned to the node renews it; success validates it and the next node starts; a rerun adopts its Job', async (t) => {
  const lab = await rotatorLab(t, ['in-place']);
  if (!lab) return;
  const client = lab.client();
  const s = settingsOf(lab);
  const n1 = lab.name('cp1');
  const n2 = lab.name('cp2');
  await lab.oldNode(n1, {}, 2 * DAY_MS); // due first
  await lab.oldNode(n2, {}, DAY_MS);

  // Step 1: n1's Job, then its record; n2 is planned after it (the group does one at a time).
  const s1 = await runStep(client, s, new Date());
  assert.deepEqual(results(s1), [`${n1} create-renew-job done`, `${n1} record-renewing done`]);
  assert.equal(stateOf(s1, n2), 'not-yet');
  assert.equal(await recordOf(lab, n1), 'renewing');

  // The Job as the server keeps it: pinned, host PID, host root read-write, the agent's image.
  const job = await jobOf(lab, n1);
  assert.ok(job, 'the Job exists under its deterministic name');
  const name = String(job.metadata?.name);
  assert.ok(name.length <= 63, name);
  const spec = job.spec as {
    backoffLimit: number;
    activeDeadlineSeconds: number;
    ttlSecondsAfterFinished: number;
    template: { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } };
  };
  assert.equal(spec.backoffLimit, 0);
  assert.equal(spec.activeDeadlineSeconds, DEFAULT_POLICY.perNodeMs / 1000, "the group's perNode");
  assert.ok(spec.ttlSecondsAfterFinished > 0);
  const pod = spec.template.spec;
  assert.equal(pod.nodeName, n1);
  assert.equal(pod.hostPID, true);
  assert.equal(pod.restartPolicy, 'Never');
  assert.equal(pod.serviceAccountName, 'certdrift-renew');
  assert.equal(pod.automountServiceAccountToken, false);
  assert.deepEqual(pod.volumes, [{ name: 'host', hostPath: { path: '/', type: 'Directory' } }]);
  const c = pod.containers[0] as {
    image: string;
    args: string[];
    volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
  };
  assert.equal(c.image, IMAGE);
  assert.deepEqual(c.args, ['renew', '--apply', '--host-root=/host', '--output=json']);
  assert.equal(c.volumeMounts.length, 1);
  const [mount] = c.volumeMounts;
  assert.ok(mount);
  assert.equal(mount.mountPath, '/host');
  assert.notEqual(mount.readOnly, true, 'the host root is writable');
  assert.ok(
    (pod.tolerations as { key: string }[]).some(
      (x) => x.key === 'node-role.kubernetes.io/control-plane',
    ),
  );
  const labels = job.metadata?.labels as Record<string, string>;
  assert.equal(labels['certdrift.io/plan'], PLAN);
  assert.equal(labels[NODE_UID_LABEL], await uidOf(lab, n1));
  assert.equal(labels['certdrift.io/node'], n1);
  assert.equal(
    (job.metadata?.annotations as Record<string, string>)['certdrift.io/node'],
    n1,
    'the node is named',
  );

  // KWOK runs the pod to exit 0; the job controller marks the Job Complete.
  await jobFinished(lab, n1, 'Complete');
  assert.equal(
    (job.metadata?.annotations as Record<string, string>)['certdrift.io/deadline-before'],
    new Date(
      String(
        (
          (await lab.get(`/apis/certdrift.io/v1alpha1/nodecertificatereports/${n1}`))?.status as
            { deadline?: string } | undefined
        )?.deadline,
      ),
    ).toISOString(),
    'the Job keeps the report deadline it started from',
  );
  // Complete, but the node's report still shows the old deadline: not believed yet.
  const waiting = await runStep(client, s, new Date());
  assert.deepEqual(results(waiting), []);
  assert.match(
    waiting.step.work.find((w) => w.node === n1)?.note ?? '',
    /waiting for the node's NodeCertificateReport/,
  );
  assert.equal(await recordOf(lab, n1), 'renewing');
  // The agent rescans: its report shows the later deadline.
  assert.deepEqual(await agentsPublish(lab), [n1]);
  // Step 2: n1 validated by its Job and its report (it holds its slot this step); n2 waits.
  const s2 = await runStep(client, s, new Date());
  assert.deepEqual(results(s2), [`${n1} record-renewed done`]);
  assert.equal(stateOf(s2, n2), 'over-limit');
  assert.equal(await recordOf(lab, n1), 'renewed');
  // Step 3: n1 done, n2 starts.
  const s3 = await runStep(client, s, new Date());
  assert.equal(stateOf(s3, n1), 'renewed');
  assert.deepEqual(results(s3), [`${n2} create-renew-job done`, `${n2} record-renewing done`]);

  // Interrupted between the Job and the record: the record is lost, the Job is there. A rerun
  // adopts the Job (no second create) and writes only the record.
  await removeRecord(lab, n2);
  const mark = lab.cp.auditMark();
  const s4 = await runStep(client, s, new Date());
  assert.deepEqual(results(s4), [`${n2} record-renewing done`]);
  const calls = await lab.cp.audit(lab.user, mark);
  assert.deepEqual(
    calls.filter((e) => e.objectRef?.resource === 'jobs').map((e) => e.verb),
    ['list'],
    'adopted: listed, not created again',
  );
  const uid2 = await uidOf(lab, n2);
  const mine = await lab.cp.admin.list(
    `/apis/batch/v1/namespaces/${lab.namespace}/jobs?labelSelector=${NODE_UID_LABEL}=${uid2}`,
  );
  assert.equal(mine.length, 1, 'one Job for n2');
  // the first node was never drained or deleted
  const n1Node = await lab.get(`/api/v1/nodes/${n1}`);
  assert.ok(n1Node);
  assert.notEqual((n1Node.spec as { unschedulable?: boolean }).unschedulable, true);
});

test('in-place: a renew that exits 2 leaves the node stuck with the reason and starts no other; a retry replaces only its own failed Job; the Role is exactly what the run uses', async (t) => {
  const lab = await rotatorLab(t, ['in-place']);
  if (!lab) return;
  const { cp } = lab;
  const client = lab.client();
  const s = settingsOf(lab);
  // f1: no KWOK (the test is its kubelet); f2: a healthy node due after it
  const f1 = lab.name('f1');
  const f2 = lab.name('f2');
  await lab.oldNode(f1, { kubelet: false }, 2 * DAY_MS);
  await lab.oldNode(f2, {}, DAY_MS);
  const mark = cp.auditMark();

  const s1 = await runStep(client, s, new Date());
  assert.deepEqual(results(s1), [`${f1} create-renew-job done`, `${f1} record-renewing done`]);
  // The renew's pod ends as kubelet reports a container that exited 2.
  const job = await jobOf(lab, f1);
  const jobUid = String(job?.metadata?.uid);
  const pod = await cp.waitFor(`the pod of the renew Job of ${f1}`, 30_000, async () => {
    const [p] = await cp.admin.list(
      `/api/v1/namespaces/${lab.namespace}/pods?labelSelector=batch.kubernetes.io/controller-uid=${jobUid}`,
    );
    return p;
  });
  const now = new Date().toISOString();
  await cp.admin.patch(
    `/api/v1/namespaces/${lab.namespace}/pods/${String(pod.metadata?.name)}/status`,
    {
      status: {
        phase: 'Failed',
        containerStatuses: [
          {
            name: 'renew',
            image: IMAGE,
            imageID: '',
            ready: false,
            restartCount: 0,
            state: {
              terminated: { exitCode: 2, reason: 'Error', startedAt: now, finishedAt: now },
            },
          },
        ],
      },
    },
    'strategic',
  );
  await jobFinished(lab, f1, 'Failed');

  // Stuck with the job controller's reason (the exit code), recorded; f2 does not start.
  const s2 = await runStep(client, s, new Date());
  const w1 = s2.step.work.find((w) => w.node === f1);
  assert.equal(w1?.state, 'stuck');
  assert.match(w1.note, /PodFailurePolicy.*exit code 2/);
  assert.deepEqual(results(s2), [`${f1} record-stuck done`]);
  assert.equal(stateOf(s2, f2), 'over-limit');
  assert.equal(await recordOf(lab, f1), 'stuck/renewing');
  const s3 = await runStep(client, s, new Date());
  assert.deepEqual(results(s3), [], 'reported, not retried');
  assert.equal(stateOf(s3, f2), 'over-limit', 'no next node while one is stuck');

  // A person clears the record to retry: the failed Job (this UID) is deleted, a new one made.
  await removeRecord(lab, f1);
  const s4 = await runStep(client, s, new Date());
  assert.deepEqual(results(s4), [
    `${f1} delete-renew-job done`,
    `${f1} create-renew-job done`,
    `${f1} record-renewing done`,
  ]);
  const again = await jobOf(lab, f1);
  assert.ok(again && String(again.metadata?.uid) !== jobUid, 'a new Job');

  // RBAC: no refusal, and the jobs verbs used are exactly those the in-place Role grants.
  const calls = await cp.audit(lab.user, mark);
  assert.deepEqual(
    calls.filter((e) => e.responseStatus?.code === 403).map((e) => e.requestURI),
    [],
  );
  const used = [
    ...new Set(calls.filter((e) => e.objectRef?.resource === 'jobs').map((e) => e.verb)),
  ].sort();
  const role = renderOverlay(['rotator'], ['rotator/actuators/in-place']).find(
    (m) => m.kind === 'Role' && m.metadata.name === 'certdrift-rotator-in-place',
  );
  const rules = (role?.rules ?? []) as {
    apiGroups: string[];
    resources: string[];
    verbs: string[];
  }[];
  assert.deepEqual(
    rules.map((r) => [r.apiGroups, r.resources]),
    [[['batch'], ['jobs']]],
  );
  assert.deepEqual(used, [...(rules[0]?.verbs ?? [])].sort(), 'every granted verb used, no other');
  assert.ok(
    calls
      .filter((e) => e.objectRef?.resource === 'jobs')
      .every((e) => e.objectRef?.namespace === lab.namespace),
    "only the rotator's own namespace",
  );
});

test('in-place: a Job with the renew name that the rotator did not create is refused, never adopted or deleted', async (t) => {
  const lab = await rotatorLab(t, ['in-place']);
  if (!lab) return;
  const { cp } = lab;
  const client = lab.client();
  const x1 = lab.name('x1');
  await lab.oldNode(x1);
  const name = jobNameFor(PLAN, x1, await uidOf(lab, x1));
  const foreign = await cp.admin.create(`/apis/batch/v1/namespaces/${lab.namespace}/jobs`, {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'someone-else' } },
    spec: {
      suspend: true,
      template: {
        spec: {
          restartPolicy: 'Never',
          nodeName: x1,
          containers: [{ name: 'x', image: 'example.invalid/x:1' }],
        },
      },
    },
  });
  const r = await runStep(client, settingsOf(lab), new Date());
  const w = r.step.work.find((x) => x.node === x1);
  assert.equal(w?.state, 'blocked');
  assert.match(w.note, /did not create it/);
  assert.deepEqual(results(r), []);
  assert.equal(await recordOf(lab, x1), '-', 'no record written');
  const still = await lab.get(`/apis/batch/v1/namespaces/${lab.namespace}/jobs/${name}`);
  assert.equal(still?.metadata?.uid, foreign.metadata?.uid, 'left alone');
});

test('deploy/rotator/actuators/in-place on the real API server: every object valid (server-side dry run), and the Job it makes admitted', async (t) => {
  const lab = await rotatorLab(t, ['in-place']);
  if (!lab) return;
  const { cp } = lab;
  const ns = await cp.namespace(t, 'in-place');
  const { objects } = relocate(renderOverlay(['rotator'], ['rotator/actuators/in-place']), ns);
  for (const o of objects) await cp.admin.apply(o, o.kind !== 'ServiceAccount');
  const d = objects.find((o) => o.kind === 'Deployment');
  const args = (d?.spec as { template: { spec: { containers: { args: string[] }[] } } }).template
    .spec.containers[0]?.args;
  const agent = renderDeploy('base').find((o) => o.kind === 'DaemonSet');
  const agentImage = (
    agent?.spec as { template: { spec: { containers: { image: string }[] } } } | undefined
  )?.template.spec.containers[0]?.image;
  assert.equal(agentImage, IMAGE);
  assert.ok(
    args?.includes(`--in-place-image=${agentImage}`),
    "the Deployment names the agent DaemonSet's image",
  );
  // The Job the rotator would make for a node, admitted by the real server (dry run).
  const node = lab.name('d1');
  await lab.node(node);
  const live = {
    name: node,
    uid: await uidOf(lab, node),
    group: 'none',
    kind: 'none' as const,
    labels: {},
    annotations: {},
    unschedulable: false,
    providerID: '',
  };
  const job = jobFor(PLAN, live, { namespace: ns, image: IMAGE }, DEFAULT_POLICY.perNodeMs);
  const admitted = await cp.admin.request(
    'POST',
    `/apis/batch/v1/namespaces/${ns}/jobs?dryRun=All`,
    job,
  );
  assert.equal(admitted.status, 201, admitted.text);
});

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = {
    stdout: { write: (x: string) => ((out += x), true), isTTY: false },
    stderr: { write: (x: string) => ((err += x), true), isTTY: false },
    env: {},
  } as unknown as Io;
  const code = await run(args, io);
  return { code, out, err };
}

test('certdrift rotate --actuator in-place: the dry run prints the Job and writes nothing; --apply --wait renews node by node to the end', async (t) => {
  const lab = await rotatorLab(t, ['in-place']);
  if (!lab) return;
  const a = lab.name('a');
  const b = lab.name('b');
  await lab.oldNode(a, {}, 2 * DAY_MS);
  await lab.oldNode(b, {}, DAY_MS);
  const base = [
    'rotate',
    '--kubernetes',
    lab.kubeconfig(),
    '--selector',
    lab.selector,
    '--fleet-selector',
    lab.selector,
    '--namespace',
    lab.namespace,
    '--actuator',
    'in-place',
    '--in-place-image',
    IMAGE,
  ];
  const mark = lab.cp.auditMark();
  const dry = await cli(base);
  assert.equal(dry.code, 0, dry.err);
  assert.match(dry.out, /dry run: nothing changed/);
  assert.match(dry.out, new RegExp(`${a} {2}none {2}in-place {2}start`));
  assert.match(dry.out, new RegExp(`POST /apis/batch/v1/namespaces/${lab.namespace}/jobs`));
  assert.match(dry.out, /"args":\["renew","--apply","--host-root=\/host","--output=json"\]/);
  const writes = (await lab.cp.audit(lab.user, mark)).filter(
    (e) => !['get', 'list', 'watch'].includes(e.verb),
  );
  assert.deepEqual(
    writes.map((e) => `${e.verb} ${e.objectRef?.resource ?? ''}`),
    [],
    'the dry run writes nothing',
  );

  // the agents publish while the run waits (every 500 ms)
  let publishing = true;
  const agents = (async () => {
    while (publishing) {
      await agentsPublish(lab);
      await new Promise((res) => setTimeout(res, 500));
    }
  })();
  const r = await cli([
    ...base,
    '--apply',
    '--wait',
    '--poll-interval',
    '1s',
    '-o',
    'json',
  ]).finally(() => {
    publishing = false;
  });
  await agents;
  assert.equal(r.code, 0, r.err);
  const doc = JSON.parse(r.out) as { run: { end: string; finished: string[] } };
  assert.equal(doc.run.end, 'finished', r.out);
  assert.deepEqual([...doc.run.finished].sort(), [a, b].sort());
  assert.equal(await recordOf(lab, a), 'renewed');
  assert.equal(await recordOf(lab, b), 'renewed');
  const jobs = await lab.cp.admin.list(`/apis/batch/v1/namespaces/${lab.namespace}/jobs`);
  assert.equal(jobs.length, 2, 'one Job per node');
  assert.ok(jobs.every((j) => conditionOf(j, 'Complete')));
});

class Killed extends Error {}

/** the rotator's client, dying right after its `after`-th write reached the server */
function dyingAfter(client: RotateClient, after: number): RotateEdge & { calls: number } {
  let dead = false;
  const guard = <T>(f: () => Promise<T>): Promise<T> =>
    dead ? Promise.reject(new Killed('killed')) : f();
  const edge = {
    calls: 0,
    readFleet: () => guard(() => client.readFleet()),
    listPods: (n: ReadonlySet<string>) => guard(() => client.listPods(n)),
    listNodeClaims: () => guard(() => client.listNodeClaims()),
    listMachines: () => guard(() => client.listMachines()),
    listMachineHealthChecks: () => guard(() => client.listMachineHealthChecks()),
    listJobs: (ns: string) => guard(() => client.listJobs(ns)),
    execute: (call: Parameters<RotateClient['execute']>[0]) =>
      guard(async () => {
        const r = await client.execute(call);
        edge.calls++;
        if (edge.calls === after) dead = true;
        return r;
      }),
    readState: () => guard(() => client.readState()),
    writeState: (change: Parameters<RotateClient['writeState']>[0]) =>
      guard(async () => {
        const r = await client.writeState(change);
        edge.calls++;
        if (edge.calls === after) dead = true;
        return r;
      }),
  };
  return edge;
}

/** steps (as fresh runs) until both nodes are renewed; a killed edge ends early */
async function stepsUntilRenewed(lab: RotatorLab, edge: RotateEdge, nodes: string[]) {
  for (let i = 0; i < 60; i++) {
    try {
      await runStep(edge, settingsOf(lab), new Date());
    } catch (e) {
      if (e instanceof Killed) return;
      throw e;
    }
    const records = await Promise.all(nodes.map((n) => recordOf(lab, n)));
    if (records.every((r) => r === 'renewed')) return;
    await agentsPublish(lab);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('not renewed after 60 steps');
}

test('in-place: killed after each write and resumed — the same end state and the same writes, one Job per node', async (t) => {
  const WRITES = 6; // per node: create the Job, record renewing, record renewed
  let updates: number | undefined;
  for (let n = 1; n <= WRITES; n++) {
    const lab = await rotatorLab(t, ['in-place']);
    if (!lab) return;
    const a = lab.name('a');
    const b = lab.name('b');
    await lab.oldNode(a, {}, 2 * DAY_MS);
    await lab.oldNode(b, {}, DAY_MS);
    const mark = lab.cp.auditMark();
    const dying = dyingAfter(lab.client(), n);
    await stepsUntilRenewed(lab, dying, [a, b]);
    assert.equal(dying.calls, n, `killed after write ${n}`);
    await stepsUntilRenewed(lab, lab.client(), [a, b]);
    assert.deepEqual([await recordOf(lab, a), await recordOf(lab, b)], ['renewed', 'renewed']);
    const writes: Record<string, number> = {};
    for (const e of await lab.cp.audit(lab.user, mark)) {
      if (['get', 'list', 'watch'].includes(e.verb)) continue;
      if ((e.responseStatus?.code ?? 0) >= 300) continue;
      const k = `${e.verb} ${e.objectRef?.resource ?? ''}/${e.objectRef?.name ?? ''}`;
      writes[k] = (writes[k] ?? 0) + 1;
    }
    assert.deepEqual(
      writes,
      {
        [`create jobs/${jobNameFor(PLAN, a, await uidOf(lab, a))}`]: 1,
        [`create jobs/${jobNameFor(PLAN, b, await uidOf(lab, b))}`]: 1,
        // the records: the state object created once, then updated — the same count after a
        // kill at any write (at least renewing and renewed per node); no Node is patched
        'create configmaps/certdrift-rotation-state': 1,
        'update configmaps/certdrift-rotation-state': (updates ??= Math.max(
          3,
          writes['update configmaps/certdrift-rotation-state'] ?? 0,
        )),
      },
      `after a kill at write ${n}`,
    );
    const jobs = await lab.cp.admin.list(`/apis/batch/v1/namespaces/${lab.namespace}/jobs`);
    assert.equal(jobs.length, 2, `one Job per node after a kill at write ${n}`);
  }
});

/**
 * A renew whose node never runs it (no kubelet): past the group's perNode (2 s) the job controller
 * fails the Job (DeadlineExceeded); the node is recorded stuck; a person clears the record and
 * the retry deletes the failed Job and makes a new one. Returns what each step did.
 */
async function deadlineFlow(lab: RotatorLab) {
  const s = {
    ...settingsOf(lab),
    policy: { ...policy, groups: { none: { actuator: 'in-place' as const, perNodeMs: 2000 } } },
  };
  const client = lab.client();
  const d1 = lab.name('d1');
  await lab.oldNode(d1, { kubelet: false });
  const mark = lab.cp.auditMark();
  const steps: StepRun[] = [];
  const errors: string[] = [];
  const step = async (): Promise<StepRun | undefined> => {
    try {
      const r = await runStep(client, s, new Date());
      steps.push(r);
      for (const o of r.outcomes) if (o.result === 'failed') errors.push(o.message ?? '');
      return r;
    } catch (e) {
      errors.push((e as Error).message);
      return undefined;
    }
  };
  const flow = async () => {
    const s1 = await step();
    if (!s1?.outcomes.some((o) => o.action.step === 'create-renew-job' && o.result === 'done'))
      return;
    // The job controller decides at once (FailureTarget) and adds Failed only when the pod is
    // gone — which needs a kubelet to confirm its deletion; this node has none (a hung node).
    await jobFinished(lab, d1, 'FailureTarget');
    await step();
    await removeRecord(lab, d1);
    await step();
  };
  await flow();
  return { d1, steps, errors, calls: await lab.cp.audit(lab.user, mark) };
}

test('in-place: past the group perNode the Job fails (DeadlineExceeded): stuck with that reason; the retry replaces the Job', async (t) => {
  const lab = await rotatorLab(t, ['in-place']);
  if (!lab) return;
  const { d1, steps, errors } = await deadlineFlow(lab);
  assert.deepEqual(errors, []);
  assert.deepEqual(steps.map(results), [
    [`${d1} create-renew-job done`, `${d1} record-renewing done`],
    [`${d1} record-stuck done`],
    [`${d1} delete-renew-job done`, `${d1} create-renew-job done`, `${d1} record-renewing done`],
  ]);
  assert.match(steps[1]?.step.work.find((w) => w.node === d1)?.note ?? '', /DeadlineExceeded/);
  const job = await jobOf(lab, d1);
  assert.equal((job?.spec as { activeDeadlineSeconds?: number }).activeDeadlineSeconds, 2);
});

test('in-place RBAC: removing any verb of the in-place Role makes exactly the call that needs it fail (403 from the real authorizer), and the run says so', async (t) => {
  const full = renderOverlay(['rotator'], ['rotator/actuators/in-place']);
  const role = full.find(
    (m) => m.kind === 'Role' && m.metadata.name === 'certdrift-rotator-in-place',
  );
  assert.ok(role);
  const verbs = (role.rules as { verbs: string[] }[])[0]?.verbs ?? [];
  assert.deepEqual([...verbs].sort(), ['create', 'delete', 'list']);
  for (const verb of verbs)
    await t.test(`without jobs:${verb}`, async (st) => {
      const manifests = structuredClone(full);
      const r = manifests.find(
        (m) => m.kind === 'Role' && m.metadata.name === 'certdrift-rotator-in-place',
      );
      const rule = (r?.rules as { verbs: string[] }[] | undefined)?.[0];
      assert.ok(rule);
      rule.verbs = rule.verbs.filter((v) => v !== verb);
      const lab = await rotatorLab(st, ['in-place'], manifests);
      if (!lab) return;
      const { calls, errors } = await deadlineFlow(lab);
      const denied = calls.filter((e) => e.responseStatus?.code === 403);
      assert.ok(denied.length > 0, 'some call was refused');
      assert.ok(
        denied.every((e) => e.verb === verb && e.objectRef?.resource === 'jobs'),
        JSON.stringify(denied.map((e) => `${e.objectRef?.resource ?? ''}:${e.verb}`)),
      );
      assert.ok(
        errors.some((e) => / 403 /.test(e) && e.includes(`cannot ${verb} resource "jobs"`)),
        errors.join(' | '),
      );
    });
});
