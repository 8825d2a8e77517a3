// Each actuator's start and refusals, purely, as the real tools behave (actuators/):
// Cluster API remediates a marked Machine only where a MachineHealthCheck of its namespace and
// cluster selects it, nothing is paused, no skip-remediation, under maxUnhealthy
// (cluster-api internal/controllers/machinehealthcheck/machinehealthcheck_targets.go); a
// KubeadmControlPlane's Machine (its controller ownerReference) is never marked; --after-drain
// delete-node only where something replaces the machine (Karpenter, Cluster API with an MHC).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ACTUATOR_NAMES,
  actuatorDef,
  nodePlan,
  selectorMatches,
  type LiveMachine,
  type LiveMachineHealthCheck,
  type NodeContext,
  type NodeWork,
} from '../../src/rotate/index.js';
import { machinesOf } from '../../src/rotate/actuators/index.js';
import { machineOf } from '../../src/adapters/kube/rotate-client.js';
import { liveNode, NOW, OPTIONS } from './fixtures.js';

const node = liveNode('m', {}, { 'cluster.x-k8s.io/owner-name': 'md-0' });
const machine = (name: string, extra: Partial<LiveMachine> = {}): LiveMachine => ({
  namespace: 'team-a',
  name,
  nodeName: name === 'md-0-a' ? 'm' : `${name}-node`,
  providerID: '',
  remediating: false,
  deleting: false,
  clusterName: 'c1',
  labels: { 'cluster.x-k8s.io/cluster-name': 'c1', 'cluster.x-k8s.io/set-name': 'md-0' },
  owner: { kind: 'MachineSet', name: 'md-0' },
  ...extra,
});
const mhc = (extra: Partial<LiveMachineHealthCheck> = {}): LiveMachineHealthCheck => ({
  namespace: 'team-a',
  name: 'md-0',
  clusterName: 'c1',
  selector: { matchLabels: { 'cluster.x-k8s.io/set-name': 'md-0' } },
  paused: false,
  ...extra,
});

function start(actuator: NodeWork['actuator'], ctx: Partial<NodeContext>): string[] | string {
  const work: NodeWork = { node: 'm', group: node.group, actuator, state: 'start', note: '' };
  const p = nodePlan(work, {
    node,
    pods: [],
    nodeClaims: [],
    machines: [],
    planId: 'p',
    now: NOW,
    record: null,
    groupReady: [],
    groupSize: 1,
    options: OPTIONS,
    ...ctx,
  });
  return 'refused' in p
    ? p.refused
    : p.actions.map((a) => `${a.step} ${a.call?.method ?? (a.state ? 'STATE' : '')}`);
}

// record, then cordon, then the mark (finding 5: no pod lands after the step listed them)
const REMEDIATE = ['record-handed-over STATE', 'cordon PATCH', 'capi-remediate PATCH'];

