// Walking a parsed YAML document by path with aliases resolved at every step: `path: *kc` is
// the anchored scalar `&kc /var/lib/kube-proxy/kubeconfig`, wherever it was defined. Analysis
// sees the value; a patch edits the node where the anchor is defined (and is verified against
// every other use of that anchor). Pure; never throws.

import { isAlias, isMap, isScalar, isSeq, type Document, type Node } from 'yaml';

export type YamlPath = (string | number)[];

/** The node at `path`, following aliases; undefined when absent or an alias cannot resolve. */
export function nodeAt(doc: Document, path: YamlPath): Node | undefined {
  let cur: unknown = doc.contents;
  for (const key of path) {
    cur = deref(doc, cur);
    if (isMap(cur)) {
      const pair = cur.items.find((p) => {
        const k = deref(doc, p.key);
        return isScalar(k) ? String(k.value) === String(key) : k === key;
      });
      cur = pair?.value ?? undefined;
    } else if (isSeq(cur) && typeof key === 'number') {
      cur = cur.items[key];
    } else return undefined;
  }
  const node = deref(doc, cur);
  return node === null ? undefined : (node as Node | undefined);
}

/** Whether the value at `path` is written as an alias (or goes through one). */
export function throughAlias(doc: Document, path: YamlPath): boolean {
  let cur: unknown = doc.contents;
  for (const key of path) {
    if (isAlias(cur)) return true;
    if (isMap(cur)) {
      const pair = cur.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
      cur = pair?.value ?? undefined;
    } else if (isSeq(cur) && typeof key === 'number') cur = cur.items[key];
    else return false;
  }
  return isAlias(cur);
}

function deref(doc: Document, n: unknown): unknown {
  try {
    for (let hops = 0; isAlias(n) && hops < 64; hops++) n = n.resolve(doc);
    return isAlias(n) ? undefined : n;
  } catch {
    return undefined;
  }
}

export function stringAt(doc: Document, path: YamlPath): string | undefined {
  const n = nodeAt(doc, path);
  if (!isScalar(n)) return undefined;
  const v = n.value;
  return typeof v === 'string'
    ? v
    : typeof v === 'number' || typeof v === 'boolean'
      ? String(v)
      : undefined;
}

export function lengthAt(doc: Document, path: YamlPath): number {
  const n = nodeAt(doc, path);
  return isSeq(n) ? n.items.length : 0;
}

export function stringsAt(doc: Document, path: YamlPath): string[] {
  const n = nodeAt(doc, path);
  if (!isSeq(n)) return [];
  return n.items.map((_, i) => stringAt(doc, [...path, i]) ?? '');
}
