// Properties of one planned step over random fleets (fast-check): whatever the pods, flags,
// records (forged or not) and the time, no eviction or pod deletion names a pod kubectl drain's
// rules refuse or skip, and outside every maintenance window no disruptive call is planned at all
// (issue 21 items 1 and 6). Pure: the planner and the real drain rules, no stand-in.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DEFAULT_POLICY, type PlanPolicy } from '../../src/fleet/plan-policy.js';
import { WindowCalendar } from '../../src/fleet/window-calendar.js';
import {
  DISRUPTIVE,
  formatRecord,
  planStep,
  podVerdict,
  ROTATION_ANNOTATION,
  type LivePod,
  type RotateOptions,
} from '../../src/rotate/index.js';
import { fleetOf, liveNode, NOW } from './fixtures.js';

const policy: PlanPolicy = {
  ...DEFAULT_POLICY,
  windows: [{ days: [1, 2, 3, 4, 5], startMinute: 600, endMinute: 720, timeZone: 'UTC' }],
};

const podArb = (node: string, i: number): fc.Arbitrary<LivePod> =>
  fc
    .record({
      daemonSet: fc.boolean(),
      mirror: fc.boolean(),
      finished: fc.boolean(),
      terminating: fc.boolean(),
      controlled: fc.boolean(),
      emptyDir: fc.boolean(),
      dnd: fc.constantFrom(undefined, 'true', 'false'),
      ste: fc.constantFrom(undefined, 'true', 'false'),
    })
    .map((r) => ({
      namespace: 'shop',
      name: `${node}-p${i}`,
      node,
      daemonSet: r.daemonSet,
      mirror: r.mirror,
      finished: r.finished,
      terminating: r.terminating,
      controlled: r.controlled,
      emptyDir: r.emptyDir,
      annotations: {
        ...(r.dnd !== undefined ? { 'karpenter.sh/do-not-disrupt': r.dnd } : {}),
        ...(r.ste !== undefined ? { 'cluster-autoscaler.kubernetes.io/safe-to-evict': r.ste } : {}),
      },
    }));

const recordArb = fc.oneof(
  fc.constant(undefined),
  fc.constant('{"state":'),
  fc
    .record({
      plan: fc.constantFrom('p', 'p-other'),
      state: fc.constantFrom('cordoned', 'handed-over', 'drained', 'stuck'),
      agoMin: fc.integer({ min: -60, max: 60 * 24 * 400 }),
    })
    .map((r) =>
      formatRecord({
        plan: r.plan,
        state: r.state,
        since: new Date(NOW.getTime() - r.agoMin * 60_000).toISOString(),
      }),
    ),
);

const nodeArb = (i: number) =>
  fc
    .record({
      record: recordArb,
      kind: fc.constantFrom('none', 'kops', 'karpenter', 'eks'),
      pods: fc.integer({ min: 0, max: 4 }),
    })
    .chain((n) =>
      fc.tuple(
        fc.constant(n),
        fc.tuple(...Array.from({ length: n.pods }, (_, j) => podArb(`n${i}`, j))),
      ),
    );

const optionsArb: fc.Arbitrary<RotateOptions> = fc
  .record({
    afterDrain: fc.constantFrom('none' as const, 'delete-node' as const),
    drainTimeoutMs: fc.constantFrom(20 * 60_000, 48 * 3_600_000),
    force: fc.boolean(),
    deleteEmptyDirData: fc.boolean(),
    forceAfterMs: fc.constantFrom(undefined, 5 * 60_000),
  })
  .map((o) => {
    const { forceAfterMs, ...rest } = o;
    return forceAfterMs === undefined ? rest : { ...rest, forceAfterMs };
  });

const LABEL: Record<string, Record<string, string>> = {
  none: {},
  kops: { 'kops.k8s.io/instancegroup': 'nodes' },
  karpenter: { 'karpenter.sh/nodepool': 'default' },
  eks: { 'eks.amazonaws.com/nodegroup': 'ng' },
};

test('property: no refused or skipped pod is ever evicted or deleted; nothing disruptive outside a window', () => {
  fc.assert(
    fc.property(
      fc.tuple(...Array.from({ length: 5 }, (_, i) => nodeArb(i))),
      optionsArb,
      fc.integer({ min: 0, max: 7 * 24 * 60 }),
      (spec, options, minute) => {
        const now = new Date(NOW.getTime() + minute * 60_000);
        const nodes = spec.map(([n], i) =>
          liveNode(
            `n${i}`,
            LABEL[n.kind] ?? {},
            n.record !== undefined ? { [ROTATION_ANNOTATION]: n.record } : {},
          ),
        );
        const pods = spec.flatMap(([, ps]) => ps);
        const step = planStep({
          fleet: fleetOf(nodes, now),
          facts: [],
          policy,
          planId: 'p',
          nodes,
          now,
          options,
          pods,
          nodeClaims: [],
        });
        const byPath = new Map(
          pods.map((p) => [`/api/v1/namespaces/${p.namespace}/pods/${p.name}`, p]),
        );
        for (const a of step.actions) {
          if (a.step !== 'evict' && a.step !== 'delete-pod') continue;
          const p = byPath.get((a.call?.path ?? '').replace(/\/eviction$/, ''));
          assert.ok(p, `an action on a pod we listed: ${a.call?.path ?? ''}`);
          assert.equal(podVerdict(p, options).kind, 'evict', `${a.step} ${p.name}`);
        }
        const open = new WindowCalendar(policy.windows, now.getTime()).occurrenceAt(now.getTime());
        if (open === null)
          assert.deepEqual(
            step.actions.filter((a) => DISRUPTIVE.has(a.step)).map((a) => `${a.node} ${a.step}`),
            [],
            `outside the window at ${now.toISOString()}`,
          );
      },
    ),
    { numRuns: 300 },
  );
});
