// certdrift rotate's pure core: which nodes to work on this step and the exact calls to make.
// The executor (src/cluster/rotate-client.ts) and the command (src/cli/commands/rotate.ts) are
// the edges.

export * from './rotate-types.js';
export * from './rotation-record.js';
export { chooseWork, actuatorOf, type WorkInput } from './choose-work.js';
export { nodeActions, evictablePods, kopsCommand } from './node-actions.js';
export { planStep, planIdOf, type StepInput, type RotateStep } from './plan-step.js';
export * from './lease-decision.js';
export * from './render-step.js';
export { runStep, type RotateEdge, type StepSettings, type StepRun } from './run-step.js';
export * from './lease-keeper.js';
export {
  rotateOnce,
  rotateWatch,
  NotActingError,
  type RotatorDeps,
  type RotatorSettings,
  type RotatorEvent,
  type OnceResult,
} from './rotator.js';
