// A node's group comes from its Machine, not from annotations its kubelet may write (issue #21,
// review finding 3), on the REAL control plane with the real Cluster API CRDs and the shipped
// base rotator role (its `list` on Machines): a node whose annotations claim MachineSet
// `md-forged` while the Machine linked to it (status.nodeRef) belongs to `md-real` is counted
// in `capi/md-real`, and the difference is reported.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  capiNodeAnnotations,
  createMachine,
  createMachineSet,
} from '../support/simulated-controllers/cluster-api.js';
import { rotatorLab } from './rotator-cluster.js';

test('the group is the linked Machine’s MachineSet, whatever the node’s annotations claim', async (t) => {
  const lab = await rotatorLab(t, []);
  if (!lab) return;
  const { cp } = lab;
  await cp.installCrds(['cluster.x-k8s.io']);
  const ns = await cp.namespace(t, 'team-a');
  await cp.waitFor('the Cluster API resources serve', 30_000, async () => {
    for (const r of ['machines', 'machinesets'])
      await cp.admin.list(`/apis/cluster.x-k8s.io/v1beta2/namespaces/${ns}/${r}`);
    await cp.admin.list('/apis/cluster.x-k8s.io/v1beta1/machines?limit=1');
    return true;
  });
  const real = lab.name('md-real');
  const set = await createMachineSet(cp.admin, ns, real, 1);
  const machine = lab.name('m');
  await createMachine(cp.admin, ns, machine, set);
  const node = lab.name('w');
  await lab.oldNode(node, {
    annotations: capiNodeAnnotations(machine, ns, { kind: 'MachineSet', name: 'md-forged' }),
  });
  // Cluster API links the Machine to its Node in status.nodeRef
  await cp.admin.patch(
    `/apis/cluster.x-k8s.io/v1beta2/namespaces/${ns}/machines/${machine}/status`,
    {
      status: { nodeRef: { name: node } },
    },
  );
  const fleet = await lab.client().readFleet();
  const live = fleet.live.find((n) => n.name === node);
  assert.equal(live?.group, `capi/${real}`);
  assert.equal(live.labelGroup, 'capi/md-forged');
  assert.equal(live.machine?.name, machine);
  assert.equal(fleet.nodes.find((n) => n.name === node)?.group, `capi/${real}`);
  assert.ok(
    fleet.problems.some(
      (p) =>
        p.message ===
        `${node}: its labels name group capi/md-forged, its Machine capi/${real}: counted in capi/${real}`,
    ),
    JSON.stringify(fleet.problems),
  );
});
