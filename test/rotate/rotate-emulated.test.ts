// `certdrift rotate` end to end against the API emulation: a kops group and a drain group
// rotated step by step through the project's client, as the rotator's ServiceAccount with the
// RBAC deploy/rotator ships; a PodDisruptionBudget blocks an eviction (429) until another pod is
// Ready; every step is a fresh run (as after an interruption) and the
// request log proves nothing finished is repeated. The Lease of a vanished holder is taken over
// after it expired and not before.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RotateClient } from '../../src/adapters/kube/rotate-client.js';
import {
  LEASE_NAME,
  LEASE_NAMESPACE,
  LEASE_SECONDS,
  leaseEdgeOf,
} from '../../src/adapters/kube/rotate-lock.js';
import { DEFAULT_POLICY } from '../../src/fleet/plan-policy.js';
import {
  LeaseKeeper,
  leaseTimingFor,
  ROTATION_ANNOTATION,
  parseRecord,
  runStep,
  type StepRun,
} from '../../src/rotate/index.js';
import { haveKubectl, type KubeEmulator } from '../support/kube-emulator/index.js';
import { raw } from '../support/kube-emulator/testing.js';
import { readyCondition } from '../support/kube-emulator/controllers.js';
import { startRotatorCluster } from './rotator-cluster.js';

let emu: KubeEmulator;
let client: RotateClient;
// The test plays kops and the pods' controllers with an administrator's token; certdrift's calls
// use the rotator's ServiceAccount and the RBAC deploy/rotator ships (drain component included).
let admin = '';
const skip = !haveKubectl() && !process.env.CI;

before(async () => {
  if (skip) return;
  const lab = await startRotatorCluster(['drain']);
  emu = lab.emu;
  admin = lab.admin;
  client = lab.client();
});
after(async () => {
  if (!skip) await emu.stop();
});

