// The drain actuator, for any node: record the drain in the rotation state object, then cordon
// the node (a cordon without a record would read as someone else's cordon and be left alone; a
// record without a cordon is finished by the next step, which cordons again), then evict its pods through policy/v1 Eviction with
// kubectl drain's rules (drain-rules.ts). Finished when a later step's fresh pod list shows
// nothing left but skipped pods; then the node is recorded drained (it stays cordoned for its
// group to replace) or, with --after-drain delete-node, its Node is deleted where that gets the
// machine replaced (delete-node.ts) — refused up front otherwise, before anything is cordoned.

import type { RotateAction } from '../rotate-types.js';
import type { ActuatorDef, NodeContext } from './actuator.js';
import { cordon, evictions, recordAction } from './calls.js';
import { deleteNodeAction, deleteNodeRefusal } from './delete-node.js';

/**
 * The action that ends a finished drain. A drain begun before --after-drain delete-node was
 * allowed for this node (another run, another flag) is recorded drained instead: the rule is
 * judged again at the delete, never assumed.
 */
export function finishDrain(ctx: NodeContext): RotateAction {
  const refused = ctx.options.afterDrain === 'delete-node' ? deleteNodeRefusal(ctx) : null;
  if (ctx.options.afterDrain === 'delete-node' && refused === null) return deleteNodeAction(ctx);
  return recordAction(
    ctx,
    'mark-drained',
    `record the node drained (it stays cordoned for its group to replace)${refused !== null ? `; not deleted: ${refused}` : ''}`,
    'drained',
  );
}

export const drainActuator: ActuatorDef = {
  name: 'drain',
  surges: false,
  finishedWhen: 'drained',
  needs: ['pods'],
  start(ctx) {
    if (ctx.options.afterDrain === 'delete-node') {
      const why = deleteNodeRefusal(ctx);
      if (why !== null) return { refused: why };
    }
    return {
      actions: [
        recordAction(
          ctx,
          'record-cordoned',
          'record the drain in the rotation state (before the cordon)',
          'cordoned',
        ),
        cordon(ctx),
        ...evictions(ctx),
      ],
    };
  },
};
