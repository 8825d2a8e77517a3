// kubectl drain's rules on the REAL control plane (k8s.io/kubectl/pkg/drain/filters.go): a node
// whose pods include one no controller recreates, one with an emptyDir, or one its owner
// annotated never-disrupt is refused — not cordoned, no eviction sent, each pod named with its
// reason — and the refusal holds past --force-after. Differential: `kubectl drain NODE
// --dry-run=server --ignore-daemonsets` (kubectl 1.32, the field's reference) refuses the same
// pods, and evicts the same pods, as certdrift's plan for the same node, with and without
// --force and --delete-emptydir-data. Eviction answers: 500 "more than one PodDisruptionBudget"
// is blocked with the pod named.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { DEFAULT_POLICY } from '../../src/fleet/plan-policy.js';
import { podsToEvict, refusedPods, runStep, type StepRun } from '../../src/rotate/index.js';
import type { RotateOptions } from '../../src/rotate/rotate-types.js';
import type { ControlPlane } from '../support/control-plane/index.js';
import { barePod, daemonSet, pdb, readyPods } from './cluster-workloads.js';
import { recordOf, rotatorLab, unschedulable } from './rotator-cluster.js';

const BASE: RotateOptions = { afterDrain: 'none', drainTimeoutMs: 3_600_000 };
const settings = (options: Partial<RotateOptions> = {}) => ({
  policy: DEFAULT_POLICY,
  planId: 'p-rules',
  options: { ...BASE, ...options },
  apply: true,
});
// An hour ahead: both due nodes are past their scheduled start (the plan staggers a group's
// nodes by perNode, 20 min by default).
const later = (): Date => new Date(Date.now() + 3_600_000);
const results = (r: StepRun) =>
  r.outcomes.map((o) => `${o.action.node} ${o.action.step} ${o.result}`);

/** a Deployment of one pod on the nodes `nodeSelector` picks, with template extras */
async function app(
  cp: ControlPlane,
  ns: string,
  name: string,
  nodeSelector: Record<string, string>,
  extra: { annotations?: Record<string, string>; emptyDir?: boolean; replicas?: number } = {},
): Promise<void> {
  const labels = { app: name };
  await cp.admin.create(`/apis/apps/v1/namespaces/${ns}/deployments`, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: extra.replicas ?? 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels, annotations: extra.annotations ?? {} },
        spec: {
          nodeSelector,
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'app', image: 'registry.invalid/app:1' }],
          ...(extra.emptyDir ? { volumes: [{ name: 'scratch', emptyDir: {} }] } : {}),
        },
      },
    },
  });
  await readyPods(cp, ns, `app=${name}`, extra.replicas ?? 1);
}

