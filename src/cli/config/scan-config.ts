// Scan configuration: defaults → config file → environment (CERTDRIFT_*) → flags, validated and
// frozen, from one field table (SCAN_FIELDS). No I/O here: the CLI reads the file and hands
// over its parsed content.

import { DAY_MS, type Thresholds } from '../../model/index.js';
import {
  absolutePath,
  ConfigError,
  envLayerOf,
  nonEmpty,
  oneOf,
  parseDate,
  parseNumber,
  parseSize,
  resolveFields,
  splitList,
  type Fields,
  type Layer,
} from './fields.js';
import { PRESET_NAMES } from './preset-names.js';

export type OutputFormat = 'table' | 'json' | 'yaml';
export type ColorMode = 'auto' | 'always' | 'never';

export interface ScanConfig {
  hostRoot: string;
  paths: readonly string[];
  excludes: readonly string[];
  presets: 'auto' | readonly string[];
  warnDays: number;
  criticalDays: number;
  /** warning below this share of a certificate's lifetime left, in (0,1); absent: days only */
  warnRatio?: number;
  /** critical below this share of its lifetime left, in (0,1); absent: days only */
  criticalRatio?: number;
  maxFileSize: number;
  maxFiles: number;
  output: OutputFormat;
  color: ColorMode;
  /** evaluate as of this time instead of now (planning: "what fails by March?") */
  at?: Date;
  /** CRI socket: a path or unix:// URL, `auto` (containerd, CRI-O under the host root) or `none` */
  runtimeEndpoint: string;
  /** deadline for each CRI call, in milliseconds */
  runtimeTimeoutMs: number;
  /** the node's /proc (hostPID in a pod) */
  procRoot: string;
  /** container or process names that load their certificates once at start */
  loadsOnce: readonly string[];
}

export { ConfigError, parseSize, splitList, type Layer } from './fields.js';

export const SCAN_DEFAULTS: ScanConfig = Object.freeze({
  hostRoot: '/',
  paths: [],
  excludes: [],
  presets: 'auto',
  warnDays: 30,
  criticalDays: 7,
  maxFileSize: 4 * 1024 * 1024,
  maxFiles: 200_000,
  runtimeEndpoint: 'auto',
  runtimeTimeoutMs: 5000,
  procRoot: '/proc',
  loadsOnce: ['kube-proxy', 'kube-scheduler', 'kube-controller-manager'],
  output: 'table',
  color: 'auto',
});

