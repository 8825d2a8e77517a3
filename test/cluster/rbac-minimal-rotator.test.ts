// The rotator's shipped RBAC (deploy/rotator and its actuator components), applied for real to
// the real control plane, is exactly what `certdrift rotate --apply` calls, per actuator: with the
// rotator's own ServiceAccount token each configuration an operator can install rotates its
// nodes (two runs: the one that starts the work and a later one that finishes drains — once the
// evicted pods are really gone — and forces a drain past --force-after) without a single 403,
// and uses every verb its roles grant, as the API server's audit log records them; removing any
// verb of any rule makes the call that needs it fail (403 from the real RBAC authorizer), and
// nothing else; a call outside the granted actuator's roles is refused.
// Runs on the shared control plane of test/support/control-plane.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { leaseEdgeOf } from '../../src/adapters/kube/rotate-lock.js';
import { DEFAULT_POLICY } from '../../src/fleet/plan-policy.js';
import { leaseTimingFor, rotateOnce, type RotatorEvent } from '../../src/rotate/index.js';
import type { Manifest } from '../support/deploy-manifests.js';
import type { AuditEvent } from '../support/control-plane/index.js';
import {
  capiNodeAnnotations,
  createMachine,
  createMachineHealthCheck,
  createMachineSet,
} from '../support/simulated-controllers/cluster-api.js';
import {
  createNodeClaim,
  karpenterProviderId,
} from '../support/simulated-controllers/karpenter.js';
import { barePod, daemonSet, podsOn, readyPods } from '../rotate/cluster-workloads.js';
import {
  recordOf,
  rotatorLab,
  rotatorManifests,
  type Component,
  type RotatorLab,
} from '../rotate/rotator-cluster.js';

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
}

interface Fleet {
  k1: string;
  d1?: string;
  f1?: string;
  x1?: string;
  c1?: { node: string; machine: string };
  r1?: { node: string; claim: string };
}

