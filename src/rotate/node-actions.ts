// The actions for one node's work, each with the exact API call (or, for kops, the command an
// operator runs where the state store is). Order matters and is the order of execution: the
// actuator's own call first and the progress record after it, so an interruption between the
// two repeats an idempotent call instead of recording work that never happened. How a node is
// started is its actuator's (actuators/, one file each, selected in actuators/index.ts); what
// every drain shares is here: a drain finishes only in a later step whose fresh pod list shows
// nothing left but skipped pods (the evicted pods are gone, not just terminating); past
// --force-after the remaining evictable pods are deleted instead of evicted — a refused pod
// never is (drain-rules.ts). A pod already terminating is never evicted or deleted again.

import { drainFinished } from './drain-rules.js';
import type { NodeWork, RotateAction } from './rotate-types.js';
import { actuatorDef, finishDrain, type NodeContext, type StartPlan } from './actuators/index.js';
import { deletions, evictions, recordCall } from './actuators/calls.js';
import { inPlaceActions } from './actuators/in-place.js';

export type { NodeContext } from './actuators/index.js';
export { kopsCommand, KOPS_NEEDS_UPDATE, machinesOf, CAPI_REMEDIATE } from './actuators/index.js';

/** what a node's work does this step: actions, or (a start only) why its actuator refuses */
export function nodePlan(work: NodeWork, ctx: NodeContext): StartPlan {
  const name = ctx.node.name;
  if (work.state === 'stuck' && work.recordStuck !== undefined)
    return {
      actions: [
        {
          node: name,
          step: 'record-stuck',
          summary: `record the node stuck (${work.recordStuck} past its timeout): reported, not retried`,
          call: recordCall(ctx, 'stuck', work.recordStuck),
        },
      ],
    };
  if (work.actuator === 'in-place')
    return {
      actions: inPlaceActions(work, {
        node: ctx.node,
        jobs: ctx.jobs ?? [],
        planId: ctx.planId,
        now: ctx.now,
        settings: ctx.options.inPlace,
        perNodeMs: ctx.perNodeMs ?? 20 * 60_000,
      }),
    };
  if (work.state === 'blocked' && work.evictOthers === true)
    return { actions: work.force === true ? deletions(ctx) : evictions(ctx) };
  if (work.state === 'continue') {
    // Finished only when a fresh list shows nothing left but skipped pods: terminating pods are
    // waited for, and a refused pod keeps the node unfinished (blocked) for a person to decide.
    if (drainFinished(ctx.pods, name, ctx.options)) return { actions: [finishDrain(ctx)] };
    return { actions: work.force === true ? deletions(ctx) : evictions(ctx) };
  }
  if (work.state !== 'start') return { actions: [] };
  return actuatorDef(work.actuator).start(ctx);
}

/** actions for a node in state `start` or `continue`, or stuck by a timeout; others have none */
export function nodeActions(work: NodeWork, ctx: NodeContext): RotateAction[] {
  const p = nodePlan(work, ctx);
  return 'actions' in p ? p.actions : [];
}