const capiCases: {
  name: string;
  machines?: LiveMachine[];
  checks?: LiveMachineHealthCheck[];
  paused?: string[];
  deleteMachine?: boolean;
  forceAfter?: boolean;
  want: string[] | RegExp;
}[] = [
  { name: 'selected, unpaused, under maxUnhealthy: marked', want: REMEDIATE },
  { name: 'no MachineHealthCheck', checks: [], want: /no MachineHealthCheck in team-a selects/ },
  {
    name: 'an MHC of another namespace does not select it',
    checks: [mhc({ namespace: 'team-b' })],
    want: /no MachineHealthCheck/,
  },
  {
    name: 'an MHC of another cluster does not select it',
    checks: [mhc({ clusterName: 'c2' })],
    want: /no MachineHealthCheck/,
  },
  {
    name: 'an empty selector selects nothing',
    checks: [mhc({ selector: {} })],
    want: /no MachineHealthCheck/,
  },
  { name: 'a paused MHC', checks: [mhc({ paused: true })], want: /MachineHealthCheck .* paused/ },
  { name: 'a paused Cluster', paused: ['team-a/c1'], want: /Cluster team-a\/c1 is paused/ },
  {
    name: 'a paused Machine',
    machines: [machine('md-0-a', { paused: true })],
    want: /Machine team-a\/md-0-a is paused/,
  },
  {
    name: 'skip-remediation',
    machines: [machine('md-0-a', { skipRemediation: true })],
    want: /skip-remediation/,
  },
  {
    name: 'maxUnhealthy 1 with another Machine already being remediated',
    machines: [machine('md-0-a'), machine('md-0-b', { remediating: true }), machine('md-0-c')],
    checks: [mhc({ maxUnhealthy: 1 })],
    want: /over maxUnhealthy \(2 unhealthy of 3, limit 1\)/,
  },
  {
    name: 'maxUnhealthy 40% of 3 rounds down to 1: ours alone fits',
    machines: [machine('md-0-a'), machine('md-0-b'), machine('md-0-c')],
    checks: [mhc({ maxUnhealthy: '40%' })],
    want: REMEDIATE,
  },
  {
    name: "the MHC's own status counts unhealthy Machines the list does not show",
    checks: [mhc({ maxUnhealthy: 1, expectedMachines: 3, currentHealthy: 2 })],
    want: /over maxUnhealthy/,
  },
  {
    name: 'a KubeadmControlPlane Machine (its controller ownerReference): KCP knob',
    machines: [machine('md-0-a', { owner: { kind: 'KubeadmControlPlane', name: 'cp' } })],
    want: /KubeadmControlPlane team-a\/cp: set its spec.rolloutBefore.certificatesExpiryDays/,
  },
  {
    name: 'a Machine no MachineSet owns',
    machines: [machine('md-0-a', { owner: undefined })],
    want: /not owned by a MachineSet/,
  },
  {
    name: '--capi-delete-machine: an MHC-less MachineSet Machine is deleted',
    checks: [],
    deleteMachine: true,
    want: ['record-handed-over STATE', 'cordon PATCH', 'capi-delete-machine DELETE'],
  },
  {
    name: 'exclude-node-draining: Cluster API would delete its pods without eviction',
    machines: [machine('md-0-a', { excludeNodeDraining: true })],
    want: /Machine team-a\/md-0-a carries machine.cluster.x-k8s.io\/exclude-node-draining/,
  },
  {
    name: 'exclude-node-draining is refused with --force-after and --capi-delete-machine too',
    machines: [machine('md-0-a', { excludeNodeDraining: true })],
    checks: [],
    deleteMachine: true,
    forceAfter: true,
    want: /exclude-node-draining/,
  },
  {
    name: 'a node drain timeout without --force-after',
    machines: [machine('md-0-a', { drainTimeout: 'spec.nodeDrainTimeout 10m0s' })],
    want: /sets a node drain timeout \(spec.nodeDrainTimeout 10m0s\).*--force-after/,
  },
  {
    name: 'a node drain timeout with --capi-delete-machine, without --force-after',
    machines: [machine('md-0-a', { drainTimeout: 'spec.deletion.nodeDrainTimeoutSeconds 600' })],
    checks: [],
    deleteMachine: true,
    want: /node drain timeout/,
  },
  {
    name: 'a node drain timeout with --force-after: marked',
    machines: [machine('md-0-a', { drainTimeout: 'spec.nodeDrainTimeout 10m0s' })],
    forceAfter: true,
    want: REMEDIATE,
  },
  {
    name: '--capi-delete-machine never deletes a KubeadmControlPlane Machine',
    machines: [machine('md-0-a', { owner: { kind: 'KubeadmControlPlane', name: 'cp' } })],
    checks: [],
    deleteMachine: true,
    want: /KubeadmControlPlane/,
  },
];

for (const c of capiCases)
  test(`capi: ${c.name}`, () => {
    const got = start('capi', {
      machines: c.machines ?? [machine('md-0-a')],
      healthChecks: c.checks ?? [mhc()],
      pausedClusters: c.paused ?? [],
      options: {
        ...OPTIONS,
        ...(c.deleteMachine ? { capiDeleteMachine: true } : {}),
        ...(c.forceAfter ? { forceAfterMs: 60_000 } : {}),
      },
    });
    if (c.want instanceof RegExp) assert.match(String(got), c.want);
    else assert.deepEqual(got, c.want);
  });

test('label selectors: matchLabels and matchExpressions as metav1.LabelSelector', () => {
  const l = { a: '1', b: '2' };
  assert.equal(selectorMatches({ matchLabels: { a: '1' } }, l), true);
  assert.equal(selectorMatches({ matchLabels: { a: '2' } }, l), false);
  const e = (operator: string, values?: string[]) =>
    selectorMatches(
      { matchExpressions: [{ key: 'b', operator, ...(values ? { values } : {}) }] },
      l,
    );
  assert.equal(e('In', ['2', '3']), true);
  assert.equal(e('In', ['3']), false);
  assert.equal(e('NotIn', ['2']), false);
  assert.equal(e('Exists'), true);
  assert.equal(e('DoesNotExist'), false);
  assert.equal(e('Gt', ['1']), false, 'an unknown operator selects nothing');
});

