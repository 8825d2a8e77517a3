// `certdrift rotate` step by step on the REAL control plane, through the project's client as the
// rotator's ServiceAccount with the RBAC deploy/rotator ships: a kops group and a drain group;
// the drain's pods belong to a 3-replica Deployment behind a real `maxUnavailable: 1` budget.
// While the evicted pod's replacement cannot run (no node for it yet) the disruption controller
// allows one eviction and refuses the rest (429); once a node takes the replacements, the budget
// opens again as soon as each new pod is Ready (KWOK readies pods within milliseconds, so one
// step may then evict two: the server allowed it) — never more than one replica down. Evicted
// pods stay Terminating for their grace period and the drain finishes only once they are gone;
// the DaemonSet's pod stays. Every step is a fresh run (as after an interruption) and the audit log proves nothing
// finished is repeated and pods are listed per node with `fieldSelector=spec.nodeName=`.
// The Lease of a vanished holder is taken over after it expired and not before (a whole lease
// duration after this run first saw its record: client-go's observedTime).
// Runs on the shared control plane of test/support/control-plane (scripts/run-tests.mjs starts it
// for files that name it).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leaseEdgeOf, LEASE_SECONDS } from '../../src/adapters/kube/rotate-lock.js';
import { LeaseKeeper, leaseTimingFor } from '../../src/rotate/index.js';
import { DEFAULT_POLICY } from '../../src/fleet/plan-policy.js';
import { runStep, type StepRun } from '../../src/rotate/index.js';
import {
  budgetSettled,
  daemonSet,
  deployment,
  pdb,
  pods,
  podsOn,
  readyPods,
} from './cluster-workloads.js';
import { recordOf, rotatorLab, unschedulable } from './rotator-cluster.js';

