// Interruption inside every step, for every actuator: a run is killed right after its N-th call
// reached the API (N = 1 … all of them), then a fresh run resumes from what the cluster records.
// The final state equals an uninterrupted run's, every state-changing call was made exactly as
// often as in the uninterrupted run (no eviction, NodeClaim delete, Machine remediation or
// record written twice), and no node is ever left cordoned without its record.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_POLICY } from '../../src/fleet/plan-policy.js';
import { drive, ROTATION_ANNOTATION, type DriveSettings } from '../../src/rotate/index.js';
import { haveKubectl } from '../support/kube-emulator/index.js';
import { capiNode, karpenterClaim, karpenterNode } from '../support/kube-emulator/controllers.js';
import {
  Interrupted,
  interruptedAfter,
  readyNode,
  runningPod,
  snapshot,
  world,
  writesOf,
  type World,
} from './support-world.js';

const MIN = 60_000;
const settings: DriveSettings = {
  policy: DEFAULT_POLICY,
  planId: 'p-int',
  options: { afterDrain: 'none', drainTimeoutMs: 60 * MIN, replaceTimeoutMs: 30 * MIN },
  apply: true,
  pollMs: 30_000,
  deferTimeoutMs: 60 * MIN,
};

const ready = (status: unknown) => status as Record<string, unknown>;

const SCENARIOS: Record<string, (w: World) => void> = {
  drain: (w) => {
    w.seedOld('', 'nodes', readyNode('d1'));
    w.seedOld('', 'nodes', readyNode('d2'));
    w.emu.seed('', 'pods', runningPod('web-1', 'd1'));
    w.emu.seed('', 'pods', runningPod('web-2', 'd1'));
    w.emu.seed('', 'pods', runningPod('api-1', 'd2', { app: 'api' }));
    w.emu.seed(
      '',
      'pods',
      runningPod(
        'agent-d1',
        'd1',
        { app: 'agent' },
        {
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              kind: 'DaemonSet',
              name: 'agent',
              uid: 'u1',
              controller: true,
            },
          ],
        },
      ),
    );
  },
  kops: (w) => {
    for (const n of ['k1', 'k2'])
      w.seedOld('', 'nodes', readyNode(n, { 'kops.k8s.io/instancegroup': 'nodes' }));
    w.ctl.kopsRunning = true;
  },
  capi: (w) => {
    for (const n of ['md-0-a', 'md-0-b']) {
      w.seedOld('', 'nodes', {
        ...capiNode(n, 'prod', 'md-0'),
        status: ready(readyNode(n).status),
      });
      w.seedOld('cluster.x-k8s.io', 'machines', {
        metadata: { name: n, namespace: 'prod' },
        spec: { clusterName: 'c1' },
      });
    }
  },
  karpenter: (w) => {
    for (const n of ['default-a', 'default-b']) {
      w.seedOld('', 'nodes', {
        ...karpenterNode(n, 'default'),
        status: ready(readyNode(n).status),
      });
      w.seedOld('karpenter.sh', 'nodeclaims', karpenterClaim(n));
    }
  },
};

function cordonedWithoutRecord(w: World): string[] {
  return w.emu.store
    .list(w.emu.type('', 'nodes'), '')
    .filter(
      (n) =>
        (n.spec as { unschedulable?: boolean }).unschedulable === true &&
        n.metadata.annotations?.[ROTATION_ANNOTATION] === undefined,
    )
    .map((n) => n.metadata.name);
}

for (const [name, setup] of Object.entries(SCENARIOS))
  test(`${name}: killed after each call, resumed: same end state, nothing done twice`, async (t: TestContext) => {
    if (!haveKubectl()) {
      if (process.env.CI) throw new Error('kubectl is required under CI (renders deploy/base)');
      return t.skip('kubectl is not installed (renders deploy/base)');
    }
    const whole = await world();
    let calls: number;
    let want: { end: string; state: object; writes: Record<string, number> };
    try {
      setup(whole);
      const counting = interruptedAfter(whole.client, Number.POSITIVE_INFINITY);
      const r = await drive(counting, settings, whole.clock);
      calls = counting.calls;
      want = { end: r.end, state: snapshot(whole.emu), writes: writesOf(whole.emu) };
      assert.equal(r.end, 'finished', r.message);
      assert.ok(calls >= 2, `${name}: ${calls} calls`);
      assert.equal(
        Object.values(want.writes).reduce((a, b) => a + b, 0),
        calls,
      );
    } finally {
      await whole.stop();
    }
    for (let n = 1; n <= calls; n++) {
      const w = await world();
      try {
        setup(w);
        const dying = interruptedAfter(w.client, n);
        try {
          const cut = await drive(dying, settings, w.clock);
          assert.equal(cut.end, 'failed', `killed after call ${n}: ${cut.message}`);
          assert.match(cut.message, /killed/);
        } catch (e) {
          if (!(e instanceof Interrupted)) throw e;
        }
        assert.equal(dying.calls, n);
        assert.deepEqual(cordonedWithoutRecord(w), [], `after call ${n}`);
        const resumed = await drive(w.client, settings, w.clock);
        assert.equal(resumed.end, want.end, `resumed after call ${n}: ${resumed.message}`);
        assert.deepEqual(snapshot(w.emu), want.state, `state after a kill at call ${n}`);
        assert.deepEqual(writesOf(w.emu), want.writes, `writes after a kill at call ${n}`);
        assert.deepEqual(cordonedWithoutRecord(w), []);
      } finally {
        await w.stop();
      }
    }
  });