/** Every scan setting: flag, env, help, parsing — the one table (fields.ts). */
export const SCAN_FIELDS: Fields<Required<ScanConfig>> = {
  hostRoot: {
    flag: 'host-root',
    env: 'CERTDRIFT_HOST_ROOT',
    value: 'DIR',
    label: 'host root',
    description: "the node's root file system (a pod mounts it at e.g. /host)",
    shownDefault: '/',
    parse: absolutePath,
  },
  paths: {
    flag: 'path',
    env: 'CERTDRIFT_PATH',
    multiple: true,
    value: 'GLOB',
    label: 'paths',
    description:
      "extra files to scan, inside the host root; ** spans directories ('**' is everything)",
    parse: splitList,
  },
  excludes: {
    flag: 'exclude',
    env: 'CERTDRIFT_EXCLUDE',
    multiple: true,
    value: 'GLOB',
    label: 'excludes',
    description: 'skip matching files and directories',
    parse: splitList,
  },
  presets: {
    flag: 'preset',
    env: 'CERTDRIFT_PRESET',
    multiple: true,
    value: 'NAME',
    label: 'presets',
    description: `auto, none, ${PRESET_NAMES.join(', ')}`,
    shownDefault: 'auto',
    parse: (v, what) => {
      const list = v === 'auto' ? 'auto' : splitList(v, what);
      if (list === 'auto') return 'auto';
      const preset = what.replace(/presets$/, 'preset');
      for (const p of list) oneOf(p, [...PRESET_NAMES, 'none', 'auto'], preset);
      return list.includes('auto') ? 'auto' : list;
    },
  },
  warnDays: {
    flag: 'warn-days',
    env: 'CERTDRIFT_WARN_DAYS',
    value: 'N',
    label: 'warning days',
    description: 'status warning below N days left',
    shownDefault: '30',
    parse: (v, what) => parseNumber(v, what, 0),
  },
  criticalDays: {
    flag: 'critical-days',
    env: 'CERTDRIFT_CRITICAL_DAYS',
    value: 'N',
    label: 'critical days',
    description: 'status critical below N days left',
    shownDefault: '7',
    parse: (v, what) => parseNumber(v, what, 0),
  },
  warnRatio: {
    flag: 'warn-ratio',
    env: 'CERTDRIFT_WARN_RATIO',
    value: 'FRACTION',
    label: 'warning ratio',
    description:
      "status warning below this share of a certificate's lifetime left, e.g. 0.33 (cert-manager renews at a third); either threshold, days or share, raises the status",
    shownDefault: 'off',
    parse: parseRatio,
  },
  criticalRatio: {
    flag: 'critical-ratio',
    env: 'CERTDRIFT_CRITICAL_RATIO',
    value: 'FRACTION',
    label: 'critical ratio',
    description: "status critical below this share of a certificate's lifetime left, e.g. 0.1",
    shownDefault: 'off',
    parse: parseRatio,
  },
  at: {
    flag: 'at',
    value: 'DATE',
    label: 'at',
    description: 'evaluate as of DATE instead of now, e.g. 2027-03-01 (planning)',
    parse: parseDate,
  },
  output: {
    flag: 'output',
    short: 'o',
    env: 'CERTDRIFT_OUTPUT',
    value: 'FORMAT',
    label: 'output',
    description: 'table, json or yaml (schema: docs/scan-schema.md)',
    shownDefault: 'table',
    parse: (v, what) => oneOf(v, ['table', 'json', 'yaml'] as const, what),
  },
  color: {
    flag: 'color',
    env: 'CERTDRIFT_COLOR',
    value: 'WHEN',
    label: 'color',
    description: 'auto, always or never (auto: only on a terminal, honours NO_COLOR)',
    shownDefault: 'auto',
    parse: (v, what) => oneOf(v, ['auto', 'always', 'never'] as const, what),
  },
  maxFileSize: {
    flag: 'max-file-size',
    env: 'CERTDRIFT_MAX_FILE_SIZE',
    value: 'SIZE',
    label: 'max file size',
    description: 'larger files are reported as too_large',
    shownDefault: '4Mi',
    parse: parseSize,
  },
  maxFiles: {
    flag: 'max-files',
    env: 'CERTDRIFT_MAX_FILES',
    value: 'N',
    label: 'max files',
    description: 'directory entries one pattern may visit (beyond: SCAN_INCOMPLETE)',
    shownDefault: '200000',
    parse: (v, what) => parseNumber(v, what, 1),
  },
  runtimeEndpoint: {
    flag: 'runtime-endpoint',
    env: 'CERTDRIFT_RUNTIME_ENDPOINT',
    value: 'SOCKET',
    label: 'runtime endpoint',
    description:
      'CRI socket for the container view; auto tries containerd and CRI-O under the host root, none skips containers (falls back to /proc when the socket fails)',
    shownDefault: 'auto',
    parse: nonEmpty,
  },
  runtimeTimeoutMs: {
    flag: 'runtime-timeout',
    env: 'CERTDRIFT_RUNTIME_TIMEOUT',
    value: 'MS',
    label: 'runtime timeout',
    description: 'deadline for each CRI call',
    shownDefault: '5000',
    parse: (v, what) => parseNumber(v, what, 1),
  },
  procRoot: {
    flag: 'proc-root',
    env: 'CERTDRIFT_PROC_ROOT',
    value: 'DIR',
    label: 'proc root',
    description: "the node's /proc (a pod needs hostPID)",
    shownDefault: '/proc',
    parse: absolutePath,
  },
  loadsOnce: {
    flag: 'loads-once',
    env: 'CERTDRIFT_LOADS_ONCE',
    multiple: true,
    value: 'NAME',
    label: 'loads once',
    description:
      'containers or processes that load certificates once at start (replaces the default list)',
    shownDefault: 'kube-proxy,kube-scheduler,kube-controller-manager',
    parse: splitList,
  },
};

export function resolveScanConfig(layers: { name: string; values: Layer }[]): ScanConfig {
  const c = resolveFields<ScanConfig>(SCAN_FIELDS, SCAN_DEFAULTS, layers);
  if (c.criticalDays > c.warnDays)
    throw new ConfigError(
      `critical days (${c.criticalDays}) must not exceed warning days (${c.warnDays})`,
    );
  checkRatios(c);
  return Object.freeze({
    ...c,
    paths: Object.freeze([...c.paths]),
    excludes: Object.freeze([...c.excludes]),
    loadsOnce: Object.freeze([...c.loadsOnce]),
  });
}

/** A share of a lifetime: strictly between 0 (never) and 1 (always), as a number or a string. */
export function parseRatio(v: unknown, what: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n) || n <= 0 || n >= 1)
    throw new ConfigError(
      `${what}: expected a fraction of the lifetime greater than 0 and less than 1 (0.33: a third left), got ${JSON.stringify(v)}`,
    );
  return n;
}

/** A certificate critical at a larger share than it warns at would skip warning: refuse it. */
export function checkRatios(c: { warnRatio?: number; criticalRatio?: number }): void {
  if (c.warnRatio !== undefined && c.criticalRatio !== undefined && c.criticalRatio > c.warnRatio)
    throw new ConfigError(
      `--critical-ratio (${c.criticalRatio}) must not exceed --warn-ratio (${c.warnRatio})`,
    );
}

export function thresholdsOf(c: ScanConfig): Thresholds {
  return {
    warnMs: c.warnDays * DAY_MS,
    criticalMs: c.criticalDays * DAY_MS,
    ...(c.warnRatio !== undefined ? { warnRatio: c.warnRatio } : {}),
    ...(c.criticalRatio !== undefined ? { criticalRatio: c.criticalRatio } : {}),
  };
}

/** CERTDRIFT_* variables → a layer (from the field table). */
export function envLayer(env: Record<string, string | undefined>): Layer {
  return envLayerOf(SCAN_FIELDS, env);
}