/** one node (and what its actuator acts on) per actuator the configuration grants */
async function seedFleet(
  t: TestContext,
  lab: RotatorLab,
  components: readonly Component[],
  errors: string[],
): Promise<Fleet> {
  const { cp } = lab;
  const apps = await cp.namespace(t, 'shop');
  const fleet: Fleet = { k1: lab.name('k1') };
  await lab.oldNode(fleet.k1, {
    labels: { 'kops.k8s.io/instancegroup': lab.name('nodes'), ...agentPin(lab) },
  });
  if (components.includes('drain')) {
    fleet.d1 = lab.name('d1');
    await lab.oldNode(fleet.d1, { labels: agentPin(lab) });
    await barePod(cp, apps, 'web-1', fleet.d1);
  }
  if (components.includes('delete-node')) {
    // --after-drain delete-node only where something replaces the machine: a Karpenter node
    // (its termination finalizer) whose drain an earlier `--actuator drain` run began; d1, a
    // node of no group, is refused it (actuators/delete-node.ts).
    fleet.x1 = lab.name('x1');
    const pool = lab.name('pool-x');
    const x1 = await lab.oldNode(fleet.x1, {
      // its own pool: its drain in flight takes no slot of r1's group
      labels: { 'karpenter.sh/nodepool': pool, ...agentPin(lab) },
      unschedulable: true,
    });
    // that earlier run's record, written by the rotator itself (the only writer of the state)
    try {
      const xr = await lab.client().writeState({
        records: [
          {
            node: fleet.x1,
            expect: null,
            next: {
              plan: 'p-rbac',
              state: 'cordoned',
              since: new Date().toISOString(),
              uid: String(x1.metadata?.uid),
              group: `karpenter/${pool}`,
            },
          },
        ],
        baselines: [],
      });
      if (xr.result !== 'done') errors.push(xr.message);
    } catch (e) {
      errors.push((e as Error).message);
    }
    await barePod(cp, apps, 'web-x', fleet.x1);
  }
  // a DaemonSet's pod on the kops node and on each drained node (d1; x1 with delete-node): left
  // on the node once its DaemonSet was read (daemonsets get, kubectl drain's daemonSetFilter) —
  // a hand-over lists the node's pods too
  await daemonSet(cp, apps, 'agent', agentPin(lab));
  await readyPods(
    cp,
    apps,
    'app=agent',
    1 + (components.includes('drain') ? 1 : 0) + (components.includes('delete-node') ? 1 : 0),
  );
  if (components.includes('force')) {
    // a drain cordoned 20 minutes ago by an earlier run, its pod still there: past --force-after
    fleet.f1 = lab.name('f1');
    const since = new Date(Date.now() - 20 * 60_000).toISOString();
    const group = `eks/${lab.name('ng-f')}`;
    const created = await lab.oldNode(fleet.f1, {
      labels: { 'eks.amazonaws.com/nodegroup': group.slice(4) },
      unschedulable: true,
    });
    // that earlier run's record, written by the rotator itself (the only writer of the state)
    try {
      const r = await lab.client().writeState({
        records: [
          {
            node: fleet.f1,
            expect: null,
            next: {
              plan: 'p-rbac',
              state: 'cordoned',
              since,
              uid: String(created.metadata?.uid),
              group,
            },
          },
        ],
        baselines: [{ group, next: [fleet.f1] }],
      });
      if (r.result !== 'done') errors.push(r.message);
    } catch (e) {
      errors.push((e as Error).message);
    }
    await barePod(cp, apps, 'web-f', fleet.f1);
  }
  if (components.includes('capi')) {
    const clusters = await cp.namespace(t, 'clusters');
    const set = await createMachineSet(cp.admin, clusters, 'md-0', 1);
    const machine = lab.name('md-0');
    await createMachine(cp.admin, clusters, machine, set);
    // Cluster API remediates only a Machine a MachineHealthCheck selects
    await createMachineHealthCheck(cp.admin, clusters, 'md-0', {
      'cluster.x-k8s.io/set-name': 'md-0',
    });
    t.after(() =>
      cp.admin.request(
        'PATCH',
        `/apis/cluster.x-k8s.io/v1beta2/namespaces/${clusters}/machines/${machine}`,
        { metadata: { finalizers: null } },
        'application/merge-patch+json',
      ),
    );
    const node = lab.name('c1');
    await lab.oldNode(node, {
      annotations: capiNodeAnnotations(machine, clusters, { kind: 'MachineSet', name: 'md-0' }),
      // Cluster API's own link from the Machine (spec.providerID) to its Node
      providerID: `aws:///eu-west-1a/i-${machine}`,
    });
    fleet.c1 = { node, machine };
  }
  if (components.includes('karpenter')) {
    const claim = lab.name('default-x1');
    const node = lab.name('r1');
    await createNodeClaim(cp.admin, claim, lab.name('pool'), lab.label, node);
    t.after(async () => {
      await cp.admin.request(
        'PATCH',
        `/apis/karpenter.sh/v1/nodeclaims/${claim}`,
        { metadata: { finalizers: null } },
        'application/merge-patch+json',
      );
      await cp.admin.request('DELETE', `/apis/karpenter.sh/v1/nodeclaims/${claim}`);
    });
    await lab.oldNode(node, {
      labels: { 'karpenter.sh/nodepool': 'default' },
      providerID: karpenterProviderId(claim),
    });
    fleet.r1 = { node, claim };
  }
  return fleet;
}

/** `resource[/subresource]:verb` as the audit log names a call */
/** the label that puts the test's DaemonSet on the kops node and the drained nodes */
const agentPin = (lab: RotatorLab): Record<string, string> => ({
  'certdrift.test/agent': lab.label,
});

const callOf = (e: AuditEvent): string =>
  `${e.objectRef?.resource ?? ''}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ''}:${e.verb}`;

