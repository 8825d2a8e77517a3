// The files knowledge sources of `certdrift attribute`: `scan -o json` documents (--scan) and
// ledgers (--ledger) read from disk. A file that cannot be read or is not such a document is a
// problem reported with the output; the other files still count.

import { readFile } from 'node:fs/promises';
import type { Knowledge, KnowledgeSource } from '../../attribute/knowledge.js';
import { knowledgeFromScan, type ScanKnowledge } from '../../attribute/from-scan.js';
import { knowledgeFromLedger } from '../../attribute/from-ledger.js';
import { readLedgerFile } from './ledger-file.js';

async function readJson(path: string): Promise<{ doc?: unknown; problem?: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    return { problem: `${path}: ${err instanceof Error ? err.message : String(err)}` };
  }
  try {
    return { doc: JSON.parse(text) as unknown };
  } catch (err) {
    return { problem: `${path}: not JSON (${err instanceof Error ? err.message : String(err)})` };
  }
}

export class ScanFilesSource implements KnowledgeSource {
  readonly name: string;
  constructor(private readonly paths: readonly string[]) {
    this.name = `scan ${paths.join(', ')}`;
  }

  async loadScans(): Promise<ScanKnowledge[]> {
    const out: ScanKnowledge[] = [];
    for (const p of this.paths) {
      const { doc, problem } = await readJson(p);
      if (problem !== undefined) {
        out.push({ known: [], node: '', problems: [problem] });
        continue;
      }
      out.push(knowledgeFromScan(doc, p));
    }
    return out;
  }

  async load(): Promise<Knowledge> {
    const scans = await this.loadScans();
    return { known: scans.flatMap((s) => s.known), problems: scans.flatMap((s) => s.problems) };
  }
}

export class LedgerFilesSource implements KnowledgeSource {
  readonly name: string;
  constructor(private readonly paths: readonly string[]) {
    this.name = `ledger ${paths.join(', ')}`;
  }

  load(): Promise<Knowledge> {
    const parts = this.paths.map((p): Knowledge => {
      const { ledger, problem } = readLedgerFile(p);
      if (!ledger) return { known: [], problems: [problem ?? `${p}: no such file`] };
      return knowledgeFromLedger(ledger, p);
    });
    return Promise.resolve({
      known: parts.flatMap((k) => k.known),
      problems: parts.flatMap((k) => k.problems),
    });
  }
}
