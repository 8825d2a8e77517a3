// The Karpenter actuator: delete the node's NodeClaim. Karpenter's termination controller then
// taints the node, evicts its pods through the Eviction API (PodDisruptionBudgets honoured) and
// terminates the instance. Karpenter does NOT replace a deleted NodeClaim one for one — it
// provisions only for pods that fit nowhere — so the node is finished when its NodeClaim is gone
// and no pod that ran on it is left Pending, never when the group regains a node count
// (domain.md §10).
// The NodeClaim is the one whose status.nodeName Karpenter set to this node at registration
// (the link Karpenter itself writes), never one found by providerID alone: a Node's
// spec.providerID can be set once by whoever updates the Node — its own kubelet too — so a node
// could name another node's instance and get that NodeClaim deleted. The mirror of Cluster API's
// status.nodeRef (capi.ts machinesOf). Refused, with the reason: no NodeClaim names the node,
// two do, the NodeClaim's providerID is not the node's, or two NodeClaims or two Nodes share the
// providerID (one of them lies; certdrift does not guess which).

import { podsToEvict } from '../drain-rules.js';
import { MAX_OWNERS } from '../rotation-state.js';
import type { LiveNodeClaim } from '../rotate-types.js';
import type { ActuatorDef, NodeContext } from './actuator.js';
import { handedOver } from './calls.js';

/** the NodeClaim of ctx.node, or why there is none certdrift may delete */
export function claimOf(
  ctx: Pick<NodeContext, 'node' | 'nodeClaims' | 'nodes'>,
): { claim: LiveNodeClaim } | { refused: string } {
  const { node } = ctx;
  const named = ctx.nodeClaims.filter((c) => c.nodeName === node.name);
  if (named.length === 0)
    return {
      refused: `no NodeClaim whose status.nodeName is ${node.name} (a NodeClaim is matched by the node Karpenter registered for it, never by providerID alone): use --actuator drain`,
    };
  const [claim, second] = named;
  if (!claim || second)
    return {
      refused: `NodeClaims ${named.map((c) => c.name).join(', ')} all name this node in status.nodeName: not ours to choose; use --actuator drain`,
    };
  if (claim.providerID !== '' && node.providerID !== '' && claim.providerID !== node.providerID)
    return {
      refused: `NodeClaim ${claim.name} has providerID ${claim.providerID}, the node ${node.providerID}: not acted on`,
    };
  const pid = claim.providerID || node.providerID;
  if (pid !== '') {
    const claims = ctx.nodeClaims.filter((c) => c.providerID === pid);
    if (claims.length > 1)
      return {
        refused: `NodeClaims ${claims.map((c) => c.name).join(', ')} share providerID ${pid}: not acted on`,
      };
    const nodes = (ctx.nodes ?? [node]).filter((n) => n.providerID === pid);
    if (nodes.length > 1)
      return {
        refused: `Nodes ${nodes.map((n) => n.name).join(', ')} share providerID ${pid} (a kubelet may set its own): not acted on`,
      };
  }
  return { claim };
}

export const karpenterActuator: ActuatorDef = {
  name: 'karpenter',
  surges: false,
  finishedWhen: 'claim-gone',
  needs: ['nodeClaims'],
  start(ctx) {
    const found = claimOf(ctx);
    if ('refused' in found) return found;
    const { claim } = found;
    // What finishes it (claim-gone): the claim, and the owners of the pods Karpenter will evict.
    const owners = [
      ...new Set(
        podsToEvict(ctx.pods, ctx.node.name, ctx.options).flatMap((p) =>
          p.ownerUid !== undefined ? [p.ownerUid] : [],
        ),
      ),
    ]
      .sort()
      .slice(0, MAX_OWNERS);
    const facts = { claim: claim.name, owners };
    // Already being deleted (an interrupted run deleted it): only the record is missing.
    if (claim.deleting === true) return { actions: [handedOver(ctx, facts)] };
    return {
      actions: [
        // recorded first: a crash after the record leaves work in flight, never a call unrecorded
        handedOver(ctx, facts),
        {
          node: ctx.node.name,
          step: 'karpenter-delete',
          summary: `delete NodeClaim ${claim.name}; Karpenter drains and terminates the node`,
          call: {
            method: 'DELETE',
            path: `/apis/karpenter.sh/v1/nodeclaims/${encodeURIComponent(claim.name)}`,
            absentIsDone: true,
          },
        },
      ],
    };
  },
};
