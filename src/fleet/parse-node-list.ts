// `kubectl get nodes -o json|yaml` (a v1 List or NodeList, or one Node) → FleetNode[].
// Pure and total: any input gives nodes and problems, never an exception; a malformed item is
// reported and skipped, the others still count.

import { groupOfNode } from './node-group.js';
import type { FleetNode, InputProblem } from './fleet.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseNodeList(
  doc: unknown,
  source: string,
): { nodes: FleetNode[]; problems: InputProblem[] } {
  const problems: InputProblem[] = [];
  const nodes: FleetNode[] = [];
  const items =
    isObj(doc) && Array.isArray(doc.items)
      ? doc.items
      : isObj(doc) && doc.kind === 'Node'
        ? [doc]
        : null;
  if (items === null) {
    problems.push({ source, message: 'expected a v1 List of Nodes (`kubectl get nodes -o json`)' });
    return { nodes, problems };
  }
  const seen = new Set<string>();
  items.forEach((item: unknown, i) => {
    const where = `${source}: items[${i}]`;
    if (!isObj(item) || (item.kind !== undefined && item.kind !== 'Node')) {
      problems.push({
        source: where,
        message: `not a Node (kind ${isObj(item) ? JSON.stringify(item.kind) : typeof item})`,
      });
      return;
    }
    const meta = isObj(item.metadata) ? item.metadata : {};
    const name = meta.name;
    if (typeof name !== 'string' || name === '') {
      problems.push({ source: where, message: 'Node without metadata.name' });
      return;
    }
    if (seen.has(name)) {
      problems.push({
        source: where,
        message: `Node ${JSON.stringify(name)} listed twice; the first is kept`,
      });
      return;
    }
    seen.add(name);
    const created =
      typeof meta.creationTimestamp === 'string' ? Date.parse(meta.creationTimestamp) : NaN;
    if (Number.isNaN(created))
      problems.push({
        source: where,
        message: `Node ${JSON.stringify(name)}: no readable creationTimestamp, so no age limit applies`,
      });
    nodes.push({
      name,
      // Only the few keys that name a group are read: no copy of every label (5,000 nodes × ~20).
      group: groupOfNode(
        isObj(meta.labels) ? meta.labels : {},
        isObj(meta.annotations) ? meta.annotations : {},
      ),
      createdAt: Number.isNaN(created) ? null : new Date(created),
    });
  });
  return { nodes, problems };
}
