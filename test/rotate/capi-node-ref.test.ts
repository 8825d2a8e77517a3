// The Machine to remediate comes from Cluster API's own link (status.nodeRef, or the Machine's
// spec.providerID), never from a node annotation (DESIGN.md convention 13): on the REAL control
// plane with the real Cluster API CRDs, a node whose annotations name another team's Machine —
// annotations its own kubelet may write — is reported stuck and no Machine is touched.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_POLICY } from '../../src/fleet/plan-policy.js';
import { runStep } from '../../src/rotate/index.js';
import {
  capiNodeAnnotations,
  createMachine,
  createMachineHealthCheck,
  createMachineSet,
  REMEDIATE,
} from '../support/simulated-controllers/cluster-api.js';
import { rotatorLab } from './rotator-cluster.js';

test('a node annotation naming another Machine is ignored: stuck, the Machine untouched', async (t) => {
  const lab = await rotatorLab(t, ['capi']);
  if (!lab) return;
  const { cp } = lab;
  await cp.installCrds(['cluster.x-k8s.io']);
  const victims = await cp.namespace(t, 'team-b');
  // Established is not serving: a fresh CRD's storage answers 429 for a moment.
  await cp.waitFor('the Cluster API resources serve', 30_000, async () => {
    for (const r of ['machines', 'machinesets'])
      await cp.admin.list(`/apis/cluster.x-k8s.io/v1beta2/namespaces/${victims}/${r}`);
    await cp.admin.list('/apis/cluster.x-k8s.io/v1beta1/machines?limit=1');
    return true;
  });
  const set = await createMachineSet(cp.admin, victims, 'md-0', 1);
  const victim = lab.name('md-0-victim');
  await createMachine(cp.admin, victims, victim, set);
  const intruder = lab.name('intruder');
  // The forged annotations: exactly what Cluster API writes on the victim's own Node.
  await lab.oldNode(intruder, {
    annotations: capiNodeAnnotations(victim, victims, { kind: 'MachineSet', name: 'md-0' }),
    providerID: `aws:///eu-west-1a/i-${intruder}`,
  });
  const mark = cp.auditMark();
  const s = await runStep(
    lab.client(),
    {
      policy: DEFAULT_POLICY,
      planId: 'p-capi',
      options: { afterDrain: 'none', drainTimeoutMs: 3_600_000 },
      apply: true,
    },
    new Date(),
  );
  const w = s.step.work.find((x) => x.node === intruder);
  assert.equal(w?.state, 'stuck');
  assert.match(w.note, /no Machine whose status.nodeRef/);
  assert.deepEqual(s.step.actions, []);
  const now = await lab.get(
    `/apis/cluster.x-k8s.io/v1beta2/namespaces/${victims}/machines/${victim}`,
  );
  const ann = (now?.metadata?.annotations ?? {}) as Record<string, string>;
  assert.equal(ann[REMEDIATE], undefined, 'the victim Machine was not marked');
  const writes = (await cp.audit(lab.user, mark)).filter(
    (e) => e.objectRef?.resource === 'machines' && e.verb !== 'list' && e.verb !== 'get',
  );
  assert.deepEqual(writes, []);
});

test('a Machine no MachineHealthCheck selects is refused with the reason and untouched; once an MHC selects it, it is marked; a paused MHC refuses again', async (t) => {
  const lab = await rotatorLab(t, ['capi']);
  if (!lab) return;
  const { cp } = lab;
  await cp.installCrds(['cluster.x-k8s.io']);
  const ns = await cp.namespace(t, 'team-c');
  await cp.waitFor('the Cluster API resources serve', 30_000, async () => {
    for (const r of ['machines', 'machinesets', 'machinehealthchecks'])
      await cp.admin.list(`/apis/cluster.x-k8s.io/v1beta2/namespaces/${ns}/${r}`);
    await cp.admin.list('/apis/cluster.x-k8s.io/v1beta1/machines?limit=1');
    return true;
  });
  const set = await createMachineSet(cp.admin, ns, 'md-0', 1);
  const machine = lab.name('md-0');
  await createMachine(cp.admin, ns, machine, set);
  t.after(() =>
    cp.admin.request(
      'PATCH',
      `/apis/cluster.x-k8s.io/v1beta2/namespaces/${ns}/machines/${machine}`,
      { metadata: { finalizers: null } },
      'application/merge-patch+json',
    ),
  );
  const node = lab.name('c');
  await lab.oldNode(node, {
    annotations: capiNodeAnnotations(machine, ns, { kind: 'MachineSet', name: 'md-0' }),
    providerID: `aws:///eu-west-1a/i-${machine}`,
  });
  const machinePath = `/apis/cluster.x-k8s.io/v1beta2/namespaces/${ns}/machines/${machine}`;
  const marked = async (): Promise<boolean> => {
    const m = await lab.get(machinePath);
    return REMEDIATE in ((m?.metadata?.annotations ?? {}) as Record<string, string>);
  };
  const step = () =>
    runStep(
      lab.client(),
      {
        policy: DEFAULT_POLICY,
        planId: 'p-mhc',
        options: { afterDrain: 'none', drainTimeoutMs: 3_600_000 },
        apply: true,
      },
      new Date(),
    );
  const none = await step();
  const w = none.step.work.find((x) => x.node === node);
  assert.equal(w?.state, 'stuck');
  assert.match(
    w.note,
    new RegExp(`no MachineHealthCheck in ${ns} selects Machine ${ns}/${machine}`),
  );
  assert.deepEqual(none.step.actions, []);
  assert.equal(await marked(), false);

  const mhc = await createMachineHealthCheck(
    cp.admin,
    ns,
    'md-0',
    {
      'cluster.x-k8s.io/set-name': 'md-0',
    },
    { paused: true },
  );
  const paused = await step();
  assert.match(paused.step.work.find((x) => x.node === node)?.note ?? '', /is paused/);
  assert.equal(await marked(), false);

  await cp.admin.patch(
    `/apis/cluster.x-k8s.io/v1beta2/namespaces/${ns}/machinehealthchecks/${String(mhc.metadata?.name)}`,
    { metadata: { annotations: { 'cluster.x-k8s.io/paused': null } } },
  );
  const ok = await step();
  assert.deepEqual(
    ok.outcomes.map((o) => `${o.action.step} ${o.result}`),
    ['record-handed-over done', 'cordon done', 'capi-remediate done'],
  );
  assert.equal(await marked(), true);
});