/** what `kubectl drain --dry-run=server` evicts and refuses (namespace/name, sorted) */
function kubectlDrain(
  cp: ControlPlane,
  node: string,
  flags: string[],
): { evicted: string[]; refused: string[]; status: number | null; raw: string } {
  const r = spawnSync(
    '/usr/bin/kubectl',
    [
      '--kubeconfig',
      cp.info.adminKubeconfig,
      'drain',
      node,
      '--dry-run=server',
      '--ignore-daemonsets',
      '--timeout=30s',
      ...flags,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  const out = `${r.stdout}\n${r.stderr}`;
  const evicted = [...out.matchAll(/evicting pod (\S+)\/(\S+?)(?: \(server dry run\))?$/gm)].map(
    (m) => `${m[1]}/${m[2]}`,
  );
  // "cannot delete <why> (use --flag to override): ns/a, ns/b" — one line per filter
  const refused = new Set<string>();
  for (const m of out.matchAll(/cannot delete [^:\n]*?\): ((?:[a-z0-9.-]+\/[a-z0-9.-]+(?:, )?)+)/g))
    for (const p of (m[1] ?? '').split(', ')) if (p !== '') refused.add(p);
  return {
    evicted: [...new Set(evicted)].sort(),
    refused: [...refused].sort(),
    status: r.status,
    raw: out,
  };
}

test('a drain refuses unmanaged, emptyDir and never-disrupt pods as kubectl drain does; --force-after never deletes them', async (t) => {
  const lab = await rotatorLab(t, ['drain', 'force']);
  if (!lab) return;
  const { cp } = lab;
  const apps = await cp.namespace(t, 'shop');
  const client = lab.client();

  // d1: kubectl's cases. d2: the owners' annotations (kubectl does not know them).
  const [d1, d2] = [lab.name('d1'), lab.name('d2')];
  const on1 = { 'certdrift.test/pin': `${lab.label}-1` };
  const on2 = { 'certdrift.test/pin': `${lab.label}-2` };
  await lab.oldNode(d1, { labels: on1 });
  // its own group (the plan staggers one group's nodes by perNode): an EKS node group, drained
  await lab.oldNode(d2, { labels: { ...on2, 'eks.amazonaws.com/nodegroup': lab.label } });
  await app(cp, apps, 'web', on1);
  await app(cp, apps, 'cache', on1, { emptyDir: true });
  await barePod(cp, apps, 'debug', d1);
  await daemonSet(cp, apps, 'agent', on1);
  await readyPods(cp, apps, 'app=agent', 1);
  await app(cp, apps, 'batch', on2, { annotations: { 'karpenter.sh/do-not-disrupt': 'true' } });
  await app(cp, apps, 'db', on2, {
    annotations: { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false' },
  });
  const mark = cp.auditMark();

  // Default flags: both nodes refused, neither cordoned, nothing evicted; reasons per pod.
  const s1 = await runStep(client, settings(), later());
  assert.deepEqual(results(s1), []);
  const w1 = s1.step.work.find((w) => w.node === d1);
  const w2 = s1.step.work.find((w) => w.node === d2);
  assert.equal(w1?.state, 'blocked');
  assert.equal(w2?.state, 'blocked');
  assert.match(w1.note, new RegExp(`${apps}/debug has no controller`));
  assert.match(w1.note, new RegExp(`${apps}/cache-\\S+ uses emptyDir`));
  assert.doesNotMatch(w1.note, /web-|agent-/);
  assert.match(w2.note, /batch-\S+ annotated karpenter.sh\/do-not-disrupt/);
  assert.match(w2.note, /db-\S+ annotated cluster-autoscaler.kubernetes.io\/safe-to-evict/);
  assert.equal(await unschedulable(lab, d1), false);
  assert.equal(await recordOf(lab, d1), '-');

  // Differential: kubectl drain --dry-run=server judges d1's pods as certdrift's plan does.
  const listed = await client.listPods(new Set([d1]));
  const name = (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`;
  for (const flags of [
    [],
    ['--force'],
    ['--delete-emptydir-data'],
    ['--force', '--delete-emptydir-data'],
  ]) {
    const options = {
      force: flags.includes('--force'),
      deleteEmptyDirData: flags.includes('--delete-emptydir-data'),
    };
    const k = kubectlDrain(cp, d1, flags);
    const mine = refusedPods(listed, d1, options).map((r) => r.split(' ')[0] ?? '');
    assert.deepEqual(mine, k.refused, `refused with ${flags.join(' ') || 'no flags'}`);
    // kubectl evicts only when nothing is refused: with both flags, web, cache and debug
    if (flags.length === 2) assert.equal(k.evicted.length, 3, JSON.stringify(k));
    if (k.refused.length === 0)
      assert.deepEqual(
        podsToEvict(listed, d1, options).map(name).sort(),
        k.evicted,
        `evicted with ${flags.join(' ')}`,
      );
  }

  // --force and --delete-emptydir-data: d1 drains (the bare pod and the cache are evicted, the
  // DaemonSet's pod stays); d2's annotated pods are refused whatever the flags say.
  const s2 = await runStep(client, settings({ force: true, deleteEmptyDirData: true }), later());
  assert.deepEqual(
    results(s2).sort(),
    [
      `${d1} record-cordoned done`,
      `${d1} cordon done`,
      `${d1} evict done`,
      `${d1} evict done`,
      `${d1} evict done`,
    ].sort(),
  );
  assert.equal(s2.step.work.find((w) => w.node === d2)?.state, 'blocked');

  // A forced drain of d2 (cordoned by a run with the flags, as an operator might) past
  // --force-after: the refused pods are neither evicted nor deleted; the node stays blocked.
  const d2Node = await cp.admin.patch(`/api/v1/nodes/${d2}`, { spec: { unschedulable: true } });
  const written = await client.writeState({
    records: [
      {
        node: d2,
        expect: null,
        next: {
          plan: 'p-rules',
          state: 'cordoned',
          since: new Date(Date.now() + 30 * 60_000).toISOString(),
          uid: String(d2Node.metadata?.uid),
          group: `eks/${lab.label}`,
        },
      },
    ],
    baselines: [],
  });
  assert.equal(written.result, 'done');
  const s3 = await runStep(
    client,
    settings({ force: true, deleteEmptyDirData: true, forceAfterMs: 60_000 }),
    later(),
  );
  assert.equal(s3.step.work.find((w) => w.node === d2)?.state, 'blocked');
  assert.deepEqual(
    results(s3).filter((r) => r.startsWith(d2)),
    [],
  );
  // Past the drain timeout (the record is 2.5 h old, the timeout 1 h), --force-after set: the
  // timeout still ends the drain — d2 is recorded stuck, left cordoned, its refused pods named —
  // instead of deleting forever (review finding 11).
  const s4 = await runStep(
    client,
    settings({ force: true, deleteEmptyDirData: true, forceAfterMs: 60_000 }),
    new Date(Date.now() + 3 * 3_600_000),
  );
  const w4 = s4.step.work.find((w) => w.node === d2);
  assert.equal(w4?.state, 'stuck');
  assert.match(w4.note, /past the drain timeout: left cordoned; refused: /);
  assert.match(w4.note, /batch-\S+ annotated karpenter.sh\/do-not-disrupt/);
  assert.deepEqual(
    results(s4).filter((r) => r.startsWith(d2)),
    [`${d2} record-stuck done`],
  );
  assert.equal(await recordOf(lab, d2), 'stuck/cordoned');
  assert.equal(await unschedulable(lab, d2), true);
  // Nothing ever touched the annotated pods or d2's pods at all.
  const events = await cp.audit(lab.user, mark);
  const touched = events.filter(
    (e) =>
      e.objectRef?.resource === 'pods' &&
      (e.verb === 'delete' || e.objectRef.subresource === 'eviction') &&
      /^(batch|db)-/.test(e.objectRef.name ?? ''),
  );
  assert.deepEqual(touched, []);
});

test('an eviction the API refuses for several PodDisruptionBudgets is blocked, the pod named', async (t) => {
  const lab = await rotatorLab(t, ['drain']);
  if (!lab) return;
  const { cp } = lab;
  const apps = await cp.namespace(t, 'shop');
  const d1 = lab.name('d1');
  const on1 = { 'certdrift.test/pin': `${lab.label}-1` };
  await lab.oldNode(d1, { labels: on1 });
  await app(cp, apps, 'web', on1);
  await pdb(cp, apps, 'web', { maxUnavailable: 1 });
  await cp.admin.create(`/apis/policy/v1/namespaces/${apps}/poddisruptionbudgets`, {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'web-too' },
    spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'web' } } },
  });
  const s = await runStep(lab.client(), settings(), new Date());
  const evict = s.outcomes.find((o) => o.action.step === 'evict');
  assert.equal(evict?.result, 'blocked');
  assert.match(evict.message ?? '', new RegExp(`${apps}/web-\\S+: several PodDisruptionBudgets`));
  assert.deepEqual(
    (await readyPods(cp, apps, 'app=web', 1)).map((p) => p.node),
    [d1],
    'the pod still runs',
  );
});

test("a pod claiming a DaemonSet that does not exist is an orphan: refused without --force, evicted with it — as kubectl drain's daemonSetFilter (it GETs the DaemonSet)", async (t) => {
  const lab = await rotatorLab(t, ['drain']);
  if (!lab) return;
  const { cp } = lab;
  const apps = await cp.namespace(t, 'shop');
  const d1 = lab.name('d1');
  const on1 = { 'certdrift.test/pin': `${lab.label}-1` };
  await lab.oldNode(d1, { labels: on1 });
  // A real DaemonSet's pod (left), and a pod whose controller ownerReference claims a DaemonSet
  // "ghost" that is not there. Its apiVersion is one the garbage collector cannot resolve, so the
  // orphan stays (an apps/v1 one would be collected), while kubectl — which looks at the kind
  // only and GETs apps/v1 — judges it as certdrift does.
  await daemonSet(cp, apps, 'agent', on1);
  await readyPods(cp, apps, 'app=agent', 1);
  await cp.admin.create(`/api/v1/namespaces/${apps}/pods`, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'orphan',
      labels: { app: 'orphan' },
      ownerReferences: [
        {
          apiVersion: 'example.invalid/v1',
          kind: 'DaemonSet',
          name: 'ghost',
          uid: '6f1c1d2e-0000-4000-8000-000000000001',
          controller: true,
        },
      ],
    },
    spec: {
      nodeName: d1,
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'app', image: 'registry.invalid/app:1' }],
    },
  });
  await readyPods(cp, apps, 'app=orphan', 1);
  const client = lab.client();
  const mark = cp.auditMark();
  const listed = await client.listPods(new Set([d1]));
  const orphan = listed.find((p) => p.name === 'orphan');
  const agent = listed.find((p) => p.name.startsWith('agent-'));
  assert.equal(orphan?.daemonSet, false);
  assert.equal(orphan.orphanOf, `DaemonSet ${apps}/ghost, which does not exist`);
  assert.equal(agent?.daemonSet, true, 'the real DaemonSet was read: its pod is left');
  const gets = (await cp.audit(lab.user, mark)).filter(
    (e) => e.objectRef?.resource === 'daemonsets' && e.verb === 'get',
  );
  assert.deepEqual(
    gets.map((e) => `${e.objectRef?.name ?? ''} ${e.responseStatus?.code ?? 0}`).sort(),
    ['agent 200', 'ghost 404'],
  );

  // Without --force: the node is blocked, the orphan named; kubectl drain refuses it too.
  const s1 = await runStep(client, settings(), later());
  const w1 = s1.step.work.find((w) => w.node === d1);
  assert.equal(w1?.state, 'blocked');
  assert.match(
    w1.note,
    new RegExp(
      `${apps}/orphan claims DaemonSet ${apps}/ghost, which does not exist \\(orphaned, never recreated\\): --force`,
    ),
  );
  assert.deepEqual(results(s1), []);
  const k = kubectlDrain(cp, d1, []);
  const out = k.raw;
  assert.notEqual(k.status, 0, out);
  assert.match(out, /"ghost" not found/);
  // With --force: kubectl evicts it (server dry run), and so does certdrift's plan; the
  // DaemonSet's own pod is left by both.
  const forced = kubectlDrain(cp, d1, ['--force']);
  assert.deepEqual(forced.evicted, [`${apps}/orphan`], forced.raw);
  assert.deepEqual(
    podsToEvict(listed, d1, { force: true }).map((p) => `${p.namespace}/${p.name}`),
    forced.evicted,
  );
});
