// Strict reading of a small YAML document for read-policy.ts: mappings with only the allowed
// keys, durations, counts or percentages — each problem recorded with its key and line, never
// thrown, so one typo never hides another.

import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { parseDuration } from '../model/duration.js';
import type { IntOrPercent } from './plan-policy.js';

export interface PolicyProblem {
  line: number | null;
  key: string;
  message: string;
}

export type Entries = { key: string; node: Node | null; line: number | null }[];

/** How a node is named in a problem: its value, or what it is. */
export function show(node: Node | null | undefined): string {
  if (isScalar(node)) return node.value === undefined ? 'nothing' : JSON.stringify(node.value);
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  return 'nothing';
}

export function scalarText(node: Node | null): string | null {
  return isScalar(node) && typeof node.value === 'string' ? node.value : null;
}

/** One YAML document and the problems found in it, in the order they were found. */
export class StrictYaml {
  readonly problems: PolicyProblem[] = [];
  /** the document's root node; undefined when the YAML itself did not parse */
  readonly root: Node | null | undefined;
  private readonly lines = new LineCounter();

  constructor(text: string) {
    const doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false });
    for (const e of doc.errors)
      this.problems.push({
        key: '',
        line: e.linePos?.[0].line ?? this.lines.linePos(e.pos[0]).line,
        message: e.message.split('\n')[0] ?? '',
      });
    this.root = doc.errors.length > 0 ? undefined : doc.contents;
  }

  lineOf(n: Node | null | undefined): number | null {
    return n?.range ? this.lines.linePos(n.range[0]).line : null;
  }

  fail(key: string, node: Node | null | undefined, message: string): void {
    this.problems.push({ key, line: this.lineOf(node), message });
  }

  /** The pairs of a mapping at `path`; keys not in `allowed` (null: any) are problems. */
  entriesOf(node: Node | null, path: string, allowed: string[] | null): Entries {
    if (!isMap(node)) {
      this.fail(path, node, 'expected a mapping of keys to values');
      return [];
    }
    const out: Entries = [];
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : '';
      const full = path === '' ? key : `${path}.${key}`;
      if (allowed && !allowed.includes(key))
        this.fail(full, keyNode, `unknown key (expected one of: ${allowed.join(', ')})`);
      else out.push({ key, node: (pair.value as Node | null) ?? null, line: this.lineOf(keyNode) });
    }
    return out;
  }

  /** A duration of at least `min` ms, or null (and a problem). */
  duration(path: string, node: Node | null, min: number): number | null {
    const text = scalarText(node);
    const ms = text === null ? null : parseDuration(text);
    if (ms === null)
      this.fail(path, node, `expected a duration like 20m, 12h or 14d, got ${show(node)}`);
    else if (ms < min) this.fail(path, node, `must be more than zero, got ${show(node)}`);
    return ms !== null && ms >= min ? ms : null;
  }

  /** A whole number ≥ 0 or a percentage ≤ 100%, or null (and a problem). */
  intOrPercent(path: string, node: Node | null): IntOrPercent | null {
    const v = isScalar(node) ? node.value : undefined;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return { count: v };
    const m = typeof v === 'string' ? /^(\d{1,3})%$/.exec(v) : null;
    if (m && Number(m[1]) <= 100) return { percent: Number(m[1]) };
    this.fail(
      path,
      node,
      `expected a whole number ≥ 0 or a percentage like 25%, got ${show(node)}`,
    );
    return null;
  }
}
