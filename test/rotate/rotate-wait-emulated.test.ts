// Multi-step rotations (`rotate --apply --wait`, rotate/drive.ts) against the API emulation with
// the controllers certdrift hands nodes to simulated on it: a Cluster API MachineDeployment and a
// Karpenter NodePool rotated in waves within their group limits, each next node only once the
// previous replacement is Ready; a KubeadmControlPlane node reported with its native knob; a
// drain blocked by a PodDisruptionBudget ending stuck and cordoned (with its record) or, with
// --force-after, in pod deletions; a handed-over node never replaced ending stuck; a node turning
// NotReady halting the run; deferral and refusal by the --defer-while gate.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_POLICY, type PlanPolicy } from '../../src/fleet/plan-policy.js';
import {
  drive,
  parseRecord,
  ROTATION_ANNOTATION,
  type DriveSettings,
  type GateAnswer,
  type StepRun,
} from '../../src/rotate/index.js';
import { haveKubectl } from '../support/kube-emulator/index.js';
import { capiNode, karpenterClaim, karpenterNode } from '../support/kube-emulator/controllers.js';
import { readyNode, runningPod, world, writesOf, type World } from './support-world.js';

const MIN = 60_000;
const ok = (t: TestContext): boolean => {
  if (haveKubectl()) return true;
  if (process.env.CI) throw new Error('kubectl is required under CI (renders deploy/base)');
  t.skip('kubectl is not installed (renders deploy/base)');
  return false;
};

function settings(
  policy: Partial<PlanPolicy> = {},
  options: Partial<DriveSettings['options']> = {},
  extra: Partial<DriveSettings> = {},
): DriveSettings {
  return {
    policy: { ...DEFAULT_POLICY, ...policy },
    planId: 'p-wait',
    options: {
      afterDrain: 'none',
      drainTimeoutMs: 60 * MIN,
      replaceTimeoutMs: 30 * MIN,
      ...options,
    },
    apply: true,
    pollMs: 30_000,
    deferTimeoutMs: 60 * MIN,
    ...extra,
  };
}

const record = (w: World, node: string) =>
  parseRecord(w.emu.find('', 'nodes', node)?.metadata.annotations?.[ROTATION_ANNOTATION]);

test('Cluster API and Karpenter groups rotate in waves within their limits; a KCP node gets its knob', async (t) => {
  if (!ok(t)) return;
  const w = await world();
  try {
    for (const n of ['md-0-a', 'md-0-b', 'md-0-c']) {
      w.seedOld('', 'nodes', { ...capiNode(n, 'prod', 'md-0'), status: readyNode(n).status });
      w.seedOld('cluster.x-k8s.io', 'machines', {
        metadata: { name: n, namespace: 'prod' },
        spec: { clusterName: 'c1' },
      });
    }
    for (const n of ['default-a', 'default-b', 'default-c', 'default-d']) {
      w.seedOld('', 'nodes', { ...karpenterNode(n, 'default'), status: readyNode(n).status });
      w.seedOld('karpenter.sh', 'nodeclaims', karpenterClaim(n));
    }
    w.seedOld('', 'nodes', {
      ...capiNode('cp-1', 'prod', 'c1-control-plane', 'KubeadmControlPlane'),
      status: readyNode('cp-1').status,
    });

    const flying: Record<string, number> = {};
    const capiStarts: { node: string; replacementsJoined: number }[] = [];
    let last: StepRun | undefined;
    const r = await drive(
      w.client,
      settings({ groups: { 'karpenter/default': { maxUnavailable: { count: 2 } } } }),
      w.clock,
      (_p, run) => {
        last = run;
        const per: Record<string, number> = {};
        for (const x of run.step.work)
          if (x.state === 'start' || x.state === 'waiting-replacement')
            per[x.group] = (per[x.group] ?? 0) + 1;
        for (const [g, n] of Object.entries(per)) flying[g] = Math.max(flying[g] ?? 0, n);
        for (const x of run.step.work)
          if (x.state === 'start' && x.group === 'capi/md-0')
            capiStarts.push({
              node: x.node,
              replacementsJoined: w.ctl.joined.filter((j) => j.startsWith('md-0-r')).length,
            });
      },
    );
    assert.equal(r.end, 'finished', r.message);
    assert.deepEqual(r.done, [
      'default-a',
      'default-b',
      'default-c',
      'default-d',
      'md-0-a',
      'md-0-b',
      'md-0-c',
    ]);
    assert.deepEqual(flying, { 'capi/md-0': 1, 'karpenter/default': 2 }, 'waves within limits');
    // validation between nodes: each Cluster API node started only after every earlier
    // node's replacement joined Ready
    assert.deepEqual(
      capiStarts.map((s) => s.replacementsJoined),
      [0, 1, 2],
    );
    // every old node gone; replacements Ready; the control plane untouched
    const nodes = w.emu.store.list(w.emu.type('', 'nodes'), '').map((n) => n.metadata.name);
    assert.equal(nodes.length, 8);
    assert.ok(nodes.includes('cp-1'));
    assert.deepEqual(w.ctl.deleted.sort(), r.done);
    const cp = last?.step.work.find((x) => x.node === 'cp-1');
    assert.equal(cp?.state, 'native');
    assert.ok(cp.native, 'the knob is in the JSON');
    assert.equal(cp.native.field, 'spec.rolloutBefore.certificatesExpiryDays');
    assert.equal(cp.native.name, 'c1-control-plane');
    // one remediation per Machine, one delete per NodeClaim, nothing for the control plane
    const writes = writesOf(w.emu);
    for (const m of ['md-0-a', 'md-0-b', 'md-0-c'])
      assert.equal(writes[`PATCH /apis/cluster.x-k8s.io/v1beta1/namespaces/prod/machines/${m}`], 1);
    for (const c of ['default-a', 'default-b', 'default-c', 'default-d'])
      assert.equal(writes[`DELETE /apis/karpenter.sh/v1/nodeclaims/${c}`], 1);
    assert.equal(
      Object.keys(writes).filter((k) => k.includes('cp-1') || k.includes('c1-control-plane'))
        .length,
      0,
    );
  } finally {
    await w.stop();
  }
});

