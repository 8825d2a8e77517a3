// `certdrift attribute`: reads kube-apiserver logs, finds the client certificates that failed
// verification and says which node and component present them, where the certificate lives
// and why — from what certdrift already knows (scan documents, ledgers). Memory is bounded
// whatever the log holds: lines are read through BoundedLineSplitter (1 MiB each), at most
// MAX_CERTIFICATES_KEPT certificates are kept, and output is written in chunks that wait for the
// reader (a slow pipe under --follow holds back reading the log, not memory).

import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { BoundedLineSplitter, type LogLine } from '../../attribute/bounded-lines.js';
import { FailureTally } from '../../attribute/attribute.js';
import { mergeKnowledge, type Knowledge, type KnowledgeSource } from '../../attribute/knowledge.js';
import { LogScanner } from '../../attribute/parse-log.js';
import {
  attributionJsonChunks,
  attributionTableChunks,
  buildAttributionReport,
  detailBlock,
} from '../../attribute/render.js';
import { LedgerFilesSource, ScanFilesSource } from '../../adapters/host/knowledge-files.js';
import { COLOR, PLAIN } from '../../node/render/index.js';
import type { CommandDef, Io, Values } from '../command.js';
import { COLOR_OPTION, UsageError, useColor } from '../command.js';
import { OperationalError } from '../errors.js';
import { VERSION } from '../version.js';

const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

/** The knowledge sources the flags ask for: scan documents, ledgers, the cluster's reports. */
export async function knowledgeSources(values: Values, io: Io): Promise<KnowledgeSource[]> {
  const sources: KnowledgeSource[] = [];
  const kube = typeof values.kubernetes === 'string' ? values.kubernetes : undefined;
  if (kube !== undefined) {
    // Loaded only here: the cluster client is the heaviest part of the CLI.
    const { openCluster } = await import('../../adapters/kube/connect.js');
    const { ClusterReportsSource } = await import('../../adapters/kube/report-knowledge.js');
    const client = openCluster(kube, io.env, `certdrift/${VERSION}`);
    if (!client)
      throw new OperationalError(
        '--kubernetes auto: not running in a pod (no KUBERNETES_SERVICE_HOST); give a kubeconfig path',
      );
    sources.push(
      new ClusterReportsSource(client, kube === 'auto' ? 'in-cluster' : kube, () => new Date()),
    );
  }
  const scans = list(values.scan);
  if (scans.length > 0) sources.push(new ScanFilesSource(scans));
  const ledgers = list(values.ledger);
  if (ledgers.length > 0) sources.push(new LedgerFilesSource(ledgers));
  return sources;
}

/** A log's lines, none held past the cap (a longer one comes out as skipped). */
async function* lines(path: string, stdin: NodeJS.ReadableStream): AsyncGenerator<LogLine> {
  const input = path === '-' ? stdin : createReadStream(path);
  const splitter = new BoundedLineSplitter();
  for await (const chunk of input as AsyncIterable<Buffer | string>)
    yield* splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  yield* splitter.end();
}

/** Writes chunks, waiting for `drain` whenever the stream's buffer is full. */
async function writeChunks(out: NodeJS.WritableStream, chunks: Iterable<string>): Promise<void> {
  for (const c of chunks) if (!out.write(c)) await once(out, 'drain');
}

/** The flags that shape one run: logs to read, output, the year of yearless lines, --follow. */
export function attributeSettings(values: Values): {
  logs: string[];
  output: 'table' | 'json';
  year: number | undefined;
  follow: boolean;
} {
  const logs = list(values.log);
  if (logs.length === 0) throw new UsageError('--log FILE is required (- for stdin)');
  if (logs.filter((l) => l === '-').length > 1) throw new UsageError('--log - given twice');
  const output = typeof values.output === 'string' ? values.output : 'table';
  if (output !== 'table' && output !== 'json')
    throw new UsageError(`-o: expected table or json, got ${JSON.stringify(output)}`);
  const year = typeof values.year === 'string' ? Number(values.year) : undefined;
  if (year !== undefined && !(Number.isInteger(year) && year > 1970 && year < 10000))
    throw new UsageError('--year: expected a year such as 2026');
  return { logs, output, year, follow: values.follow === true };
}

/**
 * Reads every log into the tally (files one after another; with --follow every stream at once,
 * each attributed failure printed as it arrives). Returns the lines skipped as too long.
 */
async function readLogs(
  settings: ReturnType<typeof attributeSettings>,
  tally: FailureTally,
  knowledge: Knowledge,
  io: Io & { stdin?: NodeJS.ReadableStream },
  style: typeof COLOR,
): Promise<number> {
  const { year, follow, output } = settings;
  const now = new Date();
  const stdin = io.stdin ?? process.stdin;
  let skippedLines = 0;
  const readLog = async (path: string): Promise<void> => {
    const scanner = new LogScanner({
      source: path,
      ...(year !== undefined ? { year } : { now }),
    });
    for await (const line of lines(path, stdin)) {
      if (!('text' in line)) {
        scanner.skip();
        continue;
      }
      for (const f of scanner.feed(line.text)) {
        if (!tally.add(f) || !follow) continue;
        const row = tally.get(f, knowledge.known);
        if (!row) continue;
        await writeChunks(io.stdout, [
          output === 'json' ? JSON.stringify(row) + '\n' : detailBlock(row, style) + '\n',
        ]);
      }
    }
    skippedLines += scanner.skippedLines;
  };
  if (follow) await Promise.all(settings.logs.map(readLog));
  else for (const l of settings.logs) await readLog(l);
  return skippedLines;
}

