// Scan configuration: defaults → config file → environment (CERTDRIFT_*) → flags, validated and
// frozen. No I/O here: the CLI reads the file and hands over its parsed content.

import { DAY_MS } from '../model.js';
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

export class ConfigError extends Error {
  override name = 'ConfigError';
}

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

/** A layer: any subset of the settings, as strings or values (file, env and flags differ). */
export type Layer = Partial<Record<keyof ScanConfig, unknown>>;

const SIZE = /^(\d+(?:\.\d+)?)\s*(k|ki|m|mi|g|gi)?b?$/i;
const MULT: Record<string, number> = {
  k: 1e3,
  ki: 1024,
  m: 1e6,
  mi: 1024 ** 2,
  g: 1e9,
  gi: 1024 ** 3,
};

export function parseSize(v: unknown, what: string): number {
  if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  const m = typeof v === 'string' ? SIZE.exec(v.trim()) : null;
  if (!m)
    throw new ConfigError(`${what}: expected a size like 4Mi or 1048576, got ${JSON.stringify(v)}`);
  return Math.floor(Number(m[1]) * (m[2] ? (MULT[m[2].toLowerCase()] ?? 1) : 1));
}

function parseNumber(v: unknown, what: string, min: number): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n) || n < min)
    throw new ConfigError(`${what}: expected a number ≥ ${min}, got ${JSON.stringify(v)}`);
  return n;
}

/** Splits a list given as one string (env): commas outside `{…}` separate items. */
export function splitList(v: unknown, what: string): string[] {
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
  if (typeof v !== 'string') throw new ConfigError(`${what}: expected a list of strings`);
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of v) {
    if (c === '{') depth++;
    if (c === '}') depth = Math.max(0, depth - 1);
    if (c === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.map((s) => s.trim()).filter((s) => s !== '');
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], what: string): T {
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  throw new ConfigError(`${what}: expected one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
}

export function resolveScanConfig(layers: { name: string; values: Layer }[]): ScanConfig {
  const c: ScanConfig = { ...SCAN_DEFAULTS };
  for (const { name, values } of layers) {
    const at = (k: string): string => `${name} ${k}`;
    for (const [key, v] of Object.entries(values)) {
      if (v === undefined) continue;
      switch (key as keyof ScanConfig) {
        case 'hostRoot':
          if (typeof v !== 'string' || !v.startsWith('/'))
            throw new ConfigError(
              `${at('host root')}: expected an absolute path, got ${JSON.stringify(v)}`,
            );
          c.hostRoot = v.length > 1 ? v.replace(/\/+$/, '') : v;
          break;
        case 'paths':
          c.paths = splitList(v, at('paths'));
          break;
        case 'excludes':
          c.excludes = splitList(v, at('excludes'));
          break;
        case 'presets': {
          const list = v === 'auto' ? 'auto' : splitList(v, at('presets'));
          if (list !== 'auto')
            for (const p of list) oneOf(p, [...PRESET_NAMES, 'none', 'auto'], at('preset'));
          c.presets = list === 'auto' || list.includes('auto') ? 'auto' : list;
          break;
        }
        case 'warnDays':
          c.warnDays = parseNumber(v, at('warning days'), 0);
          break;
        case 'criticalDays':
          c.criticalDays = parseNumber(v, at('critical days'), 0);
          break;
        case 'maxFileSize':
          c.maxFileSize = parseSize(v, at('max file size'));
          break;
        case 'maxFiles':
          c.maxFiles = parseNumber(v, at('max files'), 1);
          break;
        case 'output':
          c.output = oneOf(v, ['table', 'json', 'yaml'] as const, at('output'));
          break;
        case 'color':
          c.color = oneOf(v, ['auto', 'always', 'never'] as const, at('color'));
          break;
        case 'runtimeEndpoint':
          if (typeof v !== 'string' || v === '')
            throw new ConfigError(
              `${at('runtime endpoint')}: expected a socket path, auto or none`,
            );
          c.runtimeEndpoint = v;
          break;
        case 'runtimeTimeoutMs':
          c.runtimeTimeoutMs = parseNumber(v, at('runtime timeout'), 1);
          break;
        case 'procRoot':
          if (typeof v !== 'string' || !v.startsWith('/'))
            throw new ConfigError(`${at('proc root')}: expected an absolute path`);
          c.procRoot = v;
          break;
        case 'loadsOnce':
          c.loadsOnce = splitList(v, at('loads once'));
          break;
        case 'at': {
          const ms = typeof v === 'string' ? Date.parse(v) : NaN;
          if (Number.isNaN(ms))
            throw new ConfigError(
              `${at('at')}: expected a date like 2027-03-01, got ${JSON.stringify(v)}`,
            );
          c.at = new Date(ms);
          break;
        }
        default:
          throw new ConfigError(`${name}: unknown setting ${JSON.stringify(key)}`);
      }
    }
  }
  if (c.criticalDays > c.warnDays)
    throw new ConfigError(
      `critical days (${c.criticalDays}) must not exceed warning days (${c.warnDays})`,
    );
  return Object.freeze({
    ...c,
    paths: Object.freeze([...c.paths]),
    excludes: Object.freeze([...c.excludes]),
    loadsOnce: Object.freeze([...c.loadsOnce]),
  });
}

export function thresholdsOf(c: ScanConfig): { warnMs: number; criticalMs: number } {
  return { warnMs: c.warnDays * DAY_MS, criticalMs: c.criticalDays * DAY_MS };
}

/** CERTDRIFT_* variables → a layer. */
export function envLayer(env: Record<string, string | undefined>): Layer {
  return {
    hostRoot: env.CERTDRIFT_HOST_ROOT,
    paths: env.CERTDRIFT_PATH,
    excludes: env.CERTDRIFT_EXCLUDE,
    presets: env.CERTDRIFT_PRESET,
    warnDays: env.CERTDRIFT_WARN_DAYS,
    criticalDays: env.CERTDRIFT_CRITICAL_DAYS,
    maxFileSize: env.CERTDRIFT_MAX_FILE_SIZE,
    output: env.CERTDRIFT_OUTPUT,
    runtimeEndpoint: env.CERTDRIFT_RUNTIME_ENDPOINT,
    procRoot: env.CERTDRIFT_PROC_ROOT,
  };
}
