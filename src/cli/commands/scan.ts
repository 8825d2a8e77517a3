// `certdrift scan`: inventory every certificate a node's Kubernetes components use, with expiry,
// status and the node's certificate deadline.

import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { runChecks } from '../../checks/index.js';
import {
  envLayer,
  resolveScanConfig,
  thresholdsOf,
  type Layer,
  type ScanConfig,
} from '../../config/scan-config.js';
import { openNodeFiles } from '../../host/index.js';
import { addServedCertificates, type ServedProbeConfig } from '../../host/served-certs.js';
import { ProcFs } from '../../host/procfs.js';
import { ProcRuntime } from '../../runtime/proc-runtime.js';
import { scanWorkloads } from '../../inventory/scan-workloads.js';
import type { Inventory } from '../../model.js';
import type { ContainerRuntime } from '../../runtime/types.js';
import { scanFiles } from '../../inventory/scan-files.js';
import { buildScanReport, COLOR, PLAIN, renderScanTable } from '../../report/index.js';
import type { CommandDef, Io, OptionDef, Values } from '../command.js';
import { UsageError } from '../command.js';
import { OperationalError } from '../errors.js';
import { readConfigFile } from '../config-file.js';

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
  options: {
    'host-root': {
      type: 'string',
      value: 'DIR',
      description: "the node's root file system (a pod mounts it at e.g. /host)",
      shownDefault: '/',
      env: 'CERTDRIFT_HOST_ROOT',
    },
    path: {
      type: 'string',
      multiple: true,
      value: 'GLOB',
      description:
        "extra files to scan, inside the host root; ** spans directories ('**' is everything)",
      env: 'CERTDRIFT_PATH',
    },
    exclude: {
      type: 'string',
      multiple: true,
      value: 'GLOB',
      description: 'skip matching files and directories',
      env: 'CERTDRIFT_EXCLUDE',
    },
    preset: {
      type: 'string',
      multiple: true,
      value: 'NAME',
      description: 'auto, none, kops, kubeadm, k3s, rke2, generic',
      shownDefault: 'auto',
      env: 'CERTDRIFT_PRESET',
    },
    'warn-days': {
      type: 'string',
      value: 'N',
      description: 'status warning below N days left',
      shownDefault: '30',
      env: 'CERTDRIFT_WARN_DAYS',
    },
    'critical-days': {
      type: 'string',
      value: 'N',
      description: 'status critical below N days left',
      shownDefault: '7',
      env: 'CERTDRIFT_CRITICAL_DAYS',
    },
    at: {
      type: 'string',
      value: 'DATE',
      description: 'evaluate as of DATE instead of now, e.g. 2027-03-01 (planning)',
    },
    output: {
      type: 'string',
      short: 'o',
      value: 'FORMAT',
      description: 'table, json or yaml (schema: docs/scan-schema.md)',
      shownDefault: 'table',
      env: 'CERTDRIFT_OUTPUT',
    },
    color: {
      type: 'string',
      value: 'WHEN',
      description: 'auto, always or never (auto: only on a terminal, honours NO_COLOR)',
      shownDefault: 'auto',
    },
    'max-file-size': {
      type: 'string',
      value: 'SIZE',
      description: 'larger files are reported as too_large',
      shownDefault: '4Mi',
      env: 'CERTDRIFT_MAX_FILE_SIZE',
    },
    'max-files': {
      type: 'string',
      value: 'N',
      description: 'directory entries one pattern may visit',
      shownDefault: '200000',
    },
    'runtime-endpoint': {
      type: 'string',
      value: 'SOCKET',
      description:
        'CRI socket for the container view; auto tries containerd and CRI-O under the host root, none skips containers (falls back to /proc when the socket fails)',
      shownDefault: 'auto',
      env: 'CERTDRIFT_RUNTIME_ENDPOINT',
    },
    'runtime-timeout': {
      type: 'string',
      value: 'MS',
      description: 'deadline for each CRI call',
      shownDefault: '5000',
    },
    'proc-root': {
      type: 'string',
      value: 'DIR',
      description: "the node's /proc (a pod needs hostPID)",
      shownDefault: '/proc',
      env: 'CERTDRIFT_PROC_ROOT',
    },
    'loads-once': {
      type: 'string',
      multiple: true,
      value: 'NAME',
      description:
        'containers or processes that load certificates once at start (replaces the default list)',
      shownDefault: 'kube-proxy,kube-scheduler,kube-controller-manager',
    },
    config: {
      type: 'string',
      value: 'FILE',
      description: 'YAML or JSON file with the same settings (camelCase keys, e.g. warnDays)',
    },
    'no-probe': {
      type: 'boolean',
      description:
        'skip the TLS handshakes with local serving endpoints (kubelet, kube-apiserver, etcd, scheduler, controller-manager) that SERVED_STALE compares with their files',
    },
    'node-name': {
      type: 'string',
      value: 'NAME',
      description:
        'the node name recorded in -o json (certdrift attribute --scan names nodes by it)',
      shownDefault: '$NODE_NAME, else the host name',
    },
  },
  examples: [
    'certdrift scan                                  # this host, presets auto-detected',
    'certdrift scan --host-root /host -o json        # from a pod with the node mounted at /host',
    "certdrift scan --path '/opt/pki/**/*.pem' --exclude '**/backup/**'",
    'certdrift scan --at 2027-03-01 --warn-days 60  # what will need attention by March',
  ],
  run: runScan,
};