/**
 * `certdrift rotate --apply` as the rotator, twice (each: take the Lease, one step, release): now,
 * and once the evicted or deleted pods are gone (their grace period), when drains finish
 */
async function runRotatorFlow(
  t: TestContext,
  components: readonly Component[],
  manifests: Manifest[] = rotatorManifests(components),
): Promise<
  | { calls: AuditEvent[]; errors: string[]; results: string[]; lab: RotatorLab; fleet: Fleet }
  | undefined
> {
  const lab = await rotatorLab(t, components, manifests);
  if (!lab) return undefined;
  await lab.cp.installCrds(['cluster.x-k8s.io', 'controlplane', 'karpenter']);
  const errors: string[] = [];
  // from before the seeding: an earlier run's record (force) is the rotator's own write
  const mark = lab.cp.auditMark();
  const fleet = await seedFleet(t, lab, components, errors);
  const client = lab.client();
  const results: string[] = [];
  for (const run of [1, 2]) {
    if (run === 2)
      for (const n of [fleet.d1, fleet.f1, fleet.x1])
        if (n)
          await lab.cp.waitFor(`the pods of ${n} gone`, 30_000, async () => {
            const left = await podsOn(lab.cp, n);
            // a pod the missing verb kept from going stays: the run then reports it
            return left.length === 0 || left.every((p) => !p.terminating) ? true : undefined;
          });
    try {
      const r = await rotateOnce(
        {
          edge: client,
          lease: leaseEdgeOf(client, lab.namespace),
          now: () => new Date(),
          monotonicMs: () => performance.now(),
          // no renewal in a step this short: the flow ends first
          sleep: (_ms, signal) =>
            new Promise((resolve) => {
              signal.addEventListener('abort', () => {
                resolve();
              });
            }),
          report: (e: RotatorEvent) => {
            if (e.kind === 'error') errors.push(e.message);
          },
        },
        {
          step: {
            policy: DEFAULT_POLICY,
            planId: 'p-rbac',
            options: {
              afterDrain: components.includes('delete-node') ? 'delete-node' : 'none',
              drainTimeoutMs: 3_600_000,
              // the shop's pods are bare (no controller): kubectl drain's --force lets them go
              force: true,
              ...(components.includes('force') ? { forceAfterMs: 10 * 60_000 } : {}),
            },
            apply: true,
          },
          me: 'rotator-0',
          timing: leaseTimingFor(300),
          intervalMs: 60_000,
        },
        new AbortController().signal,
      );
      if (r.held)
        for (const o of r.run.outcomes) {
          const name = Object.entries(fleet).find(
            ([, v]) =>
              v === o.action.node || (v as { node?: string } | undefined)?.node === o.action.node,
          )?.[0];
          results.push(`${run}: ${name ?? o.action.node} ${o.action.step} ${o.result}`);
          if (o.result === 'failed') errors.push(o.message ?? 'failed');
        }
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  const calls = await lab.cp.audit(lab.user, mark);
  return { calls, errors, results: results.sort(), lab, fleet };
}

const rolesOf = (manifests: Manifest[]): Manifest[] =>
  manifests.filter((m) => m.kind === 'ClusterRole' || m.kind === 'Role');

function granted(manifests: Manifest[]): string[] {
  return [
    ...new Set(
      rolesOf(manifests).flatMap((m) =>
        (m.rules as PolicyRule[]).flatMap((r) =>
          (r.resources ?? []).flatMap((res) => r.verbs.map((v) => `${res}:${v}`)),
        ),
      ),
    ),
  ].sort();
}

const KOPS = [
  '1: k1 record-handed-over done',
  '1: k1 cordon done',
  '1: k1 kops-annotate done',
  '1: k1 kops-rolling-update planned',
  '2: k1 kops-rolling-update planned',
];
const DRAIN = ['1: d1 record-cordoned done', '1: d1 cordon done', '1: d1 evict done'];

const CONFIGS: { name: string; components: Component[]; effect: string[] }[] = [
  { name: 'kops (the base alone)', components: [], effect: [...KOPS].sort() },
  {
    name: 'drain',
    components: ['drain'],
    effect: [...DRAIN, ...KOPS, '2: d1 mark-drained done'].sort(),
  },
  {
    name: 'drain + delete-node',
    components: ['drain', 'delete-node'],
    effect: [...KOPS, '1: x1 evict done', '2: x1 delete-node done'].sort(),
  },
  {
    name: 'drain + force',
    components: ['drain', 'force'],
    effect: [
      ...DRAIN,
      ...KOPS,
      '1: f1 delete-pod done',
      '2: d1 mark-drained done',
      '2: f1 mark-drained done',
    ].sort(),
  },
  {
    name: 'capi',
    components: ['capi'],
    effect: [
      ...KOPS,
      '1: c1 capi-remediate done',
      '1: c1 cordon done',
      '1: c1 record-handed-over done',
    ].sort(),
  },
  {
    name: 'karpenter',
    components: ['karpenter'],
    effect: [...KOPS, '1: r1 karpenter-delete done', '1: r1 record-handed-over done'].sort(),
  },
];

for (const c of CONFIGS)
  test(`rotator RBAC, ${c.name}: the whole run as the rotator's ServiceAccount, every granted verb used`, async (t) => {
    const manifests = rotatorManifests(c.components);
    const flow = await runRotatorFlow(t, c.components, manifests);
    if (!flow) return;
    const { calls, errors, results, lab, fleet } = flow;
    assert.deepEqual(errors, []);
    assert.deepEqual(results, c.effect);
    assert.deepEqual(calls.filter((q) => q.responseStatus?.code === 403).map(callOf), []);
    const used = [...new Set(calls.map(callOf))].sort();
    assert.deepEqual(
      used,
      granted(manifests),
      'every granted verb is used, every used verb granted',
    );
    // The effects happened (not only the calls): spot-check the records and deletions.
    assert.equal(await recordOf(lab, fleet.k1), 'handed-over');
    if (fleet.d1)
      assert.equal(
        await recordOf(lab, fleet.d1),
        c.components.includes('delete-node') ? '-' : 'drained',
        'a node of no group is refused --after-drain delete-node: never cordoned',
      );
    if (fleet.x1) assert.equal(await recordOf(lab, fleet.x1), null, 'deleted');
    if (fleet.f1) {
      assert.deepEqual(await podsOn(lab.cp, fleet.f1), [], 'forced out');
      assert.equal(await recordOf(lab, fleet.f1), 'drained');
    }
    if (fleet.r1) {
      const claim = await lab.get(`/apis/karpenter.sh/v1/nodeclaims/${fleet.r1.claim}`);
      assert.ok(claim?.metadata?.deletionTimestamp, 'deleted (its finalizer holds it)');
    }
    if (fleet.c1) {
      const [m] = await lab.cp.admin.list(
        `/apis/cluster.x-k8s.io/v1beta2/machines?fieldSelector=metadata.name=${fleet.c1.machine}`,
      );
      assert.equal(
        (m?.metadata?.annotations as Record<string, string> | undefined)?.[
          'cluster.x-k8s.io/remediate-machine'
        ],
        '',
      );
    }
    assert.equal((await lab.lease())?.holderIdentity, '', 'released');
  });

test('rotator RBAC: removing any verb of any shipped rule makes the call that needs it fail', async (t) => {
  const all: Component[] = ['drain', 'delete-node', 'force', 'capi', 'karpenter'];
  const full = rotatorManifests(all);
  let variants = 0;
  for (const role of rolesOf(full)) {
    for (const [i, rule] of (role.rules as PolicyRule[]).entries())
      for (const verb of rule.verbs) {
        const manifests = structuredClone(full);
        const target = manifests.find(
          (m) => m.kind === role.kind && m.metadata.name === role.metadata.name,
        );
        assert.ok(target);
        const rules = target.rules as PolicyRule[];
        const remaining = rule.verbs.filter((v) => v !== verb);
        if (remaining.length === 0) rules.splice(i, 1);
        else (rules[i] as PolicyRule).verbs = remaining;
        const what = `${role.kind}/${role.metadata.name} without ${rule.resources?.join(',') ?? ''}:${verb}`;
        await t.test(what, async (st) => {
          const flow = await runRotatorFlow(st, all, manifests);
          if (!flow) return;
          const denied = flow.calls.filter((q) => q.responseStatus?.code === 403);
          assert.ok(denied.length > 0, `${what}: some call was refused`);
          assert.ok(
            denied.every(
              (q) => q.verb === verb && rule.resources?.includes(callOf(q).split(':')[0] ?? ''),
            ),
            `${what}: only the matching call was refused (${JSON.stringify(denied.map(callOf))})`,
          );
          assert.ok(
            flow.errors.some((e) => / 403 /.test(e) && e.includes(`cannot ${verb} resource`)),
            `${what}: the run reports it (${flow.errors.join(' | ')})`,
          );
        });
        variants++;
      }
  }
  assert.ok(variants >= 12, `every verb of every rule was removed once (${variants})`);
});

test("rotator RBAC: granted only the kops role, the rotator lists a node's pods (its hand-over checks them) and Machines and NodeClaims (the nodes' groups) but cannot evict, delete a pod or a node, patch a Machine or delete a NodeClaim", async (t) => {
  const lab = await rotatorLab(t, []);
  if (!lab) return;
  await lab.cp.installCrds(['cluster.x-k8s.io', 'controlplane', 'karpenter']);
  const apps = await lab.cp.namespace(t, 'shop');
  const d1 = lab.name('d1');
  await lab.node(d1);
  await barePod(lab.cp, apps, 'web-1', d1);
  const client = lab.client();
  await assert.rejects(
    client.execute({
      method: 'POST',
      path: `/api/v1/namespaces/${apps}/pods/web-1/eviction`,
      body: {
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: { name: 'web-1', namespace: apps },
      },
      eviction: true,
      absentIsDone: true,
    }),
    /403 .*cannot create resource "pods\/eviction"/,
  );
  assert.deepEqual(
    (await client.listPods(new Set([d1]))).map((p) => p.name),
    ['web-1'],
  );
  await assert.rejects(
    client.execute({
      method: 'DELETE',
      path: `/api/v1/namespaces/${apps}/pods/web-1`,
      absentIsDone: true,
    }),
    /403 .*cannot delete resource "pods"/,
  );
  // Machines and NodeClaims are read by the base role (a node's group comes from them), never
  // written without their actuator's component
  assert.ok(Array.isArray(await client.listMachines()));
  await assert.rejects(
    client.execute({
      method: 'PATCH',
      path: `/apis/cluster.x-k8s.io/v1beta1/namespaces/${apps}/machines/m-1`,
      body: { metadata: { annotations: { 'cluster.x-k8s.io/remediate-machine': '' } } },
      contentType: 'application/merge-patch+json',
    }),
    /403 .*cannot patch resource "machines"/,
  );
  await assert.rejects(
    client.execute({ method: 'DELETE', path: `/api/v1/nodes/${d1}`, absentIsDone: true }),
    /403 .*cannot delete resource "nodes"/,
  );
  assert.ok(Array.isArray(await client.listNodeClaims()));
  await assert.rejects(
    client.execute({
      method: 'DELETE',
      path: '/apis/karpenter.sh/v1/nodeclaims/c-1',
      absentIsDone: true,
    }),
    /403 .*cannot delete resource "nodeclaims"/,
  );
  assert.deepEqual(
    (await podsOn(lab.cp, d1)).map((p) => `${p.name} ${p.terminating}`),
    ['web-1 false'],
    'the pod is still there',
  );
  assert.ok(await lab.get(`/api/v1/nodes/${d1}`), 'the node is still there');
});
