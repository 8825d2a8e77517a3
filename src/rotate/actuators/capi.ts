// The Cluster API actuator. The Machine is the one Cluster API linked to the node —
// status.nodeRef names it, or its spec.providerID is the node's before the link is made — never
// a node annotation, which the node's own kubelet may write (DESIGN.md convention 13); two
// candidates are not ours to guess. It is started by marking the Machine
// `cluster.x-k8s.io/remediate-machine`, which only a MachineHealthCheck acts on — so the mark is
// made only where one would (capi-health-check.ts: a MHC in the Machine's namespace selects it,
// nothing is paused, no skip-remediation, under maxUnhealthy); otherwise the node is refused
// with that reason, or, with --capi-delete-machine, the Machine is deleted so its MachineSet
// replaces it (machineset_controller.go creates a replacement once the deletion started: no
// surge). A Machine whose controller owner (metadata.ownerReferences, never annotations) is a
// KubeadmControlPlane is refused with KCP's own knob (rolloutBefore.certificatesExpiryDays): KCP
// keeps etcd quorum, certdrift does not remediate control-plane Machines. A Machine Cluster API
// would delete without eviction is refused: exclude-node-draining always, a node drain timeout
// unless --force-after was given (issue 21 finding 6). The node is cordoned after the record and
// before the mark (finding 5). Finished when the Node is gone and the group is back to its size.

import type { LiveMachine, RotateAction } from '../rotate-types.js';
import type { ActuatorDef, NodeContext } from './actuator.js';
import { cordonIfNeeded, handedOver, MERGE } from './calls.js';
import { capiRemediationRefusal } from './capi-health-check.js';

export const CAPI_REMEDIATE = 'cluster.x-k8s.io/remediate-machine';

/**
 * The Machines whose status.nodeRef names this node, or — only for a Machine Cluster API has not
 * linked to a node yet — whose providerID is the node's. A Node's spec.providerID can be set once
 * by whoever updates the Node (its own kubelet too): a Machine linked to another node is never
 * this one's, whatever providerID the node claims.
 */
export function machinesOf(ctx: Pick<NodeContext, 'node' | 'machines'>): LiveMachine[] {
  const { node } = ctx;
  return ctx.machines.filter((m) =>
    m.nodeName !== ''
      ? m.nodeName === node.name
      : m.providerID !== '' && m.providerID === node.providerID,
  );
}

const machinePath = (m: LiveMachine): string =>
  `/apis/cluster.x-k8s.io/v1beta1/namespaces/${encodeURIComponent(m.namespace)}/machines/${encodeURIComponent(m.name)}`;

export const capiActuator: ActuatorDef = {
  name: 'capi',
  surges: false,
  finishedWhen: 'node-gone',
  needs: ['machines'],
  start(ctx) {
    const found = machinesOf(ctx);
    const m = found.length === 1 ? found[0] : undefined;
    if (!m)
      return {
        refused: `${found.length === 0 ? 'no Machine' : 'more than one Machine'} whose status.nodeRef (or providerID) is this node: use --actuator drain`,
      };
    const id = `${m.namespace}/${m.name}`;
    if (m.owner?.kind === 'KubeadmControlPlane')
      return {
        refused: `Machine ${id} belongs to KubeadmControlPlane ${m.namespace}/${m.owner.name}: set its spec.rolloutBefore.certificatesExpiryDays (e.g. 21); KCP rolls control-plane Machines keeping etcd quorum, certdrift does not remediate them`,
      };
    // Already marked or being replaced (an interrupted run): only the record is missing.
    if (m.remediating || m.deleting) return { actions: [handedOver(ctx), ...cordonIfNeeded(ctx)] };
    // Cluster API deletes a Machine carrying exclude-node-draining without a drain, and stops
    // evicting at a node drain timeout and deletes anyway (machine_controller.go isNodeDrainAllowed,
    // nodeDrainTimeoutExceeded): pods go without their budgets — --force-after without the flag.
    if (m.excludeNodeDraining === true)
      return {
        refused: `Machine ${id} carries machine.cluster.x-k8s.io/exclude-node-draining: Cluster API would delete its node's pods without eviction (remove the annotation, or use --actuator drain)`,
      };
    if (m.drainTimeout !== undefined && ctx.options.forceAfterMs === undefined)
      return {
        refused: `Machine ${id} sets a node drain timeout (${m.drainTimeout}): Cluster API stops evicting at it and deletes the pods left, past their budgets; give --force-after to accept that`,
      };
    const why = capiRemediationRefusal(m, ctx);
    const name = ctx.node.name;
    let act: RotateAction;
    if (why === null)
      act = {
        node: name,
        step: 'capi-remediate',
        summary: `ask Cluster API to remediate Machine ${id} (MachineHealthCheck trigger)`,
        call: {
          method: 'PATCH',
          path: machinePath(m),
          body: { metadata: { annotations: { [CAPI_REMEDIATE]: '' } } },
          contentType: MERGE,
        },
      };
    else if (ctx.options.capiDeleteMachine === true && m.owner?.kind === 'MachineSet')
      act = {
        node: name,
        step: 'capi-delete-machine',
        summary: `delete Machine ${id} (--capi-delete-machine: ${why}); MachineSet ${m.owner.name} replaces it`,
        call: { method: 'DELETE', path: machinePath(m), absentIsDone: true },
      };
    else
      return {
        refused: `${why}: the remediate-machine mark would do nothing (or --capi-delete-machine to delete a MachineSet's Machine)`,
      };
    // recorded first: a crash after the record leaves work in flight, never a call unrecorded;
    // then cordoned before the remediation: Cluster API drains with its own rules, so no pod may
    // land on the node after this step listed its pods (the node already counts unavailable)
    return { actions: [handedOver(ctx), ...cordonIfNeeded(ctx), act] };
  },
};
