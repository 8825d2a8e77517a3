// The YAML library reports oddities of the text it parses (a mapping key that is a collection…)
// through process.emitWarning. That text is a node's file content: data to report as an item
// error, never a line for a terminal or the agent's log (it may carry escape sequences, and it
// repeats on every scan). Warnings from the library are dropped; any other warning is still
// printed, escaped (model/escape.ts). Installed by the composition roots (main, the agent's scan worker).

import { escapeTerminal } from '../model/escape.js';

const FROM_YAML = /[\\/]node_modules[\\/]yaml[\\/]/;

export function silenceLibraryWarnings(): void {
  process.removeAllListeners('warning');
  process.on('warning', (w: Error) => {
    if (FROM_YAML.test(w.stack ?? '')) return;
    process.stderr.write(`(node:${process.pid}) ${w.name}: ${escapeTerminal(w.message)}\n`);
  });
}
