// `certdrift scan`: inventory every certificate a node's Kubernetes components use, with expiry,
// status and the node's certificate deadline.

import { once } from 'node:events';
import { stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { thresholdsOf } from '../config/scan-config.js';
import { buildScanReport, COLOR, PLAIN, renderScanTable } from '../../node/render/index.js';
import type { CommandDef, Io, OptionDef, Values } from '../command.js';
import { UsageError, useColor } from '../command.js';
import { OperationalError } from '../errors.js';
import { jsonChunks } from '../../model/json-chunks.js';
import { assessThisNode } from '../node-scan.js';
import { loadScanConfig, SCAN_OPTIONS } from '../scan-options.js';
import { PROGRESS_OPTIONS, TerminalProgress, wantProgress } from '../scan-progress.js';

/** scan's own flags beyond the shared settings (read from the parsed values, not the config layers). */
export const SCAN_EXTRA_OPTIONS: Record<string, OptionDef> = {
  'no-probe': {
    type: 'boolean',
    description:
      'skip the TLS handshakes with local serving endpoints (kubelet, kube-apiserver, etcd, scheduler, controller-manager) that SERVED_STALE compares with their files',
  },
  'node-name': {
    type: 'string',
    value: 'NAME',
    description: 'the node name recorded in -o json (certdrift attribute --scan names nodes by it)',
    shownDefault: '$NODE_NAME, else the host name',
  },
};

export const scanCommand: CommandDef = {
  name: 'scan',
  summary: 'list every certificate this node depends on, when each expires, and the node deadline',
  usage:
    'certdrift scan [--host-root DIR] [--path GLOB]... [--exclude GLOB]... [-o table|json|yaml]',
  description: [
    'Finds certificates by distribution presets (kops, kubeadm, k3s, rke2, generic; detected from the',
    'host) plus --path globs, reads PEM bundles, DER files and kubeconfigs (embedded *-data and file',
    'references), and reports each certificate with its component, expiry and status. Unreadable or',
    'malformed files are listed as errors with a reason code; they never hide other certificates.',
    'Private keys are counted, never printed.',
    '',
    'Exit codes: 0 ok, 1 warning, 2 critical (expired or < critical days), 3 nothing could be checked.',
  ].join('\n'),
  options: { ...SCAN_OPTIONS, ...SCAN_EXTRA_OPTIONS, ...PROGRESS_OPTIONS },
  examples: [
    'certdrift scan                                  # this host, presets auto-detected',
    'certdrift scan --host-root /host -o json        # from a pod with the node mounted at /host',
    "certdrift scan --path '/opt/pki/**/*.pem' --exclude '**/backup/**'",
    'certdrift scan --at 2027-03-01 --warn-days 60  # what will need attention by March',
  ],
  run: runScan,
};

async function runScan(values: Values, positionals: string[], io: Io): Promise<number> {
  if (positionals.length > 0)
    throw new UsageError(
      `unexpected argument ${JSON.stringify(positionals[0])} (quote globs: --path '/x/**')`,
    );
  const config = await loadScanConfig(values, io);
  const st = await stat(config.hostRoot).catch((err: unknown) => {
    throw new OperationalError(
      `host root ${config.hostRoot}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  });
  if (!st.isDirectory())
    throw new OperationalError(`host root ${config.hostRoot} is not a directory`);

  const now = config.at ?? new Date();
  // The walk's progress on stderr (a terminal), erased before the result is printed.
  const progress = wantProgress(values, io, config.output)
    ? new TerminalProgress(io.stderr)
    : undefined;
  const { inventory, assessment } = await assessThisNode(config, now, {
    probeServed: values['no-probe'] !== true,
    ...(progress ? { onDirectory: progress.onDirectory } : {}),
  }).finally(() => progress?.stop());
  const nodeName =
    typeof values['node-name'] === 'string'
      ? values['node-name']
      : (io.env.NODE_NAME ?? hostname());
  const report = buildScanReport(inventory, assessment, now, thresholdsOf(config), nodeName);
  // in chunks, never one 10 MB string on top of the scan's heap (issue #25); the same bytes
  if (config.output === 'json') await writeChunks(io.stdout, jsonChunks(report));
  else if (config.output === 'yaml') io.stdout.write((await import('yaml')).stringify(report));
  else io.stdout.write(renderScanTable(report, useColor(config.color, io) ? COLOR : PLAIN));
  return report.summary.exitCode;
}

/** Writes chunks, waiting for `drain` whenever the stream's buffer is full. */
async function writeChunks(out: NodeJS.WritableStream, chunks: Iterable<string>): Promise<void> {
  for (const c of chunks) if (!out.write(c)) await once(out, 'drain');
}
