// The kops actuator: mark the node `kops.k8s.io/needs-update`, then record it handed over in the
// rotation state object (an already-marked node — an interrupted run, or anyone — gets only its
// record: the decision to hand it over is this step's); one `kops rolling-update cluster --instance-group G` per group is printed for where the
// state store is (plan-step.ts). kops drains, surges (maxSurge) and validates the cluster itself.
// Finished when the Node is gone and the group is back to its size. The node is cordoned right
// after the record and before the mark (issue 21 finding 5): pods checked by this step are the
// only ones kops' drain will meet.

import type { RotateOptions } from '../rotate-types.js';
import type { ActuatorDef } from './actuator.js';
import { cordonIfNeeded, handedOver, MERGE, nodePath } from './calls.js';

export const KOPS_NEEDS_UPDATE = 'kops.k8s.io/needs-update';

export function kopsCommand(group: string, options: RotateOptions): string {
  const ig = group.slice(group.indexOf('/') + 1);
  const name = options.kopsCluster ?? '"$KOPS_CLUSTER_NAME"';
  return `kops rolling-update cluster --name ${name} --instance-group ${ig} --yes`;
}

export const kopsActuator: ActuatorDef = {
  name: 'kops',
  surges: true,
  finishedWhen: 'node-gone',
  needs: [],
  start(ctx) {
    const name = ctx.node.name;
    // Already marked: the same value would be written again; only the record (and the cordon,
    // idempotent) may be missing.
    if (ctx.node.annotations[KOPS_NEEDS_UPDATE] !== undefined)
      return { actions: [handedOver(ctx), ...cordonIfNeeded(ctx)] };
    return {
      actions: [
        // recorded first: a crash after the record leaves work in flight, never a call unrecorded
        handedOver(ctx),
        // then cordoned, before the mark: kops drains with its own flags, so no pod may land on
        // the node after this step listed its pods (the node already counts unavailable)
        ...cordonIfNeeded(ctx),
        {
          node: name,
          step: 'kops-annotate',
          summary: `mark the node for kops rolling-update (${KOPS_NEEDS_UPDATE})`,
          call: {
            method: 'PATCH',
            path: nodePath(name),
            body: {
              metadata: { annotations: { [KOPS_NEEDS_UPDATE]: '' } },
            },
            contentType: MERGE,
          },
        },
      ],
    };
  },
};
