// The drain actuator, for any node: record the drain in the rotation state object, then cordon
// the node (a cordon without a record would read as someone else's cordon and be left alone; a
// record without a cordon is finished by the next step, which cordons again), then evict its pods through policy/v1 Eviction with
// kubectl drain's rules (drain-rules.ts). Finished when a later step's fresh pod list shows
// nothing left but skipped pods; then the node is recorded drained (it stays cordoned for its
// group to replace) or, with --after-drain delete-node, its Node is deleted where that gets the
// machine replaced (delete-node.ts) — refused up front otherwise, before anything is cordoned.
// A drain in flight ends at its drain timeout whatever else is set (drainInFlight below).

import type { NodeWork, RotateAction, RotateOptions } from '../rotate-types.js';
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

/**
 * What a drain in flight (recorded cordoned) is this step. The drain timeout ends it first, also
 * with --force-after (which is shorter, rotate-wait.ts): a drain still not done past it — pods
 * refused, stuck Terminating behind a finalizer, or a budget that never allows — is recorded
 * stuck and left cordoned (kubectl drain's --timeout likewise ends a drain that does not finish,
 * forced or not). The refused pods stay named in the note, whichever branch is taken: before the
 * timeout the node is blocked and its other pods are evicted (or, past --force-after, deleted);
 * the refused ones never are.
 */
export function drainInFlight(
  drain: Pick<NodeWork, 'node' | 'group' | 'actuator'>,
  since: string,
  elapsedMs: number,
  refused: readonly string[],
  options: Pick<RotateOptions, 'drainTimeoutMs' | 'forceAfterMs'>,
): NodeWork {
  const refusedNote = refused.length > 0 ? `; refused: ${refused.join('; ')}` : '';
  const forcing = options.forceAfterMs !== undefined && elapsedMs > options.forceAfterMs;
  if (elapsedMs > options.drainTimeoutMs)
    return {
      ...drain,
      state: 'stuck',
      note: `draining since ${since}, past the drain timeout: left cordoned${refusedNote}`,
      recordStuck: 'cordoned',
    };
  if (refused.length > 0)
    return {
      ...drain,
      state: 'blocked',
      note: `draining since ${since}${refusedNote}`,
      evictOthers: true,
      ...(forcing ? { force: true } : {}),
    };
  if (forcing)
    return {
      ...drain,
      state: 'continue',
      note: `draining since ${since}, past --force-after: deleting the remaining pods`,
      force: true,
    };
  return { ...drain, state: 'continue', note: `draining since ${since}` };
}
