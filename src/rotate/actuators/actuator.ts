// The one interface every actuator (a way `certdrift rotate` replaces a node) implements, and
// what an actuator is given. An actuator says three things, purely: the calls that start a node
// (`start`), how a node it was handed is known to be finished (`finishedWhen`), and what it
// refuses (`start` answers `{ refused }` with the reason a person reads). What every drain-like
// step shares — continuing, blocking, recording stuck — stays in node-actions.ts; the registry
// (index.ts) is the one place an actuator is selected. Adding an actuator = adding one file here
// and its line in the registry.

import type {
  Actuator,
  LiveMachine,
  LiveMachineHealthCheck,
  LiveNode,
  LiveNodeClaim,
  LivePod,
  RotateAction,
  RotateOptions,
} from '../rotate-types.js';
import type { RecordContext } from './calls.js';
import type { LiveJob } from './in-place.js';

export interface NodeContext extends RecordContext {
  node: LiveNode;
  /** the pods bound to this node (drains only) */
  pods: readonly LivePod[];
  /** NodeClaims (Karpenter only) */
  nodeClaims: readonly LiveNodeClaim[];
  /** every live node (Karpenter: a providerID two Nodes claim is nobody's); absent: this one */
  nodes?: readonly LiveNode[];
  /** Cluster API Machines (capi only) */
  machines: readonly LiveMachine[];
  /** Cluster API MachineHealthChecks and paused Clusters (capi only) */
  healthChecks?: readonly LiveMachineHealthCheck[];
  /** `namespace/name` of the Cluster API Clusters that are paused (spec.paused or annotation) */
  pausedClusters?: readonly string[];
  options: RotateOptions;
  /** the Jobs in the rotator's namespace (in-place only) */
  jobs?: readonly LiveJob[];
  /** the group's perNode time: the in-place Job's deadline */
  perNodeMs?: number;
  /** the node's NodeCertificateReport deadline (in-place: the renewal's second witness) */
  reportDeadline?: Date | null;
}

export type StartPlan = { actions: RotateAction[] } | { refused: string };

/**
 * How a node handed to the actuator is known finished:
 *  - `drained`: its drain finished (the node stays, cordoned, recorded drained);
 *  - `node-gone`: its Node object is gone and its group is back to its size (kops, Cluster API);
 *  - `claim-gone`: its NodeClaim is gone and no pod that ran on it is left Pending (Karpenter
 *    does not replace a deleted NodeClaim one for one: a node count would wait forever);
 *  - `job-complete`: its renew Job completed (in-place: the node stays, renewed and proven).
 */
export type FinishedWhen = 'drained' | 'node-gone' | 'claim-gone' | 'job-complete';

export interface ActuatorDef {
  name: Actuator;
  /** adds capacity before it removes (only kops' maxSurge): others take a node out first */
  surges: boolean;
  finishedWhen: FinishedWhen;
  /** what it needs listed besides the nodes */
  needs: readonly ('pods' | 'nodeClaims' | 'machines')[];
  /** the calls that start the node, in order, or why it refuses to */
  start(ctx: NodeContext): StartPlan;
}
