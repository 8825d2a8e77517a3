// The plan or result of `certdrift fix` as text for a terminal: one numbered line per step with
// its status and detail, and, in a dry run, each manifest patch's diff. Every path, name and
// message is escaped here (they come from the node's files and the runtime).

import { escapeTerminal, escapeTerminalLines } from '../model/escape.js';
import type { FixAction } from './fix-plan.js';
import type { Step } from './plan-steps.js';

export function describeAction(a: FixAction): string {
  switch (a.kind) {
    case 'patch-manifest':
      return `patch ${a.file}: ${a.description} [${a.codes.join(', ')}]`;
    case 'by-hand':
      return `${a.file}: no safe automatic repair [${a.codes.join(', ')}]`;
    case 'recreate-container':
      return `recreate container ${a.namespace}/${a.pod}/${a.container} (attempt ${a.attempt}, ${a.containerId.slice(0, 13)}) [${a.reason}]`;
    case 'restart-host-process':
      return `restart host process ${a.name} (pid ${a.pid}) [${a.reason}] — by hand: systemctl restart ${a.name}`;
    case 'stop-duplicate':
      return `stop older duplicate ${a.namespace}/${a.pod}/${a.container} (attempt ${a.attempt}, ${a.containerId.slice(0, 13)}), keeping ${a.keep.slice(0, 13)} [${a.reason}]`;
    case 'remove-exited':
      return `remove EXITED ${a.namespace}/${a.pod}/${a.container} (attempt ${a.attempt}, ${a.containerId.slice(0, 13)}) [${a.reason}]`;
  }
}

/**
 * `apply`: the steps were carried out (no diffs: the log has before and after).
 * `uncheckedRoot`: no certificate was found under this host root, so an empty plan is no news
 * about the node (said the way scan says it).
 */
export function renderFixSteps(
  steps: readonly Step[],
  apply: boolean,
  problems: readonly { file: string; message: string }[],
  uncheckedRoot?: string,
): string {
  let text = '';
  for (const p of problems)
    text += `not read: ${escapeTerminal(p.file)}: ${escapeTerminal(p.message)}\n`;
  if (uncheckedRoot !== undefined)
    return (
      text +
      `Nothing checked: no certificates found under ${escapeTerminal(uncheckedRoot)}. Is this a Kubernetes node? Point --host-root at its root file system or add --path GLOB.\n`
    );
  if (steps.length === 0) return text + 'Nothing to fix.\n';
  text += apply ? 'FIX\n' : 'PLAN (dry run: nothing was changed; rerun with --apply)\n';
  steps.forEach((s, i) => {
    const target = s.target ? ` (a link to ${escapeTerminal(s.target)})` : '';
    text += `${i + 1}. [${s.status}] ${escapeTerminal(describeAction(s.action))}${target}${s.detail ? `\n   ${escapeTerminal(s.detail)}` : ''}\n`;
    if (s.diff && !apply) text += escapeTerminalLines(s.diff).replace(/^(?=.)/gm, '   ');
  });
  return text;
}
