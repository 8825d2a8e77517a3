// `certdrift rotate` as a user runs it (in process) against the REAL control plane through a
// kubeconfig holding the rotator ServiceAccount's token, with the RBAC deploy/rotator and its
// drain component ship (installed in the test's namespace, hence `--namespace` for the Lease):
// `--selector` limits the rotation (and `plan --kubernetes`) to the nodes it matches, as
// `kubectl drain --selector` — a due node of someone else's is never listed or touched; the dry
// run prints the exact calls and writes nothing (the audit log says so); -o json is a
// RotationStep; --apply --wait drives to the end under the Lease, waits for the evicted pod's
// grace period, and releases the Lease.
// Runs on the shared control plane of test/support/control-plane.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/command.js';
import { deployment, pods, readyPods } from './cluster-workloads.js';
import { rotatorLab, type RotatorLab } from './rotator-cluster.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = {
    stdout: { write: (s: string) => ((out += s), true), isTTY: false },
    stderr: { write: (s: string) => ((err += s), true), isTTY: false },
    env: {},
  } as unknown as Io;
  const code = await run(args, io);
  return { code, out, err };
}

interface Setup {
  lab: RotatorLab;
  kubeconfig: string;
  apps: string;
  d1: string;
  /** a due node outside the selector (another team's, another test's) */
  outsider: string;
  pod: string;
}

async function setup(t: TestContext): Promise<Setup | undefined> {
  const lab = await rotatorLab(t, ['drain']);
  if (!lab) return undefined;
  const { cp } = lab;
  const apps = await cp.namespace(t, 'shop');
  const d1 = lab.name('d1');
  await lab.oldNode(d1);
  await deployment(cp, apps, 'web', {
    replicas: 1,
    nodeSelector: { 'kubernetes.io/hostname': d1 },
  });
  const [pod] = await readyPods(cp, apps, 'app=web', 1);
  assert.ok(pod);
  // Due as well, but not this run's: no RUN_LABEL of this test.
  const outsider = lab.name('outsider');
  await cp.node(outsider);
  t.after(() => cp.admin.request('DELETE', `/api/v1/nodes/${outsider}`));
  return { lab, kubeconfig: lab.kubeconfig(), apps, d1, outsider, pod: pod.name };
}

test('rotate dry run with --selector: prints the cordon, the eviction and the record of its nodes only, writes nothing', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const { lab } = s;
  const base = ['--kubernetes', s.kubeconfig, '--selector', lab.selector];
  // the rotation state lives in certdrift's namespace (the test's): the rotator may read it there;
  // capacity is counted over this test's nodes (the control plane is shared by the test files)
  const rotate = [...base, '--fleet-selector', lab.selector, '--namespace', lab.namespace];
  const mark = lab.cp.auditMark();
  const r = await cli(['rotate', ...rotate]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /dry run: nothing changed/);
  assert.match(r.out, new RegExp(`${s.d1} {2}none {2}drain {2}start`));
  assert.doesNotMatch(r.out, new RegExp(s.outsider), 'outside the selector');
  assert.match(
    r.out,
    new RegExp(
      `PATCH /api/v1/nodes/${s.d1} \\(application/strategic-merge-patch\\+json\\) .*"unschedulable":true`,
    ),
  );
  assert.match(r.out, new RegExp(`POST /api/v1/namespaces/${s.apps}/pods/${s.pod}/eviction`));
  const calls = await lab.cp.audit(lab.user, mark);
  assert.ok(calls.length > 0);
  assert.deepEqual(
    calls.filter((e) => !['get', 'list'].includes(e.verb)),
    [],
    'a dry run only reads',
  );
  const j = await cli(['rotate', ...rotate, '-o', 'json']);
  const doc = JSON.parse(j.out) as {
    kind: string;
    applied: boolean;
    nodes: { node: string }[];
    actions: { step: string; result: string }[];
  };
  assert.equal(doc.kind, 'RotationStep');
  assert.equal(doc.applied, false);
  assert.deepEqual(
    doc.nodes.map((n) => n.node),
    [s.d1],
  );
  assert.deepEqual(
    doc.actions.map((a) => `${a.step} ${a.result}`),
    ['record-cordoned planned', 'cordon planned', 'evict planned'],
    'the finish comes in a later step, once a fresh list shows the pods gone',
  );
  // plan --kubernetes takes the same selector
  const plan = await cli(['plan', ...base, '-o', 'json']);
  assert.equal(plan.code, 2, `its certificates expired a day ago: ${plan.err}`);
  const planned = JSON.stringify(JSON.parse(plan.out));
  assert.match(planned, new RegExp(s.d1));
  assert.doesNotMatch(planned, new RegExp(s.outsider));
  const usage = await cli(['plan', '--nodes', '/dev/null', '--selector', 'a=b']);
  assert.equal(usage.code, 3);
  assert.match(usage.err, /--selector selects nodes in the cluster: it needs --kubernetes/);
});

