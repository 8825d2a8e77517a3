// Issue #21 (items 2, 3, 5) on the REAL control plane: the rotation's records live in the
// ConfigMap certdrift-rotation-state that only the rotator's ServiceAccount may write (the real
// RBAC and Node authorizers refuse the agent, the fleet service, a node and the reader role);
// forged node annotations change nothing; an edited state entry (another UID, invalid) is
// reported and not acted on; capacity counts every cordoned, drained-and-present or handed-over
// node (an admin's cordon too, which is left alone) across single steps and a --wait run; and
// control-plane nodes are never drained, at most one in flight cluster-wide.
// Runs on the shared control plane of test/support/control-plane.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_POLICY, type PlanPolicy } from '../../src/fleet/plan-policy.js';
import {
  drive,
  leaseTimingFor,
  rotateWatch,
  runStep,
  STATE_NAME,
  type RotateOptions,
  type StepRun,
} from '../../src/rotate/index.js';
import { leaseEdgeOf } from '../../src/adapters/kube/rotate-lock.js';
import type { StoredRecord } from '../../src/rotate/rotation-state.js';
import { renderDeploy } from '../support/deploy-manifests.js';
import { nodeIdentity } from '../support/kubelet-csr.js';
import type { ApiClient } from '../support/control-plane/index.js';
import { barePod, podsOn } from './cluster-workloads.js';
import {
  recordOf,
  rotatorLab,
  rotatorManifests,
  unschedulable,
  type RotatorLab,
} from './rotator-cluster.js';

// the fixture's nodes are due by their reports only, all at once (report-jump.ts)
const OPTIONS: RotateOptions = {
  afterDrain: 'none',
  drainTimeoutMs: 3_600_000,
  force: true,
};
const PLAN = 'p-state';

const stepOf = (lab: RotatorLab, policy: PlanPolicy = DEFAULT_POLICY, options = OPTIONS) =>
  runStep(lab.client(), { policy, planId: PLAN, options, apply: true }, new Date());
const stateOf = (r: StepRun) => Object.fromEntries(r.step.work.map((w) => [w.node, w.state]));
const noteOf = (r: StepRun, node: string) => r.step.work.find((w) => w.node === node)?.note ?? '';
const statePath = (lab: RotatorLab) =>
  `/api/v1/namespaces/${lab.namespace}/configmaps/${STATE_NAME}`;

test('the state object: only the rotator writes it; the agent, the fleet service, a node and the reader role get 403', async (t) => {
  const extra = [...renderDeploy('base'), ...renderDeploy('fleet')].filter(
    (m) => m.kind !== 'CustomResourceDefinition',
  );
  const lab = await rotatorLab(t, ['drain'], [...rotatorManifests(['drain']), ...extra]);
  if (!lab) return;
  const { cp } = lab;
  const n = lab.name('n');
  const node = await lab.node(n);
  const put = await lab.client().writeState({
    records: [],
    baselines: [{ group: 'none', next: [n] }],
  });
  assert.equal(put.result, 'done', 'the rotator creates and writes it');
  const before = await lab.get(statePath(lab));
  assert.ok(before);

  // The reader role as shipped (unbound): bound to a user for this test.
  const reader = `reader-${lab.namespace}`;
  const readerRole = lab.manifests.find(
    (m) => m.kind === 'ClusterRole' && m.metadata.name.startsWith('certdrift-reader'),
  );
  assert.ok(readerRole, 'deploy/base ships the reader role');
  await cp.admin.create('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: reader },
    roleRef: {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: readerRole.metadata.name,
    },
    subjects: [{ kind: 'User', name: reader, apiGroup: 'rbac.authorization.k8s.io' }],
  });
  t.after(() =>
    cp.admin.request('DELETE', `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${reader}`),
  );
  const identities: [string, ApiClient][] = [
    ['agent', cp.as(await cp.token(lab.namespace, 'certdrift', { create: false }))],
    ['fleet', cp.as(await cp.token(lab.namespace, 'certdrift-fleet', { create: false }))],
    [`system:node:${n}`, nodeIdentity(cp, n)],
    ['reader', nodeIdentity(cp, n, { cn: reader, o: ['certdrift-readers'] })],
  ];
  const forged = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: STATE_NAME, namespace: lab.namespace },
    data: {
      'state.json': JSON.stringify({
        records: {
          [n]: {
            plan: PLAN,
            state: 'drained',
            since: new Date().toISOString(),
            uid: node.metadata?.uid,
            group: 'none',
          },
        },
      }),
    },
  };
  for (const [who, client] of identities) {
    const tries: [string, number][] = [
      ['update', (await client.request('PUT', statePath(lab), forged)).status],
      [
        'patch',
        (
          await client.request(
            'PATCH',
            statePath(lab),
            { data: forged.data },
            'application/merge-patch+json',
          )
        ).status,
      ],
      ['delete', (await client.request('DELETE', statePath(lab))).status],
      [
        'create',
        (await client.request('POST', `/api/v1/namespaces/${lab.namespace}/configmaps`, forged))
          .status,
      ],
    ];
    assert.deepEqual(
      tries,
      tries.map(([verb]) => [verb, 403]),
      `${who}: every write refused by the real authorizer`,
    );
  }
  const after = await lab.get(statePath(lab));
  assert.equal(after?.metadata?.resourceVersion, before.metadata?.resourceVersion, 'unchanged');
});

