// The rotation's safety properties over random fleets (issue #21), pure: the real planner and
// step planner (planStep) drive an in-memory cluster — nodes (some NotReady, some cordoned by an
// admin, some carrying forged `certdrift.io/rotation` annotations in every state, with and
// without the current plan id), pods (some refused by kubectl's drain rules), the rotation
// state object (applyChange, as the edge applies it) — step after step, each step cut short
// after a random number of calls (a crash: the next step replays from the state object), with
// replacements joining at random for deleted nodes; a random --selector (only some nodes may be
// acted on; capacity is every node's); a kops group whose nodes are handed over (kops' mark) and
// replaced by kops later; nodes cordoned by their own kubelet (managedFields). Whatever happens:
// - no call ever raises a group's unavailable count (cordoned, NotReady, recorded, or deleted
//   and not yet replaced) above its maxUnavailable (plus maxSurge for kops, which surges), nor
//   the cluster's above maxInFlight (a Ready node cordoned by itself is not the rotator's);
// - no refused pod is ever evicted or deleted, and no node holding one is handed over;
// - no node outside the selection and no node someone else cordoned is ever acted on or
//   recorded;
// - a hand-over is recorded before its call (the call never runs on a node without its record)
//   and a recorded, unconfirmed hand-over (a crash between the two) is repeated next step;
// - nothing is ever uncordoned, and no forged annotation is ever written to.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DEFAULT_POLICY, type PlanPolicy } from '../../src/fleet/plan-policy.js';
import { groupOfNode, kindOfGroup } from '../../src/fleet/node-group.js';
import {
  applyChange,
  EMPTY_STATE,
  ledgerOf,
  planStep,
  refusedPods,
  ROTATION_ANNOTATION,
  type LiveNode,
  type LivePod,
  type RotateOptions,
  type RotationState,
} from '../../src/rotate/index.js';

const NOW = Date.parse('2026-11-25T10:00:00Z');
const DAY = 86_400_000;
const PLAN = 'p-prop';
const GROUPS: Record<string, string>[] = [
  {},
  { 'eks.amazonaws.com/nodegroup': 'a' },
  { 'eks.amazonaws.com/nodegroup': 'b' },
  { 'kops.k8s.io/instancegroup': 'k' },
];
const KOPS_MARK = 'kops.k8s.io/needs-update';
const STATES = ['cordoned', 'handed-over', 'drained', 'stuck'];

interface SimNode {
  name: string;
  uid: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  ready: boolean;
  unschedulable: boolean;
  old: boolean;
  selected: boolean;
  /** the field manager that cordoned it ('' : not cordoned) */
  cordonedBy: string;
}

const nodeArb = fc.record({
  group: fc.integer({ min: 0, max: GROUPS.length - 1 }),
  ready: fc.boolean(),
  adminCordon: fc.boolean(),
  selfCordon: fc.boolean(),
  selected: fc.boolean(),
  old: fc.boolean(),
  forged: fc.option(
    fc.record({
      state: fc.constantFrom(...STATES),
      plan: fc.constantFrom(PLAN, 'p-other'),
      ageMs: fc.integer({ min: 0, max: 400 * DAY }),
    }),
  ),
  pods: fc.array(
    fc.record({ controlled: fc.boolean(), emptyDir: fc.boolean(), annotated: fc.boolean() }),
    { maxLength: 3 },
  ),
});

const scenarioArb = fc.record({
  nodes: fc.array(nodeArb, { minLength: 1, maxLength: 7 }),
  maxInFlight: fc.integer({ min: 1, max: 3 }),
  maxUnavailable: fc.array(fc.integer({ min: 1, max: 2 }), {
    minLength: GROUPS.length,
    maxLength: GROUPS.length,
  }),
  maxSurge: fc.integer({ min: 0, max: 2 }),
  afterDrain: fc.constantFrom('none' as const, 'delete-node' as const),
  forceAfter: fc.boolean(),
  crashes: fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 12, maxLength: 12 }),
  joins: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
});

