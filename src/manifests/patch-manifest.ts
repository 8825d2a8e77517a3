// Surgical edits of a manifest's bytes: a scalar is replaced where it stands (where its anchor is
// defined, when it is reached through an alias), a missing key is added in its mapping, a
// sequence item is removed with its lines. Every byte outside the edits stays as it was, whatever
// the encoding: UTF-8 is edited at byte offsets, anything else (a Latin-1 comment) is read one
// byte per character so it round-trips exactly. JSON stays JSON (quoted values, commas). The
// result is re-parsed and must equal the original with exactly the intended changes, and must
// pass the rules kubelet applies to a pod (pod-rules.ts), or the patch is refused. Pure; never
// throws.

import {
  isMap,
  isScalar,
  isSeq,
  parseAllDocuments,
  type Document,
  type Node,
  type Pair,
} from 'yaml';
import { checkPodRules } from './pod-rules.js';
import { nodeAt, type YamlPath } from './yaml-nodes.js';

export type PatchOp =
  | { doc: number; path: YamlPath; value: string; delete?: undefined }
  | { doc: number; path: YamlPath; delete: true };
/** @deprecated name kept for callers: every op is a PatchOp */
export type SetOp = PatchOp;

export type PatchResult =
  { ok: true; bytes: Uint8Array; text: string } | { ok: false; message: string };

interface Edit {
  at: number;
  end: number;
  text: string;
}

const PLAIN = /^[A-Za-z0-9_./@:-]+$/;

function scalarText(v: string, json: boolean): string {
  return !json && PLAIN.test(v) && !/^(true|false|null|~|\d)/i.test(v) ? v : JSON.stringify(v);
}

/** Text to parse and edit, and how to turn it back into bytes. */
function decode(
  bytes: Uint8Array,
): { text: string; latin1: boolean; encode: (s: string) => Uint8Array } | string {
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    return { text, latin1: false, encode: (s) => new TextEncoder().encode(s) };
  } catch {
    // Not UTF-8 (Latin-1, Windows-1252…): one char per byte, so offsets and bytes map 1:1.
    let text = '';
    for (const b of bytes) text += String.fromCharCode(b);
    return {
      text,
      latin1: true,
      encode: (s) => Uint8Array.from(s, (c) => c.charCodeAt(0)),
    };
  }
}

const lineStart = (text: string, at: number): number => text.lastIndexOf('\n', at - 1) + 1;

function deleteEdit(doc: Document, text: string, op: PatchOp): Edit | string {
  const parent = nodeAt(doc, op.path.slice(0, -1));
  const i = op.path[op.path.length - 1];
  if (!isSeq(parent) || typeof i !== 'number') return `${op.path.join('.')} is not a list item`;
  const items = parent.items as Node[];
  const cur = items[i];
  const prev = items[i - 1];
  const next = items[i + 1];
  if (!cur?.range) return `no item ${op.path.join('.')}`;
  if (parent.flow) {
    if (prev?.range) return { at: prev.range[1], end: cur.range[1], text: '' };
    if (next?.range) return { at: cur.range[0], end: next.range[0], text: '' };
    return { at: cur.range[0], end: cur.range[1], text: '' };
  }
  const at = lineStart(text, cur.range[0]);
  if (next?.range) return { at, end: lineStart(text, next.range[0]), text: '' };
  const eol = text.indexOf('\n', Math.max(cur.range[1] - 1, at));
  return { at, end: eol < 0 ? text.length : eol + 1, text: '' };
}