test('forged node annotations change nothing; an edited state entry (another UID, invalid) is reported, never acted on', async (t) => {
  const lab = await rotatorLab(t, ['drain']);
  if (!lab) return;
  const { cp } = lab;
  const apps = await cp.namespace(t, 'shop');
  const forgedNodes: string[] = [];
  const since = '1970-01-01T00:00:00Z';
  // Young nodes (not due) with every state forged, with and without this run's plan id.
  for (const state of ['cordoned', 'handed-over', 'drained', 'stuck'])
    for (const plan of [PLAN, 'p-other']) {
      const name = lab.name(`y-${state}-${plan === PLAN ? 'this' : 'other'}`);
      await lab.node(name, {
        annotations: {
          'certdrift.io/rotation': JSON.stringify({ plan, state, since, was: 'cordoned' }),
        },
      });
      await barePod(cp, apps, `p-${name}`, name);
      forgedNodes.push(name);
    }
  // A due node whose forged `drained` of this plan used to keep it from ever being replaced.
  const due = lab.name('due');
  await lab.oldNode(due, {
    annotations: {
      'certdrift.io/rotation': JSON.stringify({ plan: PLAN, state: 'drained', since }),
    },
  });
  // A young node whose state entry names another UID (a recreated node, or an edit).
  const w = lab.name('w');
  await lab.node(w);
  await barePod(cp, apps, `p-${w}`, w);
  // A due node (its own group) whose state entry fails validation.
  const bad = lab.name('bad');
  const badGroup = lab.name('ng-bad');
  await lab.oldNode(bad, { labels: { 'eks.amazonaws.com/nodegroup': badGroup } });
  await barePod(cp, apps, `p-${bad}`, bad);
  await cp.admin.create(`/api/v1/namespaces/${lab.namespace}/configmaps`, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: STATE_NAME },
    data: {
      'state.json': JSON.stringify({
        records: {
          [w]: { plan: PLAN, state: 'cordoned', since, uid: 'not-this-node', group: 'none' },
          [bad]: { plan: PLAN, state: 'cordoned' },
        },
        baselines: {},
      }),
    },
  });

  for (const round of [1, 2]) {
    const r = await stepOf(lab);
    const states = stateOf(r);
    for (const f of forgedNodes) {
      assert.equal(states[f], undefined, `${round}: ${f} (forged, not due) is not worked on`);
      assert.ok(
        r.problems.some((p) =>
          p.message.startsWith(`${f}: annotation certdrift.io/rotation ignored`),
        ),
        `${round}: ${f}'s annotation is reported as ignored`,
      );
    }
    assert.equal(states[due], round === 1 ? 'start' : 'continue', 'the forged drained is ignored');
    if (round === 1) {
      assert.equal(states[w], 'gone', 'the record of another UID is not this node');
      assert.match(noteOf(r, w), /pruned/);
      assert.ok(
        r.problems.some((p) =>
          p.message.startsWith(`${w}: its rotation record names node UID not-this-node`),
        ),
        'the UID mismatch is reported',
      );
    } else assert.equal(states[w], undefined, 'pruned in the first step');
    assert.equal(states[bad], 'stuck');
    assert.match(noteOf(r, bad), /fails validation.*not acted on/);
    assert.ok(
      r.outcomes.every((o) => o.action.node === due || o.action.step === 'prune-records'),
      `${round}: only the due node and the pruning are acted on: ${JSON.stringify(r.outcomes.map((o) => `${o.action.node} ${o.action.step}`))}`,
    );
    assert.ok(r.outcomes.every((o) => o.result === 'done' || o.result === 'already-done'));
  }
  for (const f of [...forgedNodes, w, bad]) {
    assert.equal(await unschedulable(lab, f), false, `${f} never cordoned`);
    const ps = await podsOn(cp, f);
    assert.deepEqual(
      ps.map((p) => p.terminating),
      [false],
      `${f}: its pod was neither evicted nor deleted`,
    );
  }
  assert.equal(await unschedulable(lab, due), true);
  assert.equal(await recordOf(lab, due), 'drained', 'its own record, not the forged one');
  assert.equal(await recordOf(lab, w), '-', 'the stale entry was pruned');
  const cm = await lab.get(statePath(lab));
  assert.match(String((cm?.data as Record<string, string>)['state.json']), new RegExp(bad));
});