const settings = {
  policy: DEFAULT_POLICY,
  planId: 'p-e2e',
  // the fixture's nodes are due by their reports only, all at once (report-jump.ts)
  options: { afterDrain: 'none' as const, drainTimeoutMs: 3_600_000 },
  apply: true,
};
const results = (r: StepRun) =>
  r.outcomes.map((o) => `${o.action.node} ${o.action.step} ${o.result}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('kops group and a drain group under a real PodDisruptionBudget: one eviction at a time, resumes that repeat nothing', async (t) => {
  const lab = await rotatorLab(t, ['drain']);
  if (!lab) return;
  const { cp } = lab;
  const client = lab.client();
  const apps = await cp.namespace(t, 'shop');
  const ig = lab.name('nodes');
  const [k1, k2] = [lab.name('k1'), lab.name('k2')].sort();
  assert.ok(k1 && k2);
  for (const k of [k1, k2]) await lab.oldNode(k, { labels: { 'kops.k8s.io/instancegroup': ig } });
  // d1 runs the three web replicas and a DaemonSet's pod; `spare` (not due) gets the new ones
  const web = { 'certdrift.test/web': lab.label };
  const d1 = lab.name('d1');
  await lab.oldNode(d1, { labels: web });
  await deployment(cp, apps, 'web', { replicas: 3, nodeSelector: web });
  await daemonSet(cp, apps, 'agent', web);
  await readyPods(cp, apps, 'app=web', 3);
  await readyPods(cp, apps, 'app=agent', 1);
  await pdb(cp, apps, 'web', { maxUnavailable: 1 });
  await budgetSettled(cp, apps, 'web', 1);
  const agent = (await pods(cp, apps, 'app=agent')).find((p) => p.node === d1);
  assert.ok(agent);
  const mark = cp.auditMark();

  // Step 1: k1 handed to kops (one per group), d1 cordoned; the budget allows one eviction.
  const s1 = await runStep(client, settings, new Date());
  const r1 = results(s1);
  // On a failure, what the server answered (the audit log) next to what the product reported.
  const evictionCodes = async (): Promise<string> =>
    JSON.stringify(
      (await cp.audit(lab.user, mark))
        .filter((e) => e.objectRef?.subresource === 'eviction')
        .map((e) => [e.objectRef?.name, e.responseStatus?.code]),
    );
  assert.deepEqual(
    r1.filter((x) => !x.includes(' evict ')),
    [
      `${d1} record-cordoned done`,
      `${d1} cordon done`,
      `${k1} record-handed-over done`,
      `${k1} cordon done`,
      `${k1} kops-annotate done`,
      `${k1} kops-rolling-update planned`,
    ],
  );
  assert.deepEqual(
    r1.filter((x) => x.includes(' evict ')).sort(),
    [`${d1} evict blocked`, `${d1} evict blocked`, `${d1} evict done`],
    `the disruption controller allows one, refuses the rest (429): server said ${await evictionCodes()}`,
  );
  assert.equal(
    s1.outcomes[r1.length - 1]?.action.command,
    `kops rolling-update cluster --name "$KOPS_CLUSTER_NAME" --instance-group ${ig} --yes`,
  );
  assert.deepEqual(
    [await recordOf(lab, k1), await recordOf(lab, d1), await recordOf(lab, k2)],
    ['handed-over', 'cordoned', '-'],
  );
  assert.equal(await unschedulable(lab, d1), true);
  // handed over to kops: cordoned before the mark, so no pod lands there after the list
  assert.equal(await unschedulable(lab, k1), true);
  const k1Node = await lab.get(`/api/v1/nodes/${k1}`);
  assert.equal(
    (k1Node?.metadata?.annotations as Record<string, string>)['kops.k8s.io/needs-update'],
    '',
  );

  // A node for the replacements (the first one is Pending until now: d1 is cordoned).
  await lab.node(lab.name('spare'), { labels: web });
  // Fresh steps until d1 is drained: never more than one replica down, the Terminating pods
  // waited for; k2 waits for k1 (kops' group limit).
  let finished = false;
  for (let i = 0; i < 60 && !finished; i++) {
    await sleep(500);
    const ready = (await pods(cp, apps, 'app=web')).filter((p) => p.ready && !p.terminating);
    assert.ok(ready.length >= 2, `the budget held: ${ready.length} Ready`);
    const s = await runStep(client, settings, new Date());
    const r = results(s);
    assert.ok(!r.some((x) => x.startsWith(k1) && x.includes('annotate')), 'k1 marked once');
    assert.equal(s.step.work.find((w) => w.node === k2)?.state, 'over-limit');
    finished = r.includes(`${d1} mark-drained done`);
  }
  assert.ok(finished, 'd1 drained');
  assert.equal(await recordOf(lab, d1), 'drained');
  // what is left on d1 is the DaemonSet's pod; the three replicas run on `spare`
  assert.deepEqual(
    (await podsOn(cp, d1)).map((p) => p.name),
    [agent.name],
  );
  await readyPods(cp, apps, 'app=web', 3);

  // kops deleted k1 before its replacement joined: k1 is still in flight (its record remembers
  // the hand-over) and k2 waits; once the replacement is Ready k2 is next and k1's record is
  // pruned. d1 is finished and left alone.
  await cp.admin.request('DELETE', `/api/v1/nodes/${k1}`);
  const s3 = await runStep(client, settings, new Date());
  assert.equal(s3.step.work.find((w) => w.node === k1)?.state, 'waiting-replacement');
  assert.equal(s3.step.work.find((w) => w.node === k2)?.state, 'over-limit');
  await lab.node(lab.name('k3'), { labels: { 'kops.k8s.io/instancegroup': ig } });
  const s4 = await runStep(client, settings, new Date());
  assert.deepEqual(results(s4), [
    `${k2} record-handed-over done`,
    `${k2} cordon done`,
    `${k2} kops-annotate done`,
    `${k2} kops-rolling-update planned`,
    `${k1} prune-records done`,
  ]);
  assert.equal(s4.step.work.find((w) => w.node === d1)?.state, 'drained');

  // Nothing was written twice; every pod evicted exactly once; none of another node's pods.
  const events = await cp.audit(lab.user, mark);
  const ok = (verb: string, path: string): number =>
    events.filter(
      (e) =>
        e.verb === verb &&
        e.requestURI.split('?')[0] === path &&
        (e.responseStatus?.code ?? 0) < 300,
    ).length;
  assert.equal(
    ok('patch', `/api/v1/nodes/${d1}`),
    1,
    'the cordon (records live in the state object)',
  );
  assert.equal(ok('patch', `/api/v1/nodes/${k1}`), 2, 'one cordon, one kops mark');
  assert.equal(ok('patch', `/api/v1/nodes/${k2}`), 2);
  const evicted = events.filter(
    (e) => e.objectRef?.subresource === 'eviction' && e.responseStatus?.code === 201,
  );
  assert.equal(evicted.length, 3);
  assert.equal(new Set(evicted.map((e) => e.objectRef?.name)).size, 3, 'each pod once');
  assert.ok(!events.some((e) => e.objectRef?.name === agent.name), 'the DaemonSet pod untouched');
  // pods are listed per node, as kubectl drain lists them — the drained node and, before their
  // hand-over, the kops nodes (kops evicts their pods too); never the whole cluster
  const podLists = events.filter((e) => e.verb === 'list' && e.objectRef?.resource === 'pods');
  assert.ok(podLists.length > 0);
  for (const e of podLists)
    assert.ok(
      [d1, k1, k2].some((n) =>
        decodeURIComponent(e.requestURI).includes(`fieldSelector=spec.nodeName=${n}`),
      ),
      e.requestURI,
    );
  // nodes are listed with the selector (the fleet this test counts): other test files' nodes
  // are never read
  for (const e of events.filter((x) => x.verb === 'list' && x.objectRef?.resource === 'nodes')) {
    const uri = decodeURIComponent(e.requestURI);
    assert.ok(uri.includes(`labelSelector=${lab.selector}`), uri);
  }
});

test('the Lease of a vanished holder is taken over after it expires, not before', async (t) => {
  const lab = await rotatorLab(t, []);
  if (!lab) return;
  const client = lab.client();
  const t0 = new Date();
  await lab.cp.admin.create(`/apis/coordination.k8s.io/v1/namespaces/${lab.namespace}/leases`, {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'certdrift-rotate' },
    spec: {
      holderIdentity: 'ghost',
      leaseDurationSeconds: 60,
      renewTime: t0.toISOString().replace('Z', '000Z'),
    },
  });
  const at = (s: number) => new Date(t0.getTime() + s * 1000);
  // The keeper `certdrift rotate --apply` holds the Lease with, over the real client; its clock
  // is set by the test (`sec` seconds, wall and monotonic alike).
  let sec = 0;
  const clock = { now: () => at(sec), monotonicMs: () => sec * 1000 };
  const when = <T>(s: number, f: () => T): T => {
    sec = s;
    return f();
  };
  const keeper = (me: string) =>
    new LeaseKeeper(leaseEdgeOf(client, lab.namespace), me, leaseTimingFor(LEASE_SECONDS), clock);
  const mine = keeper('me');
  // client-go's observedTime: the lease expires a whole duration after this candidate first saw
  // the record (at 0), whatever its renewTime says.
  assert.deepEqual(await when(0, () => mine.acquire()), {
    held: false,
    holder: 'ghost',
    until: at(60),
    watch: false,
  });
  const early = await when(59, () => mine.acquire());
  assert.deepEqual(early, { held: false, holder: 'ghost', until: at(60), watch: false });
  assert.equal((await lab.lease())?.holderIdentity, 'ghost');
  assert.deepEqual(await when(60, () => mine.acquire()), { held: true, previous: 'ghost' });
  const l = await lab.lease();
  assert.equal(l?.holderIdentity, 'me');
  assert.equal(l.leaseTransitions, 1);
  // Now the ghost (or anyone else) must wait for us; we renew.
  assert.equal((await when(61, () => keeper('other').acquire())).held, false);
  assert.deepEqual(await when(90, () => mine.renew()), { result: 'renewed' });
  // The rotator's Role covers exactly this Lease: another name in its namespace is refused.
  const other = await lab.cp
    .as(lab.token)
    .request('GET', `/apis/coordination.k8s.io/v1/namespaces/${lab.namespace}/leases/other`);
  assert.equal(other.status, 403);
});