test('--after-drain delete-node: refused where nothing replaces the machine, allowed for Karpenter and an MHC-watched Machine', () => {
  const drainStart = (n: typeof node, ctx: Partial<NodeContext> = {}) => {
    const work: NodeWork = {
      node: n.name,
      group: n.group,
      actuator: 'drain',
      state: 'start',
      note: '',
    };
    const p = nodePlan(work, {
      node: n,
      pods: [],
      nodeClaims: [],
      machines: [],
      planId: 'p',
      now: NOW,
      record: null,
      groupReady: [],
      groupSize: 1,
      options: { ...OPTIONS, afterDrain: 'delete-node' },
      ...ctx,
    });
    return 'refused' in p ? p.refused : p.actions.map((a) => a.step).join(',');
  };
  const groups: Record<string, string>[] = [
    {},
    { 'eks.amazonaws.com/nodegroup': 'ng' },
    { 'cloud.google.com/gke-nodepool': 'p' },
    { 'kubernetes.azure.com/agentpool': 'p' },
    { 'kops.k8s.io/instancegroup': 'nodes' },
  ];
  for (const labels of groups)
    assert.match(
      drainStart(liveNode('x', labels)),
      /deleting a Node does not replace its machine/,
      JSON.stringify(labels),
    );
  assert.equal(
    drainStart(liveNode('x', { 'karpenter.sh/nodepool': 'default' })),
    'record-cordoned,cordon',
  );
  assert.equal(
    drainStart(node, { machines: [machine('md-0-a')], healthChecks: [mhc()] }),
    'record-cordoned,cordon',
  );
  assert.match(
    drainStart(node, { machines: [machine('md-0-a')], healthChecks: [] }),
    /no MachineHealthCheck .* so nothing would replace it/,
  );
});

test('karpenter: the NodeClaim is the one whose status.nodeName is the node, never providerID alone', () => {
  const k = liveNode('k', { 'karpenter.sh/nodepool': 'default' });
  const other = { ...liveNode('v', { 'karpenter.sh/nodepool': 'default' }) };
  const claimStart = (
    nodeClaims: NodeContext['nodeClaims'],
    nodes: NodeContext['nodes'] = [k, other],
    node = k,
  ): string[] | string => {
    const p = actuatorDef('karpenter').start({
      node,
      nodes,
      pods: [],
      nodeClaims,
      machines: [],
      planId: 'p',
      now: NOW,
      record: null,
      groupReady: [],
      groupSize: 1,
      options: OPTIONS,
    });
    return 'refused' in p ? p.refused : p.actions.map((a) => `${a.step} ${a.call?.path ?? ''}`);
  };
  const refusal = (...args: Parameters<typeof claimStart>): string => {
    const r = claimStart(...args);
    return typeof r === 'string' ? r : `started: ${r.join(', ')}`;
  };
  const mine = { name: 'default-k', providerID: k.providerID, nodeName: 'k' };
  // recorded first, as every hand-over (karpenter.ts)
  assert.deepEqual(claimStart([mine]), [
    'record-handed-over ',
    'karpenter-delete /apis/karpenter.sh/v1/nodeclaims/default-k',
  ]);
  // found by providerID only (not registered for this node, or registered for another one)
  assert.match(refusal([{ ...mine, nodeName: '' }]), /^no NodeClaim whose status.nodeName is k/);
  // a node that set its providerID to another node's instance does not get that NodeClaim
  const victim = { name: 'default-v', providerID: other.providerID, nodeName: 'v' };
  const forger = { ...k, providerID: other.providerID };
  assert.match(
    refusal([victim], [forger, other], forger),
    /^no NodeClaim whose status.nodeName is k/,
  );
  // two NodeClaims naming the node, a providerID two NodeClaims or two Nodes share: blocked, named
  assert.match(
    refusal([mine, { ...mine, name: 'default-k2' }]),
    /NodeClaims default-k, default-k2 all name this node/,
  );
  assert.match(
    refusal([mine, { ...victim, providerID: k.providerID }]),
    /NodeClaims default-k, default-v share providerID/,
  );
  assert.match(
    refusal([mine], [k, { ...other, providerID: k.providerID }]),
    /Nodes k, v share providerID .*not acted on/,
  );
  assert.match(
    refusal([{ ...mine, providerID: other.providerID }]),
    /NodeClaim default-k has providerID .* the node .*: not acted on/,
  );
});

test('the registry: every actuator one file, a name, how it is known finished; only kops surges', () => {
  assert.deepEqual([...ACTUATOR_NAMES].sort(), ['capi', 'drain', 'in-place', 'karpenter', 'kops']);
  for (const n of ACTUATOR_NAMES) assert.equal(actuatorDef(n).name, n);
  assert.deepEqual(
    ACTUATOR_NAMES.filter((n) => actuatorDef(n).surges),
    ['kops'],
  );
  assert.equal(actuatorDef('karpenter').finishedWhen, 'claim-gone');
  assert.equal(actuatorDef('in-place').finishedWhen, 'job-complete');
});