/** `{ key: value }`, or `{}` when there is no value */
const only = (key: string, value: string | false | null): Record<string, string> =>
  typeof value === 'string' ? { [key]: value } : {};

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function simulate(sc: Scenario): void {
  let seq = 0;
  const nodes: SimNode[] = sc.nodes.map((n, i) => ({
    name: `n${i}`,
    uid: `uid-${i}-${seq++}`,
    labels: { ...GROUPS[n.group] },
    annotations: only(
      ROTATION_ANNOTATION,
      n.forged &&
        JSON.stringify({
          plan: n.forged.plan,
          state: n.forged.state,
          since: new Date(NOW - n.forged.ageMs).toISOString(),
          was: 'cordoned',
        }),
    ),
    ready: n.ready,
    unschedulable: n.adminCordon,
    old: n.old,
    selected: n.selected,
    cordonedBy: n.adminCordon ? (n.selfCordon ? 'kubelet' : 'kubectl') : '',
  }));
  /** nodes never to be acted on: outside the selection, or cordoned by someone else */
  const untouchable = new Set(
    nodes.filter((n) => !n.selected || n.unschedulable).map((n) => n.name),
  );
  const forged = new Map(nodes.map((n) => [n.name, { ...n.annotations }]));
  let pods: LivePod[] = sc.nodes.flatMap((n, i) =>
    n.pods.map((p, j) => ({
      namespace: 'shop',
      name: `p${i}-${j}`,
      node: `n${i}`,
      daemonSet: false,
      mirror: false,
      finished: false,
      controlled: p.controlled,
      emptyDir: p.emptyDir,
      annotations: only('karpenter.sh/do-not-disrupt', p.annotated && 'true'),
    })),
  );
  const options: RotateOptions = {
    afterDrain: sc.afterDrain,
    drainTimeoutMs: 3 * 3_600_000,
    ...(sc.forceAfter ? { forceAfterMs: 30 * 60_000 } : {}),
  };
  const refused = new Set<string>();
  for (const n of nodes)
    for (const r of refusedPods(pods, n.name, options)) refused.add(`${n.name}|${r}`);
  const refusedPod = (p: { namespace: string; name: string; node: string }): boolean =>
    [...refused].some((r) => r.startsWith(`${p.node}|`) && r.includes(`${p.namespace}/${p.name}`));
  const groups = new Map<string, number>();
  const surge = new Map<string, number>();
  const policy: PlanPolicy = {
    ...DEFAULT_POLICY,
    maxInFlight: sc.maxInFlight,
    groups: Object.fromEntries(
      GROUPS.map((g, i) => {
        const name = groupOfNode(g, {});
        groups.set(name, sc.maxUnavailable[i] ?? 1);
        if (name.startsWith('kops/')) surge.set(name, sc.maxSurge);
        return [
          name,
          {
            maxUnavailable: { count: sc.maxUnavailable[i] ?? 1 },
            maxSurge: { count: sc.maxSurge },
          },
        ];
      }),
    ),
  };
  let state: RotationState = EMPTY_STATE;
  /** deleted by certdrift, per group, not yet replaced */
  const missing = new Map<string, number>();
  const groupOf = (n: SimNode): string => groupOfNode(n.labels, n.annotations);
  const live = (): LiveNode[] =>
    nodes.map((n) => {
      const group = groupOf(n);
      return {
        name: n.name,
        uid: n.uid,
        group,
        kind: kindOfGroup(group),
        labels: n.labels,
        annotations: n.annotations,
        unschedulable: n.unschedulable,
        providerID: '',
        ready: n.ready,
        ...(n.selected ? {} : { selected: false }),
        ...(n.cordonedBy !== '' ? { cordonedBy: n.cordonedBy } : {}),
      };
    });
  const unavailable = (): Map<string, number> => {
    const ledger = ledgerOf(state, live());
    const out = new Map(missing);
    for (const n of nodes)
      if (n.unschedulable || !n.ready || ledger.trusted.has(n.name))
        out.set(groupOf(n), (out.get(groupOf(n)) ?? 0) + 1);
    return out;
  };
  /** the cluster-wide count: every cordoned, NotReady or recorded node, whoever cordoned it */
  const inFlight = (): number => {
    const ledger = ledgerOf(state, live());
    let k = total(missing);
    for (const n of nodes) if (n.unschedulable || !n.ready || ledger.trusted.has(n.name)) k++;
    return k;
  };
  const total = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

  for (let step = 0; step < 12; step++) {
    const now = new Date(NOW + step * 20 * 60_000);
    const s = planStep({
      fleet: nodes
        .filter((n) => n.selected)
        .map((n) => ({
          name: n.name,
          group: groupOf(n),
          createdAt: new Date(n.old ? NOW - 400 * DAY : now.getTime()),
        })),
      facts: [],
      policy,
      planId: PLAN,
      nodes: live(),
      now,
      options,
      pods,
      nodeClaims: [],
      state,
    });
    // A recorded hand-over whose mark a crash cut off is repeated (no refused pod on the node).
    const ledger = ledgerOf(state, live());
    for (const n of nodes)
      if (
        ledger.trusted.get(n.name)?.state === 'handed-over' &&
        ledger.trusted.get(n.name)?.plan === PLAN &&
        now.getTime() - Date.parse(ledger.trusted.get(n.name)?.since ?? '') <= 3_600_000 &&
        !(KOPS_MARK in n.annotations) &&
        refusedPods(pods, n.name, options).length === 0
      )
        assert.ok(
          s.actions.some((a) => a.node === n.name && a.step === 'kops-annotate'),
          `${n.name}: recorded handed over, unmarked: the mark is repeated`,
        );
    const budget = sc.crashes[step] ?? 0;
    let calls = 0;
    const halted = new Set<string>();
    for (const a of s.actions) {
      if (calls >= budget) break; // crashed: the rest of this step never happens
      if (halted.has(a.node) || (!a.call && !a.state)) continue;
      calls++;
      const before = unavailable();
      const beforeTotal = inFlight();
      if (untouchable.has(a.node) && a.step !== 'prune-records')
        assert.fail(`${a.node} ${a.step}: outside the selection or cordoned by someone else`);
      if (a.state) {
        const r = applyChange(state, a.state);
        if ('conflict' in r) {
          halted.add(a.node);
          continue;
        }
        state = r.state;
      } else if (a.call) {
        const path = a.call.path;
        const node = nodes.find((n) => path === `/api/v1/nodes/${n.name}`);
        if (a.step === 'evict' || a.step === 'delete-pod') {
          const p = pods.find((x) => path.startsWith(`/api/v1/namespaces/shop/pods/${x.name}`));
          assert.ok(p, path);
          assert.ok(!refusedPod(p), `refused pod ${p.name} ${a.step}`);
          pods = pods.filter((x) => x !== p);
        } else if (a.step === 'cordon') {
          assert.ok(node);
          node.unschedulable = true;
        } else if (a.step === 'kops-annotate') {
          assert.ok(node);
          assert.equal(
            ledgerOf(state, live()).trusted.get(node.name)?.state,
            'handed-over',
            `${node.name}: recorded before its mark`,
          );
          assert.equal(node.unschedulable, true, `${node.name}: cordoned before its mark`);
          assert.deepEqual(refusedPods(pods, node.name, options), [], `${node.name} handed over`);
          node.annotations = { ...node.annotations, [KOPS_MARK]: '' };
        } else if (a.step === 'delete-node') {
          assert.ok(node);
          nodes.splice(nodes.indexOf(node), 1);
          pods = pods.filter((p) => p.node !== node.name);
          missing.set(groupOf(node), (missing.get(groupOf(node)) ?? 0) + 1);
        } else assert.fail(`unexpected call ${a.step} ${path}`);
      }
      const after = unavailable();
      for (const [g, k] of after) {
        const max = (groups.get(g) ?? 1) + (surge.get(g) ?? 0);
        if (k > (before.get(g) ?? 0))
          assert.ok(k <= max, `${a.node} ${a.step}: ${g} has ${k} unavailable (max ${max})`);
      }
      const afterTotal = inFlight();
      if (afterTotal > beforeTotal)
        assert.ok(
          afterTotal <= sc.maxInFlight,
          `${a.node} ${a.step}: ${afterTotal} in flight (max ${sc.maxInFlight})`,
        );
    }
    // kops replaces a marked node, sometimes (it surged first: the group's count is kept)
    const marked = nodes.find((n) => KOPS_MARK in n.annotations);
    if (marked && sc.joins[(step + 1) % 12]) {
      nodes.splice(nodes.indexOf(marked), 1);
      pods = pods.filter((p) => p.node !== marked.name);
      const i = nodes.length + seq++;
      nodes.push({
        name: `r${i}`,
        uid: `uid-r${i}`,
        labels: { ...marked.labels },
        annotations: {},
        ready: true,
        unschedulable: false,
        old: false,
        selected: true,
        cordonedBy: '',
      });
    }
    // The group's tool: a replacement joins for one missing node, sometimes.
    if (sc.joins[step])
      for (const [g, k] of missing)
        if (k > 0) {
          const i = nodes.length + seq++;
          nodes.push({
            name: `r${i}`,
            uid: `uid-r${i}`,
            labels: { ...GROUPS.find((x) => groupOfNode(x, {}) === g) },
            annotations: {},
            ready: true,
            unschedulable: false,
            old: false,
            selected: true,
            cordonedBy: '',
          });
          missing.set(g, k - 1);
          break;
        }
    // Forged annotations are never written to (certdrift writes no node annotation but kops').
    for (const n of nodes) {
      const f = forged.get(n.name);
      if (f) assert.equal(n.annotations[ROTATION_ANNOTATION], f[ROTATION_ANNOTATION]);
    }
  }
}

test('rotation safety: random fleets, forged annotations and crashes never exceed the budget or evict a refused pod', () => {
  fc.assert(fc.property(scenarioArb, simulate), { numRuns: 300 });
});
