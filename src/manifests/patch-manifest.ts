// Surgical edits of YAML text: a scalar is replaced where it stands, a missing key is added as a
// new line in its block mapping. Everything else — comments, order, quoting, indentation — stays
// byte for byte. The result is re-parsed and must equal the original with exactly the intended
// changes, or the patch is refused. Pure; never throws.

import { isMap, isScalar, parseAllDocuments, type Document, type Node, type Pair } from 'yaml';
import type { YamlPath } from './read-manifests.js';

export interface SetOp {
  /** document index in a multi-document file */
  doc: number;
  path: YamlPath;
  value: string;
}

export type PatchResult = { ok: true; text: string } | { ok: false; message: string };

interface Edit {
  at: number;
  end: number;
  text: string;
}

const PLAIN = /^[A-Za-z0-9_./@:-]+$/;

function scalarText(v: string): string {
  return PLAIN.test(v) && !/^(true|false|null|~|\d)/i.test(v) ? v : JSON.stringify(v);
}

function editFor(doc: Document, text: string, op: SetOp): Edit | string {
  const node = doc.getIn(op.path, true) as Node | undefined;
  if (node !== undefined) {
    if (!isScalar(node) || !node.range) return `${op.path.join('.')} is not a scalar`;
    return { at: node.range[0], end: node.range[1], text: scalarText(op.value) };
  }
  const parent = doc.getIn(op.path.slice(0, -1), true);
  const key = op.path[op.path.length - 1];
  if (!isMap(parent) || parent.flow || typeof key !== 'string')
    return `cannot add ${op.path.join('.')}: its parent is not a block mapping`;
  const pairs = parent.items as Pair<Node, Node | null>[];
  const firstKey = pairs[0]?.key;
  const last = pairs[pairs.length - 1];
  const lastNode = last?.value ?? last?.key;
  if (!firstKey?.range || !lastNode?.range) return `cannot add ${op.path.join('.')}: empty mapping`;
  const lineStart = text.lastIndexOf('\n', firstKey.range[0] - 1) + 1;
  const indent = firstKey.range[0] - lineStart;
  // A "- key: v" item: its first key sits after the dash; new keys align with it.
  const eol = text.indexOf('\n', Math.max(lastNode.range[1] - 1, 0));
  const at = eol < 0 ? text.length : eol;
  return { at, end: at, text: `\n${' '.repeat(indent)}${key}: ${scalarText(op.value)}` };
}

export function patchManifest(text: string, ops: readonly SetOp[]): PatchResult {
  try {
    const docs = parseAllDocuments(text, { keepSourceTokens: true }) as Document[];
    if (docs.some((d) => d.errors.length > 0))
      return { ok: false, message: 'the file is not valid YAML' };
    const edits: Edit[] = [];
    for (const op of ops) {
      const doc = docs[op.doc];
      if (!doc) return { ok: false, message: `no document ${op.doc}` };
      const e = editFor(doc, text, op);
      if (typeof e === 'string') return { ok: false, message: e };
      edits.push(e);
    }
    edits.sort((a, b) => b.at - a.at);
    let out = text;
    for (const e of edits) out = out.slice(0, e.at) + e.text + out.slice(e.end);
    // Verify: the new text parses to the old documents with exactly these values set.
    const after = parseAllDocuments(out) as Document[];
    if (after.length !== docs.length || after.some((d) => d.errors.length > 0))
      return { ok: false, message: 'the patched text does not parse' };
    for (const [i, d] of docs.entries()) {
      const expected = d.clone();
      for (const op of ops) if (op.doc === i) expected.setIn(op.path, op.value);
      if (JSON.stringify(expected.toJS()) !== JSON.stringify(after[i]?.toJS())) {
        return { ok: false, message: `document ${i} would change more than intended` };
      }
    }
    return { ok: true, text: out };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}