const kopsNode = (name: string) => ({
  metadata: { name, labels: { 'kops.k8s.io/instancegroup': 'nodes' } },
  spec: { providerID: `aws:///eu-west-1a/i-${name}` },
  status: readyCondition(),
});
const pod = (name: string, node: string, ready: boolean, extra: object = {}) => ({
  metadata: { name, namespace: 'shop', labels: { app: 'web' }, ...extra },
  spec: { nodeName: node },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

// Every node is due: older than a one-second maxNodeAge.
const policy = { ...DEFAULT_POLICY, maxNodeAgeMs: 1000 };
const settings = {
  policy,
  planId: 'p-e2e',
  options: { afterDrain: 'none' as const, drainTimeoutMs: 3_600_000 },
  apply: true,
};
const step = (): Promise<StepRun> => runStep(client, settings, new Date(emu.now() + 60_000));
const writes = (path: string): number =>
  emu.requests.filter(
    (r) => (r.method === 'PATCH' || r.method === 'POST') && r.path === path && r.code < 300,
  ).length;
const record = (node: string) =>
  parseRecord((emu.find('', 'nodes', node)?.metadata.annotations ?? {})[ROTATION_ANNOTATION]);
const results = (r: StepRun) =>
  r.outcomes.map((o) => `${o.action.node} ${o.action.step} ${o.result}`);

test('kops group and a drain group, a PDB that blocks, resumes that repeat nothing', async (t) => {
  if (skip) return t.skip('kubectl is not installed (renders deploy/base)');
  emu.seed('', 'nodes', kopsNode('k1'));
  emu.seed('', 'nodes', kopsNode('k2'));
  emu.seed('', 'nodes', { metadata: { name: 'd1' }, spec: {}, status: readyCondition() });
  const pods = emu.type('', 'pods');
  emu.store.create(pods, pod('web-1', 'd1', true));
  emu.store.create(pods, pod('web-2', 'elsewhere', false));
  emu.store.create(
    pods,
    pod('agent-x', 'd1', true, {
      labels: { app: 'agent' },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'u1', controller: true },
      ],
    }),
  );
  emu.seed('policy', 'poddisruptionbudgets', {
    metadata: { name: 'web', namespace: 'shop' },
    spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } },
  });

  // Step 1: k1 handed to kops (one per group), d1 cordoned, web-1 blocked by the budget.
  const s1 = await step();
  assert.deepEqual(results(s1), [
    'd1 cordon done',
    'd1 evict blocked',
    'k1 kops-annotate done',
    'k1 kops-rolling-update planned',
  ]);
  assert.equal(
    s1.outcomes[3]?.action.command,
    'kops rolling-update cluster --name "$KOPS_CLUSTER_NAME" --instance-group nodes --yes',
  );
  assert.equal(emu.find('', 'nodes', 'k1')?.metadata.annotations?.['kops.k8s.io/needs-update'], '');
  assert.equal(
    (emu.find('', 'nodes', 'd1')?.spec as { unschedulable?: boolean }).unschedulable,
    true,
  );
  assert.deepEqual(
    [record('k1'), record('d1')].map((r) => (r && 'state' in r ? r.state : r)),
    ['handed-over', 'cordoned'],
  );
  assert.ok(emu.find('', 'pods', 'web-1', 'shop'), 'the budget kept web-1');
  assert.ok(emu.find('', 'pods', 'agent-x', 'shop'), 'DaemonSet pods are not evicted');
  assert.equal(emu.requests.filter((r) => r.path.endsWith('/agent-x/eviction')).length, 0);

  // Step 2 (a fresh run): still blocked; no second cordon, no second kops mark, k2 waits.
  const s2 = await step();
  assert.deepEqual(results(s2), ['d1 evict blocked', 'k1 kops-rolling-update planned']);
  assert.equal(s2.step.work.find((w) => w.node === 'k2')?.state, 'over-limit');

  // web-2 becomes Ready: the budget allows one disruption.
  const ready = await raw(emu, 'PATCH', '/api/v1/namespaces/shop/pods/web-2/status', {
    token: admin,
    body: { status: { conditions: [{ type: 'Ready', status: 'True' }] } },
    contentType: 'application/strategic-merge-patch+json',
  });
  assert.equal(ready.status, 200);
  const s3 = await step();
  assert.deepEqual(results(s3), ['d1 evict done', 'k1 kops-rolling-update planned']);
  assert.equal(emu.find('', 'pods', 'web-1', 'shop'), undefined);
  // The next step's fresh list shows only the DaemonSet pod: drained.
  const s3b = await step();
  assert.deepEqual(results(s3b), ['d1 mark-drained done', 'k1 kops-rolling-update planned']);

  // kops replaced k1: the node is gone; k2 is next. d1 is finished and left alone.
  assert.equal((await raw(emu, 'DELETE', '/api/v1/nodes/k1', { token: admin })).status, 200);
  const s4 = await step();
  assert.deepEqual(results(s4), ['k2 kops-annotate done', 'k2 kops-rolling-update planned']);
  assert.equal(s4.step.work.find((w) => w.node === 'd1')?.state, 'drained');

  // Nothing was written twice.
  assert.equal(writes('/api/v1/nodes/d1'), 2, 'cordon + drained record');
  assert.equal(writes('/api/v1/nodes/k1'), 1, 'one kops mark');
  assert.equal(writes('/api/v1/nodes/k2'), 1);
  assert.equal(writes('/api/v1/namespaces/shop/pods/web-1/eviction'), 1);
});

test('the Lease of a vanished holder is taken over after it expires, not before', async (t) => {
  if (skip) return t.skip('kubectl is not installed (renders deploy/base)');
  const t0 = new Date(emu.now());
  emu.seed('coordination.k8s.io', 'leases', {
    metadata: { name: LEASE_NAME, namespace: LEASE_NAMESPACE },
    spec: {
      holderIdentity: 'ghost',
      leaseDurationSeconds: 60,
      renewTime: t0.toISOString().replace('Z', '000Z'),
    },
  });
  // The keeper `certdrift rotate --apply` holds the Lease with, over the real client.
  const keeper = (me: string) =>
    new LeaseKeeper(leaseEdgeOf(client), me, leaseTimingFor(LEASE_SECONDS));
  const mine = keeper('me');
  const early = await mine.acquire(new Date(t0.getTime() + 59_000));
  assert.deepEqual(early, {
    held: false,
    holder: 'ghost',
    until: new Date(t0.getTime() + 60_000),
  });
  const lease = () =>
    emu.find('coordination.k8s.io', 'leases', LEASE_NAME, LEASE_NAMESPACE)?.spec as Record<
      string,
      unknown
    >;
  assert.equal(lease().holderIdentity, 'ghost');
  assert.deepEqual(await mine.acquire(new Date(t0.getTime() + 60_000)), {
    held: true,
    previous: 'ghost',
  });
  assert.equal(lease().holderIdentity, 'me');
  assert.equal(lease().leaseTransitions, 1);
  // Now the ghost (or anyone else) must wait for us; we renew.
  assert.equal((await keeper('other').acquire(new Date(t0.getTime() + 61_000))).held, false);
  assert.deepEqual(await mine.renew(new Date(t0.getTime() + 90_000)), { result: 'renewed' });
});