test('capacity: a 3-node drain group with maxUnavailable 1 never has two unavailable across single steps and --wait; an admin-cordoned node counts and is untouched', async (t) => {
  const lab = await rotatorLab(t, ['drain', 'delete-node']);
  if (!lab) return;
  const { cp } = lab;
  // a Karpenter pool drained by the generic actuator: deleting a drained Node gets its machine
  // replaced there (the termination finalizer), so --after-drain delete-node is allowed
  const ng = lab.name('ng');
  const group = `karpenter/${ng}`;
  const labels = { 'karpenter.sh/nodepool': ng };
  const all = [lab.name('a'), lab.name('b'), lab.name('c')].sort();
  const [a, b, c] = all;
  assert.ok(a && b && c);
  for (const n of [a, b]) await lab.oldNode(n, { labels });
  await lab.oldNode(c, { labels, unschedulable: true }); // an admin's cordon
  // maxSurge adds nothing to a drain: it removes capacity first
  const policy: PlanPolicy = {
    ...DEFAULT_POLICY,
    groups: { [group]: { maxUnavailable: { count: 1 }, maxSurge: { count: 2 } } },
  };
  const deleting = { ...OPTIONS, actuator: 'drain' as const, afterDrain: 'delete-node' as const };
  const fresh: string[] = [];
  const seen: number[] = [];
  /** cordoned nodes, and old nodes gone with no replacement yet: never more than one */
  const check = async (what: string): Promise<void> => {
    let cordoned = 0;
    let goneOld = 0;
    for (const n of [...all, ...fresh]) {
      const node = await lab.get(`/api/v1/nodes/${n}`);
      if (!node) goneOld++;
      else if ((node.spec as { unschedulable?: boolean }).unschedulable === true) cordoned++;
    }
    const down = cordoned + Math.max(0, goneOld - fresh.length);
    seen.push(down);
    assert.ok(down <= 1, `${what}: ${down} nodes unavailable at once`);
  };
  /** the group's tool: one new Ready node for each old node gone */
  const join = async (): Promise<void> => {
    let goneOld = 0;
    for (const n of all) if (!(await lab.get(`/api/v1/nodes/${n}`))) goneOld++;
    while (fresh.length < goneOld) {
      const f = lab.name('r');
      fresh.push(f);
      await lab.node(f, { labels });
    }
  };

  // 1. c, cordoned by an admin, is left alone and counts: nothing starts, step after step.
  for (let i = 0; i < 2; i++) {
    const r = await stepOf(lab, policy, deleting);
    // blocked when its turn has come, else not-yet with the same reason
    assert.ok(['blocked', 'not-yet'].includes(stateOf(r)[c] ?? ''), stateOf(r)[c]);
    assert.match(noteOf(r, c), /cordoned by someone else.*left alone/);
    assert.equal(stateOf(r)[a], 'over-limit');
    assert.equal(stateOf(r)[b], 'over-limit');
    assert.deepEqual(r.outcomes, []);
    assert.equal(await recordOf(lab, c), '-');
    await check(`admin cordon, step ${i}`);
  }

  // 2. The admin uncordons c: one node starts, is drained and deleted; the next steps wait for
  //    its replacement (its record remembers the hand-over after its Node is gone).
  await cp.admin.patch(`/api/v1/nodes/${c}`, { spec: { unschedulable: false } });
  let r: StepRun | undefined;
  for (let i = 0; i < 4; i++) {
    r = await stepOf(lab, policy, deleting);
    await check(`single step ${i}`);
  }
  assert.ok(r);
  const gone: string[] = [];
  for (const n of all) if (!(await lab.get(`/api/v1/nodes/${n}`))) gone.push(n);
  assert.equal(gone.length, 1, 'one node drained and deleted');
  const [g] = gone;
  assert.ok(g);
  assert.equal(stateOf(r)[g], 'waiting-replacement', 'gone, and in flight until replaced');
  assert.ok(
    r.step.work.every((w) => w.state !== 'start'),
    'nothing else started while the group is short of a node',
  );

  // 3. --wait carries on as replacements join, one node at a time.
  await join();
  const result = await drive(
    lab.client(),
    { policy, planId: PLAN, options: deleting, apply: true, pollMs: 200, deferTimeoutMs: 60_000 },
    {
      now: () => new Date(),
      sleep: async (ms) => {
        await check('--wait');
        await join();
        await new Promise((res) => setTimeout(res, ms));
      },
    },
  );
  assert.equal(result.end, 'finished', result.message);
  for (const n of all) assert.equal(await lab.get(`/api/v1/nodes/${n}`), null, `${n} replaced`);
  assert.ok(seen.includes(1), 'nodes were taken out (one at a time)');
  const cm = await lab.get(statePath(lab));
  assert.deepEqual(
    JSON.parse(String((cm?.data as Record<string, string>)['state.json'])),
    { version: 1, records: {}, baselines: {} },
    'finished: every record and the baseline pruned',
  );
});

