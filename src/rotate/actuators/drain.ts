// The drain actuator, for any node: cordon the node and record the drain in one patch (a
// cordoned node always carries its record), then evict its pods through policy/v1 Eviction with
// kubectl drain's rules (drain-rules.ts). Finished when a later step's fresh pod list shows
// nothing left but skipped pods; then the node is recorded drained (it stays cordoned for its
// group to replace) or, with --after-drain delete-node, its Node is deleted where that gets the
// machine replaced (delete-node.ts) — refused up front otherwise, before anything is cordoned.

import { ROTATION_ANNOTATION } from '../rotation-record.js';
import type { RotateAction } from '../rotate-types.js';
import type { ActuatorDef, NodeContext } from './actuator.js';
import { evictions, nodePath, recordCall, recordValue, SMP } from './calls.js';
import { deleteNodeAction, deleteNodeRefusal } from './delete-node.js';

/**
 * The action that ends a finished drain. A drain begun before --after-drain delete-node was
 * allowed for this node (another run, another flag) is recorded drained instead: the rule is
 * judged again at the delete, never assumed.
 */
export function finishDrain(ctx: NodeContext): RotateAction {
  const refused = ctx.options.afterDrain === 'delete-node' ? deleteNodeRefusal(ctx) : null;
  if (ctx.options.afterDrain === 'delete-node' && refused === null) return deleteNodeAction(ctx);
  return {
    node: ctx.node.name,
    step: 'mark-drained',
    summary: `record the node drained (it stays cordoned for its group to replace)${refused !== null ? `; not deleted: ${refused}` : ''}`,
    call: recordCall(ctx, 'drained'),
  };
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
    const name = ctx.node.name;
    return {
      actions: [
        {
          node: name,
          step: 'cordon',
          summary: 'cordon the node and record the drain',
          call: {
            method: 'PATCH',
            path: nodePath(name),
            body: {
              metadata: { annotations: { [ROTATION_ANNOTATION]: recordValue(ctx, 'cordoned') } },
              spec: { unschedulable: true },
            },
            contentType: SMP,
          },
        },
        ...evictions(ctx),
      ],
    };
  },
};
