// fix/: what `certdrift fix` does — the pure plan (fix-plan.ts), the steps planned on what the
// node holds (plan-steps.ts), carrying them out (apply-fix.ts), the text (render-fix.ts), and the
// ports the machine is reached through (ports.ts).

export { planFixes, type FixAction, type PlanInput } from './fix-plan.js';
export {
  planFixSteps,
  type FixPlan,
  type FixSettings,
  type PlannedWrite,
  type Step,
  type StepStatus,
} from './plan-steps.js';
export { applyFixPlan } from './apply-fix.js';
export { describeAction, renderFixSteps } from './render-fix.js';
export type {
  ContainerControl,
  FileState,
  FixEdges,
  ManifestEntry,
  ManifestFiles,
  ManifestSnapshot,
} from './ports.js';