test('control planes: a control-plane node is never drained; kops control-plane groups one node at a time cluster-wide', async (t) => {
  const lab = await rotatorLab(t, ['drain']);
  if (!lab) return;
  const cpNode = lab.name('cp');
  await lab.oldNode(cpNode, { labels: { 'node-role.kubernetes.io/control-plane': '' } });
  const igs = [lab.name('control-plane-a'), lab.name('control-plane-b')];
  const planes: string[] = [];
  for (const ig of igs) {
    const n = lab.name('kcp');
    await lab.oldNode(n, {
      labels: { 'kops.k8s.io/instancegroup': ig, 'node-role.kubernetes.io/control-plane': '' },
    });
    planes.push(n);
  }
  const worker = lab.name('wk');
  await lab.oldNode(worker);

  let inFlight = '';
  for (const round of [1, 2]) {
    const r = await stepOf(lab);
    const states = stateOf(r);
    assert.equal(states[cpNode], 'native', `${round}: the kubeadm control plane is not drained`);
    assert.match(noteOf(r, cpNode), /certdrift renew/);
    const handed = planes.filter(
      (p) => states[p] === 'start' || states[p] === 'waiting-replacement',
    );
    assert.equal(
      handed.length,
      1,
      `${round}: one control-plane node in flight: ${JSON.stringify(states)}`,
    );
    inFlight = handed[0] ?? '';
    const other = planes.find((p) => !handed.includes(p)) ?? '';
    assert.equal(states[other], 'over-limit');
    assert.match(noteOf(r, other), /at most one cluster-wide/);
    assert.ok(
      r.outcomes.every((o) => o.action.node !== cpNode && o.action.node !== other),
      `${round}: nothing done to ${cpNode} or ${other}`,
    );
    assert.ok(['start', 'continue', 'drained'].includes(states[worker] ?? ''), 'workers go on');
  }
  assert.equal(await unschedulable(lab, cpNode), false);
  // --actuator drain does not make a control plane drainable.
  const forced = await stepOf(lab, DEFAULT_POLICY, { ...OPTIONS, actuator: 'drain' });
  assert.equal(stateOf(forced)[cpNode], 'native');
  assert.ok(forced.outcomes.every((o) => o.action.node === worker));
  for (const p of [cpNode, ...planes.filter((x) => x !== inFlight)])
    assert.equal(await unschedulable(lab, p), false, `${p} not cordoned`);
  // the one handed over to kops is cordoned (after its record, before its mark: finding 5)
  assert.equal(await unschedulable(lab, inFlight), true, `${inFlight} handed over, cordoned`);
});