async function runAttribute(
  values: Values,
  positionals: string[],
  io: Io & { stdin?: NodeJS.ReadableStream },
): Promise<number> {
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])} (use --log FILE)`);
  const settings = attributeSettings(values);
  const { logs, output, follow } = settings;
  const style = useColor(values.color, io) ? COLOR : PLAIN;

  const sources = await knowledgeSources(values, io);
  const knowledge: Knowledge = mergeKnowledge(await Promise.all(sources.map((s) => s.load())));
  for (const p of knowledge.problems) io.stderr.write(`certdrift attribute: warning: ${p}\n`);

  const tally = new FailureTally();
  const skippedLines = await readLogs(settings, tally, knowledge, io, style);

  const rows = tally.rows(knowledge.known);
  const report = buildAttributionReport(rows, {
    now: new Date(),
    logs,
    sources: sources.map((s) => s.name),
    certificates: knowledge.known.length,
    problems: knowledge.problems,
    failures: tally.totalFailures,
    skippedLines,
    evictedCertificates: tally.evictedCertificates,
  });
  if (!follow)
    await writeChunks(
      io.stdout,
      output === 'json' ? attributionJsonChunks(report) : attributionTableChunks(report, style),
    );
  else if (output === 'table') await writeChunks(io.stdout, attributionTableChunks(report, style));
  return rows.length > 0 ? 2 : 0;
}

export const attributeCommand: CommandDef = {
  name: 'attribute',
  summary: 'name the node and component behind x509 failures in the API server log, and why',
  usage:
    'certdrift attribute --log FILE... [--kubernetes auto|KUBECONFIG] [--scan FILE]... [--ledger FILE]... [--follow] [-o table|json]',
  description: [
    'Reads kube-apiserver logs ("Unable to authenticate the request" … x509: …): klog text (1.21+',
    'structured and the older "due to an error" form), klog JSON, kubelet CRI log files',
    '(/var/log/pods/…), `kubectl logs --timestamps`, Docker json-file. The API server logs only the',
    "failing certificate's serial (SN, decimal) and key ids, never the client: certdrift matches the",
    'serial against what it knows — `certdrift scan -o json` documents from each node (--scan) and',
    "agent ledgers (--ledger): the node's files, running containers' stale views, certificates",
    'processes loaded before a rotation — and prints one line per failing certificate: count, first',
    'and last time, error kind, node, component, where it lives, the cause and the remedy. Unknown',
    'serials are listed as unattributed, with what would identify them.',
    '',
    'Exit codes: 0 no failing client certificate, 2 failing certificates found, 3 usage or operational error.',
  ].join('\n'),
  options: {
    log: {
      type: 'string',
      multiple: true,
      value: 'FILE',
      description: 'an API server log; - reads stdin',
    },
    kubernetes: {
      type: 'string',
      value: 'auto|KUBECONFIG',
      description:
        "read every node's NodeCertificateReport and its ledger from the cluster: `auto` in a pod, else a kubeconfig (needs list on nodecertificatereports: the certdrift-reader ClusterRole)",
    },
    scan: {
      type: 'string',
      multiple: true,
      value: 'FILE',
      description: '`certdrift scan -o json` output of a node (record the node: scan --node-name)',
    },
    ledger: {
      type: 'string',
      multiple: true,
      value: 'FILE',
      description:
        "an agent's certificate ledger (<state-dir>/ledger.json): names the serial a process loaded before a rotation",
    },
    follow: {
      type: 'boolean',
      description:
        'process lines as they arrive and print each newly failing certificate at once (e.g. kubectl logs -f … | certdrift attribute --follow --log -)',
    },
    year: {
      type: 'string',
      value: 'YEAR',
      description:
        'year of klog text headers that carry no full date (default: the latest year not in the future)',
    },
    output: {
      type: 'string',
      short: 'o',
      value: 'FORMAT',
      description: 'table or json (with --follow: one JSON object per line)',
      shownDefault: 'table',
    },
    color: COLOR_OPTION,
  },
  examples: [
    'kubectl -n kube-system logs kube-apiserver-cp-1 --timestamps | certdrift attribute --log - --kubernetes ~/.kube/config',
    'certdrift attribute --log /var/log/pods/kube-system_kube-apiserver-*/kube-apiserver/0.log --scan node-1.json --scan node-2.json',
    'kubectl -n kube-system logs kube-apiserver-cp-1 --timestamps | certdrift attribute --log - --scan n1.json --scan n2.json',
    'kubectl -n kube-system logs -f kube-apiserver-cp-1 | certdrift attribute --follow --log - --ledger ledger.json',
  ],
  run: runAttribute,
};