function setEdit(doc: Document, text: string, op: PatchOp, json: boolean): Edit | string {
  if (op.delete) return deleteEdit(doc, text, op);
  const node = nodeAt(doc, op.path);
  if (node !== undefined) {
    if (!isScalar(node) || !node.range) return `${op.path.join('.')} is not a scalar`;
    return { at: node.range[0], end: node.range[1], text: scalarText(op.value, json) };
  }
  const parent = nodeAt(doc, op.path.slice(0, -1));
  const key = op.path[op.path.length - 1];
  if (!isMap(parent) || typeof key !== 'string')
    return `cannot add ${op.path.join('.')}: its parent is not a mapping`;
  const pairs = parent.items as Pair<Node, Node | null>[];
  const last = pairs[pairs.length - 1];
  const lastNode = last?.value ?? last?.key;
  if (parent.flow) {
    if (!lastNode?.range) return `cannot add ${op.path.join('.')}: empty mapping`;
    const k = json ? JSON.stringify(key) : key;
    return {
      at: lastNode.range[1],
      end: lastNode.range[1],
      text: `, ${k}: ${scalarText(op.value, json)}`,
    };
  }
  const firstKey = pairs[0]?.key;
  if (!firstKey?.range || !lastNode?.range) return `cannot add ${op.path.join('.')}: empty mapping`;
  const indent = firstKey.range[0] - lineStart(text, firstKey.range[0]);
  // A "- key: v" item: its first key sits after the dash; new keys align with it.
  const eol = text.indexOf('\n', Math.max(lastNode.range[1] - 1, 0));
  const at = eol < 0 ? text.length : eol;
  return { at, end: at, text: `\n${' '.repeat(indent)}${key}: ${scalarText(op.value, json)}` };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The documents as they should read after `ops` (sets first, then deletes from the end). */
function expectedAfter(doc: Document, ops: readonly PatchOp[]): unknown {
  const d = doc.clone();
  // Aliases are compared by value: resolve them in the expectation as toJS() does.
  const js = d.toJS({ maxAliasCount: -1 }) as unknown;
  const set = (obj: unknown, path: YamlPath, v: string | undefined): void => {
    let cur = obj as Record<string | number, unknown>;
    for (const k of path.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
    const last = path[path.length - 1] as string | number;
    if (v === undefined && Array.isArray(cur)) cur.splice(last as number, 1);
    else cur[last] = v;
  };
  for (const op of ops) if (!op.delete) set(js, op.path, op.value);
  const deletes = ops
    .filter((op) => op.delete)
    .sort((a, b) => Number(b.path[b.path.length - 1]) - Number(a.path[a.path.length - 1]));
  for (const op of deletes) set(js, op.path, undefined);
  return js;
}

export function patchManifest(input: Uint8Array | string, ops: readonly PatchOp[]): PatchResult {
  try {
    const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
    const decoded = decode(bytes);
    if (typeof decoded === 'string') return { ok: false, message: decoded };
    const { text, encode } = decoded;
    const json = isJson(text);
    const parse = (t: string): Document[] => {
      const d = parseAllDocuments(t, { keepSourceTokens: true, logLevel: 'error' });
      return Array.isArray(d) ? d : [];
    };
    const docs = parse(text);
    if (docs.some((d) => d.errors.length > 0))
      return { ok: false, message: 'the file is not valid YAML' };
    const edits: Edit[] = [];
    for (const op of ops) {
      const doc = docs[op.doc];
      if (!doc) return { ok: false, message: `no document ${op.doc}` };
      const e = setEdit(doc, text, op, json);
      if (typeof e === 'string') return { ok: false, message: e };
      if (edits.some((x) => x.at === e.at && x.end === e.end && x.text === e.text)) continue;
      if (edits.some((x) => x.at < e.end && e.at < x.end))
        return { ok: false, message: `${op.path.join('.')}: overlapping edits` };
      edits.push(e);
    }
    edits.sort((a, b) => b.at - a.at || b.end - a.end);
    let out = text;
    for (const e of edits) out = out.slice(0, e.at) + e.text + out.slice(e.end);
    if (decoded.latin1 && edits.some((e) => /[^\x00-\xff]/.test(e.text)))
      return { ok: false, message: 'the file is not UTF-8 and the new value is not Latin-1' };
    const outBytes = encode(out);
    // Verify: the new text parses to the old documents with exactly these changes.
    if (json && !isJson(out)) return { ok: false, message: 'the patched JSON does not parse' };
    const after = parse(out);
    if (after.length !== docs.length || after.some((d) => d.errors.length > 0))
      return { ok: false, message: 'the patched text does not parse' };
    for (const [i, d] of docs.entries()) {
      const expected = expectedAfter(
        d,
        ops.filter((o) => o.doc === i),
      );
      const got = after[i]?.toJS({ maxAliasCount: -1 }) as unknown;
      if (JSON.stringify(expected) !== JSON.stringify(got)) {
        const alias = ops.some((o) => o.doc === i && !o.delete && aliased(d, o.path));
        return {
          ok: false,
          message: alias
            ? `document ${i}: a value to change is an alias whose anchor is also used elsewhere; edit the anchor by hand`
            : `document ${i} would change more than intended`,
        };
      }
      const broken = after[i] ? checkPodRules(after[i]) : [];
      if (broken.length > 0)
        return { ok: false, message: `the patched pod would be invalid: ${broken.join('; ')}` };
    }
    return { ok: true, bytes: outBytes, text: out };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}

function aliased(doc: Document, path: YamlPath): boolean {
  const n = nodeAt(doc, path);
  return isScalar(n) && n.anchor !== undefined;
}
