// The actions for one node's work, each with the exact API call (or, for kops, the command an
// operator runs where the state store is). Order matters and is the order of execution. The
// progress record lives in the rotation state object (rotation-state.ts), written with the
// record it expects to replace. kops, Cluster API, Karpenter and in-place: the actuator's own
// call first and the record after it, so an interruption between the two repeats an idempotent
// call (an already-marked node or Machine, a deleting NodeClaim, an adopted Job is recognised)
// instead of recording work that never happened. A drain records first and cordons after: a
// cordon without a record would read as someone else's cordon (left alone), while a record
// without a cordon is finished by the next step, which cordons again before evicting. How a node is
// started is its actuator's (actuators/, one file each, selected in actuators/index.ts); what
// every drain shares is here: a drain finishes only in a later step whose fresh pod list shows
// nothing left but skipped pods (the evicted pods are gone, not just terminating); past
// --force-after the remaining evictable pods are deleted instead of evicted — a refused pod
// never is (drain-rules.ts). A pod already terminating is never evicted or deleted again.

import { drainFinished } from './drain-rules.js';
import type { NodeWork, RotateAction } from './rotate-types.js';
import { actuatorDef, finishDrain, type NodeContext, type StartPlan } from './actuators/index.js';
import { cordon, deletions, evictions, recordAction } from './actuators/calls.js';
import { inPlaceActions } from './actuators/in-place.js';

export type { NodeContext } from './actuators/index.js';
export { kopsCommand, KOPS_NEEDS_UPDATE, machinesOf, CAPI_REMEDIATE } from './actuators/index.js';

/** what a node's work does this step: actions, or (a start only) why its actuator refuses */
export function nodePlan(work: NodeWork, ctx: NodeContext): StartPlan {
  const name = ctx.node.name;
  if (work.state === 'stuck' && work.recordStuck !== undefined)
    return {
      actions: [
        recordAction(
          ctx,
          'record-stuck',
          `record the node stuck (${work.recordStuck} past its timeout): reported, not retried`,
          'stuck',
          work.recordStuck,
        ),
      ],
    };
  if (work.actuator === 'in-place')
    return {
      actions: inPlaceActions(work, {
        ...ctx,
        jobs: ctx.jobs ?? [],
        settings: ctx.options.inPlace,
        perNodeMs: ctx.perNodeMs ?? 20 * 60_000,
      }),
    };
  if (work.state === 'blocked' && work.evictOthers === true)
    return { actions: work.force === true ? deletions(ctx) : evictions(ctx) };
  if (work.state === 'continue') {
    // Finished only when a fresh list shows nothing left but skipped pods: terminating pods are
    // waited for, and a refused pod keeps the node unfinished (blocked) for a person to decide.
    // Recorded but not cordoned (interrupted between the two): cordon before evicting.
    const again = ctx.node.unschedulable ? [] : [cordon(ctx)];
    if (drainFinished(ctx.pods, name, ctx.options))
      return { actions: [...again, finishDrain(ctx)] };
    return { actions: [...again, ...(work.force === true ? deletions(ctx) : evictions(ctx))] };
  }
  if (work.state !== 'start') return { actions: [] };
  return actuatorDef(work.actuator).start(ctx);
}

/** actions for a node in state `start` or `continue`, or stuck by a timeout; others have none */
export function nodeActions(work: NodeWork, ctx: NodeContext): RotateAction[] {
  const p = nodePlan(work, ctx);
  return 'actions' in p ? p.actions : [];
}