test('two writers: a decision made on a stale read is refused; concurrent starts meeting a 409 are blocked (decided again), other concurrent changes both land (409: read again, re-apply)', async (t) => {
  const lab = await rotatorLab(t, ['drain']);
  if (!lab) return;
  const names = Array.from({ length: 7 }, (_, i) => lab.name(`n${i}`)); // one, then three pairs
  const uids = new Map<string, string>();
  for (const n of names) uids.set(n, String((await lab.node(n)).metadata?.uid));
  const rec = (n: string, state: 'cordoned' | 'handed-over') => ({
    plan: PLAN,
    state,
    since: new Date().toISOString(),
    uid: uids.get(n) ?? '',
    group: 'none',
  });
  const [first, ...rest] = names;
  assert.ok(first);
  const one = lab.client();
  const two = lab.client();
  assert.equal(
    (
      await one.writeState({
        records: [{ node: first, expect: null, next: rec(first, 'cordoned') }],
        baselines: [],
      })
    ).result,
    'done',
  );
  const stale = await two.writeState({
    records: [{ node: first, expect: null, next: rec(first, 'handed-over') }],
    baselines: [],
  });
  assert.equal(stale.result, 'blocked');
  assert.match(stale.message, /its record changed since this step read it/);
  // Pairs of writers at once, each starting its own node: one that meets a 409 is blocked (the
  // other write may have used the slot: the step decides again, review finding 7), never
  // re-applied; at least one of a pair lands; a blocked one lands when tried again.
  const mark = lab.cp.auditMark();
  for (let i = 0; i + 1 < rest.length; i += 2) {
    const [a, b] = [rest[i] ?? '', rest[i + 1] ?? ''];
    const r = await Promise.all([
      one.writeState({
        records: [{ node: a, expect: null, next: rec(a, 'cordoned') }],
        baselines: [],
      }),
      two.writeState({
        records: [{ node: b, expect: null, next: rec(b, 'cordoned') }],
        baselines: [],
      }),
    ]);
    assert.ok(
      r.some((x) => x.result === 'done'),
      JSON.stringify(r),
    );
    for (const [j, n] of [a, b].entries()) {
      const x = r[j];
      assert.ok(x);
      if (x.result === 'blocked') {
        assert.match(x.message, /decided again next step/);
        assert.equal(await recordOf(lab, n), '-', `${n}: blocked, not written`);
        const next = rec(n, 'cordoned');
        const again = await one.writeState({
          records: [{ node: n, expect: null, next }],
          baselines: [],
        });
        assert.equal(again.result, 'done', again.message);
      }
    }
  }
  const cm = await lab.get(statePath(lab));
  for (const n of names)
    assert.equal(await recordOf(lab, n), 'cordoned', `${n}: ${JSON.stringify(cm?.data)}`);
  const startConflicts = (await lab.cp.audit(lab.user, mark)).filter(
    (e) => e.verb === 'update' && e.responseStatus?.code === 409,
  ).length;
  t.diagnostic(`starts blocked by a 409: ${startConflicts}`);
  // Changes of existing records, pairs at once: both land whatever the order (a 409 is read
  // again and re-applied: each entry is still what it expects).
  const current = async (n: string): Promise<StoredRecord> => {
    const text = ((await lab.get(statePath(lab)))?.data as Record<string, string>)['state.json'];
    const found = (JSON.parse(text ?? '{}') as { records: Record<string, StoredRecord> }).records[
      n
    ];
    assert.ok(found, n);
    return found;
  };
  const mark2 = lab.cp.auditMark();
  for (let i = 0; i + 1 < rest.length; i += 2) {
    const [a, b] = [rest[i] ?? '', rest[i + 1] ?? ''];
    const [ea, eb] = [await current(a), await current(b)];
    const r = await Promise.all([
      one.writeState({
        records: [{ node: a, expect: ea, next: rec(a, 'handed-over') }],
        baselines: [],
      }),
      two.writeState({
        records: [{ node: b, expect: eb, next: rec(b, 'handed-over') }],
        baselines: [],
      }),
    ]);
    assert.deepEqual(
      r.map((x) => x.result),
      ['done', 'done'],
      JSON.stringify(r),
    );
  }
  for (const n of rest) assert.equal(await recordOf(lab, n), 'handed-over', n);
  const conflicts = (await lab.cp.audit(lab.user, mark2)).filter(
    (e) => e.verb === 'update' && e.responseStatus?.code === 409,
  ).length;
  t.diagnostic(`409 answers re-applied: ${conflicts}`);
});

