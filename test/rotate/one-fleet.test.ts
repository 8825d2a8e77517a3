// Issue #21 item 8 on the REAL control plane: `certdrift plan --kubernetes` and `certdrift rotate`
// read the cluster through the one client and the one Kubernetes → fleet mapping
// (src/fleet/from-cluster.ts selectedFleet), so on the same cluster, at the same time, with the
// same selector and policy, they place the same nodes in the same groups with the same due dates
// and starts — for nodes dated by their NodeCertificateReport and by their age, in kops, EKS and
// plain groups, and a node outside the selector left out by both.
// Runs on the shared control plane of test/support/control-plane.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/command.js';
import { DEFAULT_POLICY } from '../../src/fleet/plan-policy.js';
import { runStep } from '../../src/rotate/index.js';
import { rotatorLab, DAY_MS } from './rotator-cluster.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = {
    stdout: { write: (s: string) => ((out += s), true), isTTY: false },
    stderr: { write: (s: string) => ((err += s), true), isTTY: false },
    env: {},
  } as unknown as Io;
  const code = await run(args, io);
  return { code, out, err };
}

test('plan --kubernetes and rotate judge the same cluster alike: same groups, due dates and starts', async (t) => {
  const lab = await rotatorLab(t, ['drain']);
  if (!lab) return;
  const { cp } = lab;
  const ig = lab.name('nodes');
  const k1 = lab.name('k1');
  const k2 = lab.name('k2');
  await lab.oldNode(k1, { labels: { 'kops.k8s.io/instancegroup': ig } }, DAY_MS);
  await lab.oldNode(k2, { labels: { 'kops.k8s.io/instancegroup': ig } }, -20 * DAY_MS);
  const e1 = lab.name('e1');
  await lab.oldNode(e1, { labels: { 'eks.amazonaws.com/nodegroup': lab.name('ng') } }, -3 * DAY_MS);
  const c1 = lab.name('p1');
  await lab.oldNode(c1, {}, 0);
  const young = lab.name('y');
  await lab.node(young);
  // a node outside the selector, with a report: neither reads it
  const outsider = lab.name('outsider');
  await cp.node(outsider);
  t.after(() => cp.admin.request('DELETE', `/api/v1/nodes/${outsider}`));

  const at = new Date(Math.floor(Date.now() / 1000) * 1000);
  const plan = await cli([
    'plan',
    '--kubernetes',
    lab.kubeconfig(),
    '--selector',
    lab.selector,
    '--at',
    at.toISOString(),
    '-o',
    'json',
  ]);
  assert.ok(plan.code === 1 || plan.code === 2, plan.err);
  const doc = JSON.parse(plan.out) as {
    schedule: { node: string; group: string; start: string; dueBy: string }[];
    groups: { group: string; nodes: number; due: number; concurrency: number }[];
  };
  const step = await runStep(
    lab.client(),
    {
      policy: DEFAULT_POLICY,
      planId: 'p-one',
      options: { afterDrain: 'none', drainTimeoutMs: 3_600_000 },
      apply: false,
    },
    at,
  );
  const fromPlan = doc.schedule.map((r) => `${r.node} ${r.group} ${r.dueBy} ${r.start}`).sort();
  const fromRotate = step.step.plan.schedule
    .map((r) => `${r.node} ${r.group} ${r.dueBy.toISOString()} ${r.start.toISOString()}`)
    .sort();
  assert.deepEqual(fromRotate, fromPlan);
  const nodes = new Set(doc.schedule.map((r) => r.node));
  for (const n of [k1, k2, e1, c1]) assert.ok(nodes.has(n), `${n} is due within the horizon`);
  assert.ok(!nodes.has(outsider) && !nodes.has(young));
  const groupsOf = (gs: { group: string; nodes: number; due: number; concurrency: number }[]) =>
    gs.map((g) => `${g.group} ${g.nodes} ${g.due} ${g.concurrency}`).sort();
  assert.deepEqual(groupsOf(step.step.plan.groups), groupsOf(doc.groups));
  assert.ok(
    groupsOf(doc.groups).some((g) => g.startsWith(`kops/${ig} 2 2`)),
    'k1 and k2 in one group',
  );
});
