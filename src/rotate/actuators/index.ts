// The actuators, selected here and nowhere else: one file each behind one interface
// (actuator.ts). A new actuator is its file plus its line below and its name in `Actuator`
// (rotate-types.ts).

import type { Actuator } from '../rotate-types.js';
import type { ActuatorDef } from './actuator.js';
import { capiActuator } from './capi.js';
import { drainActuator } from './drain.js';
import { inPlaceActuator } from './in-place.js';
import { karpenterActuator } from './karpenter.js';
import { kopsActuator } from './kops.js';

export const ACTUATORS: Readonly<Record<Actuator, ActuatorDef>> = {
  kops: kopsActuator,
  capi: capiActuator,
  karpenter: karpenterActuator,
  drain: drainActuator,
  'in-place': inPlaceActuator,
};

export const ACTUATOR_NAMES = Object.keys(ACTUATORS) as Actuator[];

export function actuatorDef(name: Actuator): ActuatorDef {
  return ACTUATORS[name];
}

export type { ActuatorDef, FinishedWhen, NodeContext, StartPlan } from './actuator.js';
export { finishDrain } from './drain.js';
export { deleteNodeRefusal } from './delete-node.js';
export { machinesOf, CAPI_REMEDIATE } from './capi.js';
export { claimOf } from './karpenter.js';
export { capiRemediationRefusal, selectorMatches, healthChecksOf } from './capi-health-check.js';
export { kopsCommand, KOPS_NEEDS_UPDATE } from './kops.js';