test('capi: a node claiming another linked Machine’s providerID never gets that Machine', () => {
  // spec.providerID can be set once by whoever updates the Node — its own kubelet too
  const victim = machine('md-0-b', { providerID: 'aws:///eu-west-1a/i-victim' });
  const forger = { ...node, providerID: 'aws:///eu-west-1a/i-victim' };
  assert.deepEqual(machinesOf({ node: forger, machines: [victim] }), []);
  // not linked yet (no nodeRef): the providerID is all Cluster API has, and it is used
  const unlinked = machine('md-0-c', { nodeName: '', providerID: 'aws:///eu-west-1a/i-new' });
  const joining = { ...node, providerID: 'aws:///eu-west-1a/i-new' };
  assert.deepEqual(
    machinesOf({ node: joining, machines: [unlinked] }).map((m) => m.name),
    ['md-0-c'],
  );
  // linked by nodeRef: found by name whatever the providerIDs say
  assert.deepEqual(
    machinesOf({ node, machines: [machine('md-0-a', { providerID: 'other' })] }).map((m) => m.name),
    ['md-0-a'],
  );
});

test('kops: recorded, then cordoned, then marked; an already-marked node still gets the cordon (finding 5)', () => {
  const k = liveNode('k', { 'kops.k8s.io/instancegroup': 'nodes' });
  const kopsStart = (n: typeof k): string[] | string => {
    const p = actuatorDef('kops').start({
      node: n,
      pods: [],
      nodeClaims: [],
      machines: [],
      planId: 'p',
      now: NOW,
      record: null,
      groupReady: [],
      groupSize: 1,
      options: OPTIONS,
    });
    return 'refused' in p
      ? p.refused
      : p.actions.map((a) => `${a.step} ${a.call?.method ?? (a.state ? 'STATE' : '')}`);
  };
  assert.deepEqual(kopsStart(k), [
    'record-handed-over STATE',
    'cordon PATCH',
    'kops-annotate PATCH',
  ]);
  assert.deepEqual(
    kopsStart({ ...k, annotations: { ...k.annotations, 'kops.k8s.io/needs-update': '' } }),
    ['record-handed-over STATE', 'cordon PATCH'],
  );
  // the cordon is the drain's own call: spec.unschedulable on this node
  const p = actuatorDef('kops').start({
    node: k,
    pods: [],
    nodeClaims: [],
    machines: [],
    planId: 'p',
    now: NOW,
    record: null,
    groupReady: [],
    groupSize: 1,
    options: OPTIONS,
  });
  assert.ok('actions' in p);
  const c = p.actions[1]?.call;
  assert.ok(c);
  assert.deepEqual(c.body, { spec: { unschedulable: true } });
  assert.equal(c.path, '/api/v1/nodes/k');
});

test('capi: the drain-bypassing fields are read from the Machine as Cluster API writes them (finding 6)', () => {
  const api = (spec: Record<string, unknown>, annotations: Record<string, string> = {}) =>
    machineOf({
      metadata: { namespace: 'team-a', name: 'md-0-a', annotations },
      spec,
      status: { nodeRef: { name: 'm' } },
    });
  assert.equal(api({}).drainTimeout, undefined);
  assert.equal(api({}).excludeNodeDraining, undefined);
  assert.equal(
    api({}, { 'machine.cluster.x-k8s.io/exclude-node-draining': '' }).excludeNodeDraining,
    true,
  );
  // 0 is Cluster API's default: no timeout
  assert.equal(api({ nodeDrainTimeout: '0s' }).drainTimeout, undefined);
  assert.equal(api({ deletion: { nodeDrainTimeoutSeconds: 0 } }).drainTimeout, undefined);
  assert.equal(api({ nodeDrainTimeout: '10m0s' }).drainTimeout, 'spec.nodeDrainTimeout 10m0s');
  assert.equal(
    api({ deletion: { nodeDrainTimeoutSeconds: 600 } }).drainTimeout,
    'spec.deletion.nodeDrainTimeoutSeconds 600',
  );
  // attacker-written text is never printed: set, unreadable
  assert.equal(
    api({ nodeDrainTimeout: '\u001b[31m5m' }).drainTimeout,
    'spec.nodeDrainTimeout (unreadable)',
  );
  assert.equal(
    api({ deletion: { nodeDrainTimeoutSeconds: '600' } }).drainTimeout,
    'spec.deletion.nodeDrainTimeoutSeconds (unreadable)',
  );
});
