// Output shown in the docs is produced by a test, so it cannot go stale: the fenced block right
// after a `<!-- output: NAME -->` line is compared with what the test printed (after `normalise`
// replaced what differs per run); UPDATE_GOLDEN=1 rewrites the block. test/e2e/docs.test.ts
// checks that every such marker is claimed by a test.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { REPO } from './scan.js';

/** The block after the marker: where its text starts and ends in the document. */
function findBlock(doc: string, name: string): { start: number; end: number } {
  const marker = `<!-- output: ${name} -->\n`;
  const at = doc.indexOf(marker);
  assert.ok(at >= 0, `no "${marker.trim()}" in the document`);
  // the fence follows the marker, after the blank line Prettier puts there
  const open = /^\n*```[a-z]*\n/.exec(doc.slice(at + marker.length));
  assert.ok(open, `"${marker.trim()}" must be followed by a fenced block`);
  const start = at + marker.length + open[0].length;
  const end = doc.indexOf('\n```', start - 1);
  assert.ok(end >= start - 1, `the block after "${marker.trim()}" is not closed`);
  return { start, end: end + 1 };
}

export function assertDocExample(file: string, name: string, actual: string): void {
  const path = `${REPO}${file}`;
  const doc = readFileSync(path, 'utf8');
  const { start, end } = findBlock(doc, name);
  const text = actual.endsWith('\n') ? actual : `${actual}\n`;
  if (process.env.UPDATE_GOLDEN === '1') {
    writeFileSync(path, doc.slice(0, start) + text + doc.slice(end));
    return;
  }
  assert.equal(
    doc.slice(start, end),
    text,
    `${file} (${name}) differs from the output (UPDATE_GOLDEN=1 to accept)`,
  );
}

/**
 * What differs per run, made stable: each distinct value a pattern matches becomes
 * `<label-1>`, `<label-2>` … in order of appearance (or just `<label>` when `same`: values
 * that may or may not coincide in a run, like times, must not change the numbering);
 * `paths` (temp dirs) become `…`.
 */
export function normaliseRun(
  text: string,
  opts: { paths?: string[]; patterns?: { re: RegExp; label: string; same?: boolean }[] },
): string {
  let out = text;
  for (const p of [...(opts.paths ?? [])].sort((a, b) => b.length - a.length))
    out = out.split(p).join('…');
  for (const { re, label, same } of opts.patterns ?? []) {
    const seen = new Map<string, string>();
    out = out.replace(re, (m) => {
      if (same === true) return `<${label}>`;
      let v = seen.get(m);
      if (v === undefined) {
        v = `<${label}-${seen.size + 1}>`;
        seen.set(m, v);
      }
      return v;
    });
  }
  return out;
}
