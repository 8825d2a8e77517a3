// The rotator's shipped RBAC (deploy/rotator and its actuator components) is exactly what
// `certdrift rotate --apply` calls, per actuator: with the rotator's own ServiceAccount token
// each configuration an operator can install rotates its nodes (two runs: the one that starts
// the work and a later one that finishes drains, lists Machines, forces a drain past
// --force-after) without a single 403 and uses every verb its roles grant; removing any verb of any rule makes the call that needs it fail;
// and a call outside the granted actuator's roles is refused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leaseEdgeOf } from '../../src/adapters/kube/rotate-lock.js';
import { DEFAULT_POLICY } from '../../src/fleet/plan-policy.js';
import { leaseTimingFor, rotateOnce, type RotatorEvent } from '../../src/rotate/index.js';
import type { Manifest, PolicyRule } from '../support/kube-emulator/index.js';
import {
  rotatorAccount,
  rotatorManifests,
  startRotatorCluster,
  type Component,
  type RotatorLab,
} from '../rotate/rotator-cluster.js';
import { needKubectl } from './setup.js';

interface Call {
  verb: string;
  resource: string;
  code: number;
  user: string;
}

/** one node (and what its actuator acts on) per actuator the configuration grants */
function seedFleet(lab: RotatorLab, components: readonly Component[]): void {
  const { emu } = lab;
  emu.seed('', 'nodes', {
    metadata: { name: 'k1', labels: { 'kops.k8s.io/instancegroup': 'nodes' } },
  });
  if (components.includes('drain')) {
    emu.seed('', 'nodes', { metadata: { name: 'd1' } });
    emu.store.create(emu.type('', 'pods'), {
      metadata: { name: 'web-1', namespace: 'shop' },
      spec: { nodeName: 'd1' },
      status: { phase: 'Running' },
    });
  }
  if (components.includes('force')) {
    // a drain cordoned 20 minutes ago by an earlier run, its pod still there: past --force-after
    const since = new Date(emu.now() - 20 * 60_000).toISOString();
    emu.seed('', 'nodes', {
      metadata: {
        name: 'f1',
        labels: { 'eks.amazonaws.com/nodegroup': 'ng-f' },
        annotations: {
          'certdrift.io/rotation': JSON.stringify({ plan: 'p-rbac', state: 'cordoned', since }),
        },
      },
      spec: { unschedulable: true },
    });
    emu.store.create(emu.type('', 'pods'), {
      metadata: { name: 'web-f', namespace: 'shop' },
      spec: { nodeName: 'f1' },
      status: { phase: 'Running' },
    });
  }
  if (components.includes('capi')) {
    emu.seed('', 'nodes', {
      metadata: {
        name: 'c1',
        annotations: {
          'cluster.x-k8s.io/owner-name': 'md-0',
          'cluster.x-k8s.io/machine': 'md-0-abc',
          'cluster.x-k8s.io/cluster-namespace': 'clusters',
        },
      },
    });
    emu.seed('cluster.x-k8s.io', 'machines', {
      metadata: { name: 'md-0-abc', namespace: 'clusters' },
      spec: { clusterName: 'prod' },
    });
  }
  if (components.includes('karpenter')) {
    emu.seed('', 'nodes', {
      metadata: { name: 'r1', labels: { 'karpenter.sh/nodepool': 'default' } },
      spec: { providerID: 'aws:///eu-west-1a/i-r1' },
    });
    emu.seed('karpenter.sh', 'nodeclaims', {
      metadata: { name: 'default-x1' },
      status: { providerID: 'aws:///eu-west-1a/i-r1' },
    });
  }
}

/**
 * `certdrift rotate --apply` as the rotator, twice (each: take the Lease, one step, release): now,
 * and two minutes later, when the evicted pods are gone and drains finish
 */