async function blockedDrain(): Promise<World> {
  const w = await world();
  w.seedOld('', 'nodes', readyNode('d1'));
  w.emu.seed('', 'pods', runningPod('web-1', 'd1'));
  w.emu.seed('', 'pods', {
    ...runningPod('web-2', 'elsewhere'),
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] },
  });
  w.emu.seed('policy', 'poddisruptionbudgets', {
    metadata: { name: 'web', namespace: 'shop' },
    spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } },
  });
  return w;
}

test('a drain blocked by its budget past --drain-timeout: recorded stuck, left cordoned, no pod deleted', async (t) => {
  if (!ok(t)) return;
  const w = await blockedDrain();
  try {
    const r = await drive(w.client, settings({}, { drainTimeoutMs: 10 * MIN }), w.clock);
    assert.equal(r.end, 'stuck', r.message);
    assert.deepEqual(r.stuck, ['d1']);
    const rec = record(w, 'd1');
    assert.ok(rec && 'state' in rec);
    assert.equal(rec.state, 'stuck');
    assert.equal(rec.was, 'cordoned');
    assert.equal(
      (w.emu.find('', 'nodes', 'd1')?.spec as { unschedulable?: boolean }).unschedulable,
      true,
    );
    assert.ok(w.emu.find('', 'pods', 'web-1', 'shop'), 'the budget kept web-1');
    const writes = writesOf(w.emu);
    assert.equal(writes['DELETE /api/v1/namespaces/shop/pods/web-1'], undefined);
    assert.equal(writes['PATCH /api/v1/nodes/d1'], 2, 'cordon, then the stuck record');
    const evictions = w.emu.requests.filter((q) => q.path.endsWith('/web-1/eviction'));
    assert.ok(evictions.length >= 2 && evictions.every((q) => q.code === 429));
  } finally {
    await w.stop();
  }
});

test('--force-after: the blocked pod is deleted once, then the node is drained', async (t) => {
  if (!ok(t)) return;
  const w = await blockedDrain();
  try {
    const r = await drive(
      w.client,
      settings({}, { drainTimeoutMs: 20 * MIN, forceAfterMs: 5 * MIN }),
      w.clock,
    );
    assert.equal(r.end, 'finished', r.message);
    assert.deepEqual(r.done, ['d1']);
    assert.equal(w.emu.find('', 'pods', 'web-1', 'shop'), undefined);
    const writes = writesOf(w.emu);
    assert.equal(writes['DELETE /api/v1/namespaces/shop/pods/web-1'], 1);
    const del = w.emu.requests.findIndex((q) => q.method === 'DELETE');
    const blocked = w.emu.requests.filter((q, i) => i < del && q.path.endsWith('/web-1/eviction'));
    assert.ok(blocked.length >= 2 && blocked.every((q) => q.code === 429), 'evicted first');
    const rec = record(w, 'd1');
    assert.equal(rec && 'state' in rec ? rec.state : rec, 'drained');
  } finally {
    await w.stop();
  }
});

