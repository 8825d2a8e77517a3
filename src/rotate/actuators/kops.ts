// The kops actuator: mark the node `kops.k8s.io/needs-update` and record it handed over in one
// patch; one `kops rolling-update cluster --instance-group G` per group is printed for where the
// state store is (plan-step.ts). kops drains, surges (maxSurge) and validates the cluster itself.
// Finished when the Node is gone and the group is back to its size.

import { ROTATION_ANNOTATION } from '../rotation-record.js';
import type { RotateOptions } from '../rotate-types.js';
import type { ActuatorDef } from './actuator.js';
import { MERGE, nodePath, recordValue } from './calls.js';

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
    return {
      actions: [
        {
          node: name,
          step: 'kops-annotate',
          summary: `mark the node for kops rolling-update (${KOPS_NEEDS_UPDATE}) and record it handed over`,
          call: {
            method: 'PATCH',
            path: nodePath(name),
            body: {
              metadata: {
                annotations: {
                  [KOPS_NEEDS_UPDATE]: '',
                  [ROTATION_ANNOTATION]: recordValue(ctx, 'handed-over'),
                },
              },
            },
            contentType: MERGE,
          },
        },
      ],
    };
  },
};