async function runRotatorFlow(
  components: readonly Component[],
  manifests: Manifest[] = rotatorManifests(components),
): Promise<{ calls: Call[]; errors: string[]; results: string[]; lab: RotatorLab }> {
  const lab = await startRotatorCluster(components, manifests);
  seedFleet(lab, components);
  const client = lab.client();
  const errors: string[] = [];
  const results: string[] = [];
  const t0 = lab.emu.now();
  for (const [run, offset] of [60_000, 180_000].entries()) {
    const now = (): Date => new Date(t0 + offset);
    try {
      const r = await rotateOnce(
        {
          edge: client,
          lease: leaseEdgeOf(client),
          now,
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
            policy: { ...DEFAULT_POLICY, maxNodeAgeMs: 1000 },
            planId: 'p-rbac',
            options: {
              afterDrain: components.includes('delete-node') ? 'delete-node' : 'none',
              drainTimeoutMs: 3_600_000,
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
          results.push(`${run + 1}: ${o.action.node} ${o.action.step} ${o.result}`);
          if (o.result === 'failed') errors.push(o.message ?? 'failed');
        }
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  await lab.emu.stop();
  return {
    calls: lab.emu.requests.map((q) => ({
      verb: q.verb,
      resource: q.resource,
      code: q.code,
      user: q.user,
    })),
    errors,
    results: results.sort(), // sorted: the order per node is asserted elsewhere (rotate-emulated)
    lab,
  };
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
  '1: k1 kops-annotate done',
  '1: k1 kops-rolling-update planned',
  '2: k1 kops-rolling-update planned',
];
const DRAIN = ['1: d1 cordon done', '1: d1 evict done'];

const CONFIGS: { name: string; components: Component[]; effect: string[] }[] = [
  { name: 'kops (the base alone)', components: [], effect: KOPS },
  {
    name: 'drain',
    components: ['drain'],
    effect: [...DRAIN, ...KOPS, '2: d1 mark-drained done'].sort(),
  },
  {
    name: 'drain + delete-node',
    components: ['drain', 'delete-node'],
    effect: [...DRAIN, ...KOPS, '2: d1 delete-node done'].sort(),
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
    effect: [...KOPS, '1: c1 capi-remediate done', '1: c1 record-handed-over done'].sort(),
  },
  {
    name: 'karpenter',
    components: ['karpenter'],
    effect: [...KOPS, '1: r1 karpenter-delete done', '1: r1 record-handed-over done'].sort(),
  },
];

for (const c of CONFIGS)
  test(`rotator RBAC, ${c.name}: the whole run as the rotator's ServiceAccount, every granted verb used`, async (t) => {
    if (!needKubectl(t)) return;
    const manifests = rotatorManifests(c.components);
    const sa = rotatorAccount(manifests);
    const { calls, errors, results, lab } = await runRotatorFlow(c.components, manifests);
    assert.deepEqual(errors, []);
    assert.deepEqual(results, c.effect);
    assert.deepEqual(
      calls.filter((q) => q.code === 403),
      [],
    );
    assert.ok(
      calls.every((q) => q.user === `system:serviceaccount:${sa.namespace}:${sa.name}`),
      'every call as the rotator ServiceAccount',
    );
    const used = [...new Set(calls.map((q) => `${q.resource}:${q.verb}`))].sort();
    assert.deepEqual(
      used,
      granted(manifests),
      'every granted verb is used, every used verb granted',
    );
    // The effects happened (not only the calls): spot-check the records and deletions.
    const annotations = (n: string) => lab.emu.find('', 'nodes', n)?.metadata.annotations ?? {};
    assert.match(annotations('k1')['certdrift.io/rotation'] ?? '', /"handed-over"/);
    if (c.components.includes('delete-node'))
      assert.equal(lab.emu.find('', 'nodes', 'd1'), undefined);
    else if (c.components.includes('drain'))
      assert.match(annotations('d1')['certdrift.io/rotation'] ?? '', /"drained"/);
    if (c.components.includes('force')) {
      assert.equal(lab.emu.find('', 'pods', 'web-f', 'shop'), undefined, 'forced out');
      assert.match(annotations('f1')['certdrift.io/rotation'] ?? '', /"drained"/);
    }
    if (c.components.includes('karpenter'))
      assert.equal(lab.emu.find('karpenter.sh', 'nodeclaims', 'default-x1'), undefined);
    if (c.components.includes('capi'))
      assert.equal(
        lab.emu.find('cluster.x-k8s.io', 'machines', 'md-0-abc', 'clusters')?.metadata
          .annotations?.['cluster.x-k8s.io/remediate-machine'],
        '',
      );
    const lease = lab.emu.find('coordination.k8s.io', 'leases', 'certdrift-rotate', 'certdrift');
    assert.equal((lease?.spec as { holderIdentity?: string }).holderIdentity, '', 'released');
  });

test('rotator RBAC: removing any verb of any shipped rule makes the call that needs it fail', async (t) => {
  if (!needKubectl(t)) return;
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
        const { calls, errors } = await runRotatorFlow(all, manifests);
        const denied = calls.filter((q) => q.code === 403);
        const what = `${role.kind}/${role.metadata.name} without ${rule.resources?.join(',') ?? ''}:${verb}`;
        assert.ok(denied.length > 0, `${what}: some call was refused`);
        assert.ok(
          denied.every((q) => q.verb === verb && rule.resources?.includes(q.resource)),
          `${what}: only the matching call was refused (${JSON.stringify(denied)})`,
        );
        assert.ok(
          errors.some((e) => / 403 /.test(e) && e.includes(`cannot ${verb} resource`)),
          `${what}: the run reports it (${errors.join(' | ')})`,
        );
        variants++;
      }
  }
  assert.ok(variants >= 12, `every verb of every rule was removed once (${variants})`);
});

test('rotator RBAC: granted only the kops role, the rotator cannot list pods, evict, delete a pod, list Machines or delete a NodeClaim', async (t) => {
  if (!needKubectl(t)) return;
  const lab = await startRotatorCluster([]);
  try {
    lab.emu.seed('', 'nodes', { metadata: { name: 'd1' } });
    lab.emu.store.create(lab.emu.type('', 'pods'), {
      metadata: { name: 'web-1', namespace: 'shop' },
      spec: { nodeName: 'd1' },
      status: { phase: 'Running' },
    });
    const client = lab.client();
    await assert.rejects(
      client.execute({
        method: 'POST',
        path: '/api/v1/namespaces/shop/pods/web-1/eviction',
        body: {
          apiVersion: 'policy/v1',
          kind: 'Eviction',
          metadata: { name: 'web-1', namespace: 'shop' },
        },
        eviction: true,
        absentIsDone: true,
      }),
      /403 .*cannot create resource "pods\/eviction"/,
    );
    await assert.rejects(client.listPods(new Set(['d1'])), /403 .*cannot list resource "pods"/);
    await assert.rejects(
      client.execute({
        method: 'DELETE',
        path: '/api/v1/namespaces/shop/pods/web-1',
        absentIsDone: true,
      }),
      /403 .*cannot delete resource "pods"/,
    );
    await assert.rejects(client.listMachines(), /403 .*cannot list resource "machines"/);
    await assert.rejects(
      client.execute({ method: 'DELETE', path: '/api/v1/nodes/d1', absentIsDone: true }),
      /403 .*cannot delete resource "nodes"/,
    );
    await assert.rejects(client.listNodeClaims(), /403 .*cannot list resource "nodeclaims"/);
    assert.ok(lab.emu.find('', 'pods', 'web-1', 'shop'), 'the pod is still there');
    assert.ok(lab.emu.find('', 'nodes', 'd1'), 'the node is still there');
  } finally {
    await lab.emu.stop();
  }
});
