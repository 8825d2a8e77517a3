// The Karpenter actuator: delete the node's NodeClaim (the one whose status.providerID is the
// node's). Karpenter's termination controller then taints the node, evicts its pods through the
// Eviction API (PodDisruptionBudgets honoured) and terminates the instance. Karpenter does NOT
// replace a deleted NodeClaim one for one — it provisions only for pods that fit nowhere — so
// the node is finished when its NodeClaim is gone and no pod that ran on it is left Pending,
// never when the group regains a node count (domain.md §10). Refused: a node no NodeClaim names.

import { podsToEvict } from '../drain-rules.js';
import { MAX_OWNERS } from '../rotation-state.js';
import type { ActuatorDef } from './actuator.js';
import { handedOver } from './calls.js';

export const karpenterActuator: ActuatorDef = {
  name: 'karpenter',
  surges: false,
  finishedWhen: 'claim-gone',
  needs: ['nodeClaims'],
  start(ctx) {
    const claims = ctx.nodeClaims.filter(
      (c) => c.providerID !== '' && c.providerID === ctx.node.providerID,
    );
    const claim = claims.length === 1 ? claims[0] : undefined;
    if (!claim)
      return {
        refused: `${claims.length === 0 ? 'no NodeClaim' : 'more than one NodeClaim'} with this providerID: use --actuator drain`,
      };
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