test('a node handed over and never replaced is recorded stuck after the replace timeout', async (t) => {
  if (!ok(t)) return;
  const w = await world();
  try {
    for (const n of ['k1', 'k2'])
      w.seedOld('', 'nodes', readyNode(n, { 'kops.k8s.io/instancegroup': 'nodes' }));
    // nobody runs `kops rolling-update`
    const r = await drive(w.client, settings({}, { replaceTimeoutMs: 20 * MIN }), w.clock);
    assert.equal(r.end, 'stuck', r.message);
    assert.deepEqual(r.stuck, ['k1']);
    const rec = record(w, 'k1');
    assert.equal(rec && 'state' in rec ? `${rec.state}/${rec.was}` : rec, 'stuck/handed-over');
    assert.equal(writesOf(w.emu)['PATCH /api/v1/nodes/k1'], 2, 'the mark, then the stuck record');
    assert.equal(writesOf(w.emu)['PATCH /api/v1/nodes/k2'], undefined, 'k2 never started');
    const kept = r.last.step.work.find((x) => x.node === 'k2');
    assert.equal(kept?.state, 'over-limit');
  } finally {
    await w.stop();
  }
});

test('a node of the group turning NotReady halts the run before the next node', async (t) => {
  if (!ok(t)) return;
  const w = await world();
  try {
    for (const n of ['k1', 'k2', 'k3'])
      w.seedOld('', 'nodes', readyNode(n, { 'kops.k8s.io/instancegroup': 'nodes' }));
    w.ctl.kopsRunning = true;
    w.onTick.push(() => {
      if (w.ctl.joined.length === 1) {
        const nodes = w.emu.type('', 'nodes');
        const k3 = w.emu.store.get(nodes, '', 'k3');
        if (
          k3 &&
          (k3.status as { conditions: { status: string }[] }).conditions[0]?.status === 'True'
        )
          w.emu.store.write(nodes, {
            ...k3,
            status: { conditions: [{ type: 'Ready', status: 'False' }] },
          });
      }
    });
    const r = await drive(w.client, settings(), w.clock);
    assert.equal(r.end, 'halted', r.message);
    assert.match(
      r.message,
      /kops\/nodes: validation: k3 turned NotReady since the run began: stopped/,
    );
    // k1 was replaced, but a group that does not validate finishes nothing
    assert.deepEqual(w.ctl.deleted, ['k1']);
    assert.deepEqual(r.done, []);
    assert.equal(writesOf(w.emu)['PATCH /api/v1/nodes/k2'], undefined, 'k2 never started');
  } finally {
    await w.stop();
  }
});

test('--defer-while: no node starts while the gate defers; the overall deferral is bounded; a refusal stops', async (t) => {
  if (!ok(t)) return;
  const w = await world();
  try {
    w.seedOld('', 'nodes', readyNode('d1'));
    const answers: GateAnswer[] = [
      { kind: 'defer', reason: 'ALERTS{severity="critical"} returns 1 series' },
      { kind: 'defer', reason: 'ALERTS{severity="critical"} returns 1 series' },
    ];
    let asked = 0;
    const gate = (): Promise<GateAnswer> => {
      asked++;
      return Promise.resolve(answers.shift() ?? { kind: 'proceed' });
    };
    const writesAt: number[] = [];
    const r = await drive(w.client, settings({}, {}, { gate }), w.clock, (_p, run) => {
      writesAt.push(run.outcomes.filter((o) => o.result === 'done').length);
      if (asked <= 2) assert.equal(run.step.work.find((x) => x.node === 'd1')?.state, 'deferred');
    });
    assert.equal(r.end, 'finished', r.message);
    assert.deepEqual(writesAt.slice(0, 2), [0, 0], 'nothing written while deferred');
    assert.equal(asked, 3, 'asked before the start only, not for the finish');
    // two deferred steps 30 s apart, then the proceed 30 s later (plus real milliseconds)
    assert.ok(r.deferredMs >= 60_000 && r.deferredMs < 62_000, String(r.deferredMs));

    const w2 = await world();
    try {
      w2.seedOld('', 'nodes', readyNode('d1'));
      const always = () =>
        Promise.resolve<GateAnswer>({ kind: 'defer', reason: 'critical alert firing' });
      const late = await drive(
        w2.client,
        settings({}, {}, { gate: always, deferTimeoutMs: 5 * MIN }),
        w2.clock,
      );
      assert.equal(late.end, 'defer-timeout');
      assert.match(late.message, /critical alert firing/);
      const refuse = () =>
        Promise.resolve<GateAnswer>({ kind: 'refuse', reason: 'Prometheus did not answer' });
      const refused = await drive(w2.client, settings({}, {}, { gate: refuse }), w2.clock);
      assert.equal(refused.end, 'refused');
      assert.deepEqual(writesOf(w2.emu), {}, 'nothing written when deferred or refused');
    } finally {
      await w2.stop();
    }
  } finally {
    await w.stop();
  }
});
