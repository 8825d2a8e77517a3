// certdrift rotate's pure core: which nodes to work on this step and the exact calls to make.
// The executor (src/adapters/kube/rotate-client.ts) and the command (src/cli/commands/rotate.ts) are
// the edges.

export * from './rotate-types.js';
export * from './rotation-record.js';
export * from './rotation-state.js';
export { isControlPlane, controlPlaneRemedy } from './control-plane.js';
export {
  chooseWork,
  actuatorOf,
  validateGroup,
  kcpKnob,
  heldOf,
  ledgerOf,
  ignoredAnnotations,
  DEFAULT_REPLACE_TIMEOUT_MS,
  type WorkInput,
} from './choose-work.js';
export { nodeActions, nodePlan, kopsCommand } from './node-actions.js';
export {
  ACTUATORS,
  ACTUATOR_NAMES,
  actuatorDef,
  capiRemediationRefusal,
  deleteNodeRefusal,
  selectorMatches,
  type ActuatorDef,
  type FinishedWhen,
  type NodeContext,
} from './actuators/index.js';
export { podVerdict, refusedPods, podsToEvict, drainFinished } from './drain-rules.js';
export { planStep, planIdOf, type StepInput, type RotateStep } from './plan-step.js';
export * from './lease/lease-decision.js';
export * from './render-step.js';
export {
  runStep,
  baselineOf,
  DISRUPTIVE,
  type RotateEdge,
  type StepSettings,
  type StepRun,
  type GateAnswer,
} from './run-step.js';
export * from './drive/drive.js';
export * from './drive/progress.js';
export * from './defer-query.js';
export * from './lease/lease-keeper.js';
export {
  rotateOnce,
  rotateWatch,
  rotateDrive,
  NotActingError,
  type RotatorDeps,
  type RotatorSettings,
  type RotatorEvent,
  type OnceResult,
  type DriveRunResult,
  type DriveTiming,
} from './drive/rotator.js';
