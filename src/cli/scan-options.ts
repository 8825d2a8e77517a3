// The settings every command that looks at a node shares — one option table (flags, env names,
// help), one layering (defaults → config file → environment → flags) — so scan, fix, audit and
// the agent parse them the same way.

import { envLayer, resolveScanConfig, type Layer, type ScanConfig } from '../config/scan-config.js';
import type { Io, OptionDef, Values } from './command.js';
import { readConfigFile } from './config-file.js';

export const SCAN_OPTIONS: Record<string, OptionDef> = {
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
    const o = SCAN_OPTIONS[k];
    if (o) out[k] = o;
  }
  return out;
}
