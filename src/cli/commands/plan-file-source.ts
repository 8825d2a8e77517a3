// The offline FleetSource: `kubectl get nodes -o json|yaml`, `kubectl get nodecertificatereports
// -o json|yaml` and `certdrift scan -o json` files. Reads and decodes here; the mapping to our
// own types is the pure parse-*.ts the cluster source will share.

import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import type { CertificateFacts, Fleet, FleetSource, InputProblem } from '../../fleet/fleet.js';
import { parseNodeList } from '../../fleet/parse-node-list.js';
import { parseReportList, parseScanDocument } from '../../fleet/parse-certificate-facts.js';
import { OperationalError } from '../errors.js';

export interface FileSourceOptions {
  nodes: string;
  reports: string[];
  /** `FILE` or `NODE=FILE` */
  scans: string[];
}

/**
 * The largest input file plan reads: JavaScript strings end at about 512 MiB, and a kubectl
 * node list of 200,000 nodes printed compactly (`-o json | jq -c`) stays well below it.
 */
export const MAX_INPUT_BYTES = 384 * 1024 * 1024;

/** JSON, else YAML (loaded only then: most input is JSON and `yaml` costs start-up time) */
async function readDocument(path: string): Promise<unknown> {
  let text: string;
  try {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size > MAX_INPUT_BYTES)
        throw new OperationalError(
          `${path}: ${size} bytes, over the ${MAX_INPUT_BYTES}-byte input limit (print it compactly, e.g. \`kubectl get nodes -o json | jq -c\`, or plan a part of the fleet with a label selector)`,
        );
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if (err instanceof OperationalError) throw err;
    throw new OperationalError(`${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
      cause: err,
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const { parse } = await import('yaml');
    try {
      return parse(text, { maxAliasCount: 100 }) as unknown;
    } catch (err) {
      throw new OperationalError(
        `${path}: neither JSON nor YAML (${(err as Error).message.split('\n')[0] ?? ''})`,
      );
    }
  }
}

/** `NODE=FILE` when the part before `=` looks like a node name (no `/`); else a plain file */
export function splitScanArgument(arg: string): { node: string | null; file: string } {
  const m = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)=(.+)$/i.exec(arg);
  return m ? { node: m[1] ?? null, file: m[3] ?? arg } : { node: null, file: arg };
}

/** Which flag takes a document of this kind, when it is one plan reads but not a node list. */
const OTHER_INPUT: Readonly<Record<string, string>> = {
  NodeCertificateReport: '--reports',
  NodeCertificateReportList: '--reports',
  NodeScan: '--scan',
};

/**
 * A `--nodes` document with items none of which is a Node (a report list, say) is a mistake to
 * stop at: planning it would say "0 nodes" and exit 0. The kind of its first item or its own
 * kind names the flag it belongs to. An empty list is a fleet of none, not a mistake.
 */
function notANodeList(doc: unknown, path: string): OperationalError | undefined {
  const obj = doc !== null && typeof doc === 'object' ? (doc as Record<string, unknown>) : {};
  const items = Array.isArray(obj.items) ? (obj.items as unknown[]) : [];
  const first: unknown = items[0];
  const itemKind =
    first !== null && typeof first === 'object' ? (first as { kind?: unknown }).kind : undefined;
  const kind = typeof obj.kind === 'string' && obj.kind !== 'List' ? obj.kind : itemKind;
  const flag = typeof kind === 'string' ? OTHER_INPUT[kind] : undefined;
  if (items.length === 0 && flag === undefined) return undefined;
  return new OperationalError(
    `${path}: not a list of Nodes${typeof kind === 'string' ? ` (kind ${JSON.stringify(kind)})` : ''}: --nodes takes \`kubectl get nodes -o json\`${flag ? `; give this file as ${flag}` : ''}`,
  );
}

/**
 * The `nodeName` that `certdrift scan` records (`--node-name`, else $NODE_NAME or the host name).
 * Only a fallback: the kubelet client certificate's CN is the node's identity to the cluster.
 */
function recordedNodeName(doc: unknown): string | null {
  const recorded =
    doc !== null && typeof doc === 'object' ? (doc as { nodeName?: unknown }).nodeName : undefined;
  return typeof recorded === 'string' && recorded !== '' && recorded.length <= 253
    ? recorded
    : null;
}

export function fileFleetSource(opts: FileSourceOptions): FleetSource {
  return {
    describe: () => [
      `nodes: ${opts.nodes}`,
      ...opts.reports.map((r) => `reports: ${r}`),
      ...opts.scans.map((s) => `scan: ${s}`),
    ],
    async load(): Promise<Fleet> {
      const problems: InputProblem[] = [];
      const nodeDoc = await readDocument(opts.nodes);
      const parsed = parseNodeList(nodeDoc, opts.nodes);
      if (
        parsed.nodes.length === 0 &&
        parsed.problems.length > 0 &&
        !Array.isArray((nodeDoc as { items?: unknown } | null)?.items)
      )
        throw (
          notANodeList(nodeDoc, opts.nodes) ??
          new OperationalError(`${opts.nodes}: ${parsed.problems[0]?.message ?? 'no nodes'}`)
        );
      if (parsed.nodes.length === 0) {
        const mistake = notANodeList(nodeDoc, opts.nodes);
        if (mistake) throw mistake;
      }
      for (const p of parsed.problems) problems.push(p);
      const facts: CertificateFacts[] = [];
      for (const file of opts.reports) {
        const r = parseReportList(await readDocument(file), file);
        // loops, not push(...spread): a spread of 200,000 items overflows the call stack
        for (const f of r.facts) facts.push(f);
        for (const p of r.problems) problems.push(p);
      }
      for (const arg of opts.scans) {
        const { node, file } = splitScanArgument(arg);
        const doc = await readDocument(file);
        let r = parseScanDocument(doc, file, node);
        // no NODE= and no kubelet client certificate to name the node: the name the scan recorded
        const recorded = node === null && r.facts.length === 0 ? recordedNodeName(doc) : null;
        if (recorded !== null) r = parseScanDocument(doc, file, recorded);
        // loops, not push(...spread): a spread of 200,000 items overflows the call stack
        for (const f of r.facts) facts.push(f);
        for (const p of r.problems) problems.push(p);
      }
      const known = new Set(parsed.nodes.map((n) => n.name));
      for (const f of facts)
        if (!known.has(f.node))
          problems.push({
            source: f.source === 'report' ? 'reports' : 'scan',
            message: `certificate facts for ${JSON.stringify(f.node)}, which is not in the node list: ignored`,
          });
      return { nodes: parsed.nodes, facts, problems };
    },
  };
}
