// The offline FleetSource: `kubectl get nodes -o json|yaml`, `kubectl get nodecertificatereports
// -o json|yaml` and `certdrift scan -o json` files. Reads and decodes here; the mapping to our
// own types is the pure parse-*.ts the cluster source will share.

import { readFileSync } from 'node:fs';
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

/** JSON, else YAML (loaded only then: most input is JSON and `yaml` costs start-up time) */
async function readDocument(path: string): Promise<unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
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
        throw new OperationalError(`${opts.nodes}: ${parsed.problems[0]?.message ?? 'no nodes'}`);
      problems.push(...parsed.problems);
      const facts: CertificateFacts[] = [];
      for (const file of opts.reports) {
        const r = parseReportList(await readDocument(file), file);
        facts.push(...r.facts);
        problems.push(...r.problems);
      }
      for (const arg of opts.scans) {
        const { node, file } = splitScanArgument(arg);
        const r = parseScanDocument(await readDocument(file), file, node);
        facts.push(...r.facts);
        problems.push(...r.problems);
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