test('rotate --apply --wait --namespace: steps until drained, JSON-lines progress on stderr, the run in -o json', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const { lab } = s;
  const usage = await cli(['rotate', '--kubernetes', s.kubeconfig, '--wait']);
  assert.equal(usage.code, 3);
  assert.match(usage.err, /--wait acts: it needs --apply/);
  const at = await cli([
    'rotate',
    '--kubernetes',
    s.kubeconfig,
    '--apply',
    '--at',
    '2030-01-01T00:00:00Z',
  ]);
  assert.equal(at.code, 3);
  assert.match(at.err, /--at previews the plan at another time: it cannot be used with --apply/);
  const both = await cli(['rotate', '--kubernetes', s.kubeconfig, '--apply', '--wait', '--watch']);
  assert.equal(both.code, 3);
  assert.match(both.err, /--wait or --watch/);
  const badNs = await cli(['rotate', '--kubernetes', s.kubeconfig, '--namespace', 'Not_A_Name']);
  assert.equal(badNs.code, 3);
  assert.match(badNs.err, /--namespace: expected a namespace name/);
  const mark = lab.cp.auditMark();
  const r = await cli([
    'rotate',
    '--kubernetes',
    s.kubeconfig,
    '--selector',
    lab.selector,
    '--fleet-selector',
    lab.selector,
    '--namespace',
    lab.namespace,
    '--apply',
    '--wait',
    '--poll-interval',
    '1s',
    '--identity',
    'cli-test',
    '-o',
    'json',
  ]);
  assert.equal(r.code, 0, r.err);
  // stderr is JSON lines throughout: progress, and the Lease's messages as `message` events
  const lines = r.err
    .trim()
    .split('\n')
    .map(
      (l) =>
        JSON.parse(l) as {
          event: string;
          done: number;
          total: number;
          current: string;
          message?: string;
        },
    );
  assert.deepEqual(
    lines.filter((e) => e.event === 'message').map((e) => e.message),
    ['certdrift rotate: holding the Lease as cli-test', 'certdrift rotate: released the Lease'],
  );
  const events = lines.filter((e) => e.event === 'progress');
  assert.ok(events.length >= 2, r.err);
  assert.equal(events.length + 2, lines.length, 'nothing else on stderr');
  assert.deepEqual(
    events.map((e) => `${e.done}/${e.total}`),
    [...events.slice(0, -1).map(() => '0/1'), '1/1'],
  );
  assert.equal(events[0]?.current, `${s.d1} evict done`);
  assert.doesNotMatch(r.err, /[\r\x1b]/, 'no control characters when stderr is not a terminal');
  const doc = JSON.parse(r.out) as { run: { end: string; finished: string[] } };
  assert.deepEqual(doc.run.end, 'finished');
  assert.deepEqual(doc.run.finished, [s.d1]);
  // the evicted pod is gone (after its grace period); its replacement has nowhere to run
  assert.ok(!(await pods(lab.cp, s.apps)).some((p) => p.name === s.pod));
  const calls = await lab.cp.audit(lab.user, mark);
  assert.deepEqual(
    calls.filter((e) => e.responseStatus?.code === 403),
    [],
    'none refused (the one 404 is the first read of a Lease not yet created)',
  );
  assert.deepEqual(
    calls.filter((e) => e.objectRef?.name === s.outsider),
    [],
    'the node outside the selector untouched',
  );
  assert.equal((await lab.lease())?.holderIdentity, '', 'released');
  assert.ok(
    calls.filter(
      (e) => e.objectRef?.resource === 'leases' && (e.verb === 'create' || e.verb === 'update'),
    ).length >= 2,
    'taken, then released',
  );
});
