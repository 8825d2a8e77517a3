// The actions for one node's work, each with the exact API call (or, for kops, the command an
// operator runs where the state store is). Order matters and is the order of execution. The
// progress record lives in the rotation state object (rotation-state.ts), written with the
// record it expects to replace. Every actuator records first and calls after (issue #21 review
// finding 6): a disruptive call without a record would take no slot. A drain's record without
// its cordon is finished by the next step, which cordons again before evicting; a hand-over's
// record without its call (kops, Cluster API, Karpenter) is in flight (it holds its slot) and the
// call is repeated while the tool shows no sign of it (repeatHandOver: an idempotent mark or
// delete). In-place adopts its Job (actuators/in-place.ts). How a node is
// started is its actuator's (actuators/, one file each, selected in actuators/index.ts); what
// every drain shares is here: a drain finishes only in a later step whose fresh pod list shows
// nothing left but skipped pods (the evicted pods are gone, not just terminating); past
// --force-after the remaining evictable pods are deleted instead of evicted — a refused pod
// never is (drain-rules.ts). A pod already terminating is never evicted or deleted again.

import { drainFinished, refusedPods } from './drain-rules.js';
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
  if (work.state === 'waiting-replacement' && work.actuator !== 'drain')
    return { actions: repeatHandOver(work, ctx) };
  if (work.state !== 'start') return { actions: [] };
  return actuatorDef(work.actuator).start(ctx);
}

/**
 * A hand-over is recorded before its call (a crash between leaves the record alone): while the
 * node is here and its tool shows no sign of the call (no kops mark, no remediating or deleting
 * Machine, no deleting NodeClaim — the actuator's start then plans the call again), the call is
 * repeated; it is idempotent. Never on a node recreated under the name, never while the node
 * holds pods the drain rules refuse, never when the actuator now refuses, and never the record
 * again.
 */
function repeatHandOver(work: NodeWork, ctx: NodeContext): RotateAction[] {
  // Only on the node the record was written for (same name and UID: a trusted record): a node
  // recreated under the name (a reused IP-based name, a replacement while the group is short) is
  // a new machine, never handed over again by an old record.
  if (ctx.record === null) return [];
  if (refusedPods(ctx.pods, ctx.node.name, ctx.options).length > 0) return [];
  const p = actuatorDef(work.actuator).start(ctx);
  return 'refused' in p ? [] : p.actions.filter((a) => a.state === undefined);
}

/** actions for a node in state `start` or `continue`, or stuck by a timeout; others have none */
export function nodeActions(work: NodeWork, ctx: NodeContext): RotateAction[] {
  const p = nodePlan(work, ctx);
  return 'actions' in p ? p.actions : [];
}
