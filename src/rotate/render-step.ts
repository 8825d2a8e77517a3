// A rotation step for people (text, control characters escaped) and for programs (JSON). The
// text lists every action in execution order with the exact call: method, path, content type
// and body, or the command to run.

import { escapeTerminal } from '../model/escape.js';
import type { RotateStep } from './plan-step.js';
import type { RotateAction } from './rotate-types.js';
import { STATE_NAME, type StateChange } from './rotation-state.js';

export interface ActionOutcome {
  action: RotateAction;
  /** done; blocked: 429 from a PodDisruptionBudget (retried next step); skipped: an earlier action of the node did not finish */
  result: 'planned' | 'done' | 'already-done' | 'blocked' | 'skipped' | 'failed';
  message?: string;
}

function stateLine(c: StateChange): string {
  const parts = [
    ...c.records.map((r) => `${r.node}: ${r.next === null ? 'removed' : r.next.state}`),
    ...c.baselines.map(
      (b) => `baseline ${b.group}: ${b.next === null ? 'removed' : `${b.next.length} Ready`}`,
    ),
  ];
  return `PUT ConfigMap ${STATE_NAME} (resourceVersion-checked) ${parts.join(', ')}`;
}

function callLine(a: RotateAction): string {
  if (a.command !== undefined) return `$ ${a.command}`;
  if (a.state) return stateLine(a.state);
  if (!a.call) return '';
  const ct = a.call.contentType ? ` (${a.call.contentType})` : '';
  const body = a.call.body === undefined ? '' : ` ${JSON.stringify(a.call.body)}`;
  return `${a.call.method} ${a.call.path}${ct}${body}`;
}

export function renderStepText(
  step: RotateStep,
  outcomes: ActionOutcome[],
  applied: boolean,
): string {
  const lines: string[] = [
    `certdrift rotate: plan ${step.planId} at ${step.at.toISOString()}${applied ? '' : ' (dry run: nothing changed; --apply acts)'}`,
    '',
    'NODE  GROUP  ACTUATOR  STATE  NOTE',
  ];
  for (const w of step.work)
    lines.push(`${w.node}  ${w.group}  ${w.actuator}  ${w.state}  ${w.note}`);
  lines.push('', outcomes.length === 0 ? 'no actions this step' : 'ACTIONS (in order)');
  outcomes.forEach((o, i) => {
    const mark = o.result === 'planned' ? '' : ` [${o.result}${o.message ? `: ${o.message}` : ''}]`;
    lines.push(`${i + 1}. ${o.action.node}  ${o.action.step}: ${o.action.summary}${mark}`);
    lines.push(`   ${callLine(o.action)}`);
  });
  return lines.map(escapeTerminal).join('\n') + '\n';
}

export function stepDocument(
  step: RotateStep,
  outcomes: ActionOutcome[],
  applied: boolean,
): object {
  return {
    apiVersion: 'certdrift.io/v1alpha1',
    kind: 'RotationStep',
    planId: step.planId,
    at: step.at.toISOString(),
    applied,
    nodes: step.work,
    actions: outcomes.map((o) => ({
      node: o.action.node,
      step: o.action.step,
      summary: o.action.summary,
      ...(o.action.call ? { call: o.action.call } : {}),
      ...(o.action.command !== undefined ? { command: o.action.command } : {}),
      ...(o.action.state ? { state: o.action.state } : {}),
      result: o.result,
      ...(o.message !== undefined ? { message: o.message } : {}),
    })),
  };
}
