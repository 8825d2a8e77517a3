// `--after-drain delete-node`: once a drain finished, delete the Node object. Deleting a Node
// does not stop or replace its machine — the kubelet does not watch its own Node, and the
// instance keeps running (domain.md §10) — so this finish is allowed only where something
// replaces the machine when its Node goes:
//  - Karpenter: its Nodes carry the `karpenter.sh/termination` finalizer; deleting one runs the
//    termination controller, which deletes the NodeClaim and terminates the instance
//    (karpenter.sh/docs/concepts/disruption#termination-controller).
//  - Cluster API with a MachineHealthCheck that selects the node's Machine: the MHC marks a
//    Machine whose Node is gone unhealthy (NodeNotFound, machinehealthcheck_targets.go
//    needsRemediation) and its MachineSet replaces it.
// Everywhere else (kops, EKS, GKE, AKS groups, plain nodes) it is refused with that reason: the
// node would vanish from the API while its instance keeps running outside any scheduler.

import type { RotateAction } from '../rotate-types.js';
import type { NodeContext } from './actuator.js';
import { nodePath } from './calls.js';
import { capiRemediationRefusal } from './capi-health-check.js';
import { machinesOf } from './capi.js';

/** null when deleting the node's Node object gets its machine replaced; else why not */
export function deleteNodeRefusal(ctx: NodeContext): string | null {
  const kind = ctx.node.kind;
  if (kind === 'karpenter') return null;
  if (kind === 'capi') {
    const found = machinesOf(ctx);
    const m = found.length === 1 ? found[0] : undefined;
    if (!m)
      return '--after-drain delete-node: no single Machine links to this node (status.nodeRef or providerID), so nothing would replace it';
    const why = capiRemediationRefusal(m, ctx);
    return why === null ? null : `--after-drain delete-node: ${why}, so nothing would replace it`;
  }
  const group = ctx.node.group === 'none' ? 'a node of no group' : `a ${kind} node`;
  return `--after-drain delete-node refused for ${group}: deleting a Node does not replace its machine (the kubelet does not recreate its Node; the instance keeps running); use --after-drain none and let the group's own tool replace it`;
}

export function deleteNodeAction(ctx: NodeContext): RotateAction {
  return {
    node: ctx.node.name,
    step: 'delete-node',
    summary: 'delete the drained Node object; its group replaces the machine',
    call: { method: 'DELETE', path: nodePath(ctx.node.name), absentIsDone: true },
  };
}