function flagLayer(v: Values): Layer {
  return {
    hostRoot: v['host-root'],
    paths: v.path,
    excludes: v.exclude,
    presets: v.preset,
    warnDays: v['warn-days'],
    criticalDays: v['critical-days'],
    at: v.at,
    output: v.output,
    color: v.color,
    maxFileSize: v['max-file-size'],
    maxFiles: v['max-files'],
    runtimeEndpoint: v['runtime-endpoint'],
    runtimeTimeoutMs: v['runtime-timeout'],
    procRoot: v['proc-root'],
    loadsOnce: v['loads-once'],
  };
}

export async function loadScanConfig(values: Values, io: Io): Promise<ScanConfig> {
  const layers: { name: string; values: Layer }[] = [];
  if (typeof values.config === 'string')
    layers.push({ name: values.config, values: await readConfigFile(values.config) });
  layers.push(
    { name: 'environment', values: envLayer(io.env) },
    { name: 'flag', values: flagLayer(values) },
  );
  return resolveScanConfig(layers);
}

export function useColor(c: ScanConfig, io: Io): boolean {
  if (c.color !== 'auto') return c.color === 'always';
  return io.stdout.isTTY === true && io.env.NO_COLOR === undefined && io.env.TERM !== 'dumb';
}

/** CRI sockets tried by `--runtime-endpoint auto`, inside the host root. */
const RUNTIME_SOCKETS = [
  '/run/containerd/containerd.sock',
  '/var/run/crio/crio.sock',
  '/run/k3s/containerd/containerd.sock',
];

export async function chooseRuntime(config: ScanConfig): Promise<ContainerRuntime | null> {
  let endpoint: string | undefined = config.runtimeEndpoint;
  if (endpoint === 'auto') {
    const inRoot = (p: string): string => (config.hostRoot === '/' ? p : config.hostRoot + p);
    endpoint = RUNTIME_SOCKETS.map(inRoot).find((p) => existsSync(p));
    if (!endpoint) return null;
  }
  // gRPC loads only when there is a runtime to talk to (the CLI starts fast otherwise).
  const { CriRuntime } = await import('../../runtime/cri-runtime.js');
  return new CriRuntime(endpoint, config.runtimeTimeoutMs);
}

/** Adds the container and process view (drift); read-only. `--runtime-endpoint none` skips it. */
export async function addWorkloads(inv: Inventory, config: ScanConfig): Promise<Inventory> {
  if (config.runtimeEndpoint === 'none') return inv;
  const runtime = await chooseRuntime(config);
  try {
    const proc = new ProcFs(config.procRoot);
    const drift = await scanWorkloads({ runtime, fallback: new ProcRuntime(proc), proc }, inv, {
      hostRoot: config.hostRoot,
      maxFileSize: config.maxFileSize,
      loadsOnce: config.loadsOnce,
    });
    return {
      ...inv,
      workloads: drift.workloads,
      errors: [...inv.errors, ...drift.errors],
      sources: [...inv.sources, ...drift.sources],
    };
  } finally {
    runtime?.close();
  }
}

/** Everything scan, fix and the agent look at: the node's certificate files, then its workloads. */
export async function inventoryOf(config: ScanConfig): Promise<Inventory> {
  const files = await scanFiles(openNodeFiles(config.hostRoot), {
    presets: config.presets,
    paths: config.paths,
    excludes: config.excludes,
    maxFileSize: config.maxFileSize,
    maxEntries: config.maxFiles,
  });
  return addWorkloads(files, config);
}

/** Served-certificate probes (SERVED_STALE): where to look, and a short handshake deadline. */
export function servedProbeConfig(config: ScanConfig): ServedProbeConfig {
  return {
    hostRoot: config.hostRoot,
    procRoot: config.procRoot,
    maxFileSize: config.maxFileSize,
    timeoutMs: 2000,
  };
}

/** Where and how to look at a node: the flags scan, fix and the agent all take. */
export const DISCOVERY_OPTIONS = [
  'host-root',
  'path',
  'exclude',
  'preset',
  'runtime-endpoint',
  'runtime-timeout',
  'proc-root',
  'loads-once',
  'max-file-size',
  'config',
] as const;

/** scan's option definitions that another command takes too (one definition, one help text). */
export function scanOptions(keys: readonly string[]): Record<string, OptionDef> {
  const out: Record<string, OptionDef> = {};
  for (const k of keys) {
    const o = scanCommand.options[k];
    if (o) out[k] = o;
  }
  return out;
}

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

  const inventory =
    values['no-probe'] === true
      ? await inventoryOf(config)
      : await addServedCertificates(await inventoryOf(config), servedProbeConfig(config));
  const now = config.at ?? new Date();
  const thresholds = thresholdsOf(config);
  const findings = runChecks(inventory, { now, thresholds });
  const nodeName =
    typeof values['node-name'] === 'string'
      ? values['node-name']
      : (io.env.NODE_NAME ?? hostname());
  const report = buildScanReport(inventory, findings, now, thresholds, nodeName);
  if (config.output === 'json') io.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else if (config.output === 'yaml') io.stdout.write((await import('yaml')).stringify(report));
  else io.stdout.write(renderScanTable(report, useColor(config, io) ? COLOR : PLAIN));
  return report.summary.exitCode;
}