test('--watch: a 3-node drain group with maxUnavailable 1 never has two nodes out; replacements are waited for', async (t) => {
  const lab = await rotatorLab(t, ['drain', 'delete-node']);
  if (!lab) return;
  // a Karpenter pool drained by the generic actuator: deleting a drained Node gets its machine
  // replaced there (the termination finalizer), so --after-drain delete-node is allowed
  const ng = lab.name('ng');
  const group = `karpenter/${ng}`;
  const labels = { 'karpenter.sh/nodepool': ng };
  const all = [lab.name('a'), lab.name('b'), lab.name('c')];
  for (const n of all) await lab.oldNode(n, { labels });
  const policy: PlanPolicy = {
    ...DEFAULT_POLICY,
    groups: { [group]: { maxUnavailable: { count: 1 }, maxSurge: { count: 1 } } },
  };
  const fresh: string[] = [];
  let worst = 0;
  const check = async (): Promise<number> => {
    let cordoned = 0;
    let goneOld = 0;
    for (const n of [...all, ...fresh]) {
      const node = await lab.get(`/api/v1/nodes/${n}`);
      if (!node) goneOld++;
      else if ((node.spec as { unschedulable?: boolean }).unschedulable === true) cordoned++;
    }
    const down = cordoned + Math.max(0, goneOld - fresh.length);
    worst = Math.max(worst, down);
    return goneOld;
  };
  const client = lab.client();
  const stop = new AbortController();
  const errors: string[] = [];
  const deadline = Date.now() + 90_000;
  let observing: Promise<void> = Promise.resolve();
  const watching = rotateWatch(
    {
      edge: client,
      lease: leaseEdgeOf(client, lab.namespace),
      now: () => new Date(),
      monotonicMs: () => performance.now(),
      sleep: async (ms, signal) => {
        // the renewal loop sleeps too: one observer at a time
        const turn = observing.then(async () => {
          const goneOld = await check();
          // the group's tool: a new Ready node for each old one gone, one per pause
          if (fresh.length < goneOld) {
            const f = lab.name('r');
            fresh.push(f);
            await lab.node(f, { labels });
          }
          if (goneOld === all.length && fresh.length === all.length) stop.abort();
          if (Date.now() > deadline) stop.abort();
        });
        observing = turn;
        await turn;
        await new Promise<void>((res) => {
          const timer = setTimeout(res, Math.min(ms, 300));
          signal.addEventListener('abort', () => {
            clearTimeout(timer);
            res();
          });
        });
      },
      report: (e) => {
        if (e.kind === 'error') errors.push(e.message);
      },
    },
    {
      step: {
        policy,
        planId: PLAN,
        options: { ...OPTIONS, actuator: 'drain', afterDrain: 'delete-node' },
        apply: true,
      },
      me: 'watch-0',
      timing: leaseTimingFor(60),
      intervalMs: 300,
    },
    stop.signal,
  );
  await watching;
  assert.deepEqual(errors, []);
  for (const n of all) assert.equal(await lab.get(`/api/v1/nodes/${n}`), null, `${n} replaced`);
  assert.equal(worst, 1, 'one node out at a time, never two');
});
