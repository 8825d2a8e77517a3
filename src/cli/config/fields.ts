// One table of settings drives everything about them: the CLI flag and its help, the
// CERTDRIFT_* environment variable, the camelCase key in a --config file, parsing and
// validation. resolveFields layers defaults → file → environment → flags (last wins), so every
// command that takes a setting takes it the same way from every source. No I/O.

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface Field<T> {
  /** the CLI flag, without `--` (kebab-case) */
  flag: string;
  /** the environment variable that sets it too */
  env?: string;
  short?: string;
  /** placeholder in help, e.g. GLOB */
  value?: string;
  description: string;
  /** default shown in help (the value itself comes from the defaults object) */
  shownDefault?: string;
  /** repeatable flag (a list) */
  multiple?: boolean;
  /** a switch (no value) */
  boolean?: boolean;
  /** what errors call it: "warning days" */
  label: string;
  /** turns a string (flag, env) or a file value into the setting; throws ConfigError */
  parse: (v: unknown, what: string) => T;
}

export type Fields<S> = { [K in keyof S]-?: Field<S[K]> };

/** Any field table, whatever its settings' types. */
export type AnyFields = Record<string, Field<unknown>>;

/** A layer: any subset of the settings, as strings or values (file, env and flags differ). */
export type Layer = Record<string, unknown>;

/** The CERTDRIFT_* variables of a field table, as a layer. */
export function envLayerOf(fields: AnyFields, env: Record<string, string | undefined>): Layer {
  const out: Layer = {};
  for (const [key, f] of Object.entries(fields))
    if (f.env !== undefined && env[f.env] !== undefined) out[key] = env[f.env];
  return out;
}

/** Parsed CLI values (keyed by flag) of a field table, as a layer. */
export function flagLayerOf(fields: AnyFields, values: Record<string, unknown>): Layer {
  const out: Layer = {};
  for (const [key, f] of Object.entries(fields))
    if (values[f.flag] !== undefined) out[key] = values[f.flag];
  return out;
}

/**
 * defaults, then each layer in order (last wins). A key no field knows is an error naming its
 * source, so a typo in a config file is never silently ignored.
 */
export function resolveFields<S extends object>(
  fields: Fields<S>,
  defaults: S,
  layers: readonly { name: string; values: Layer }[],
): S {
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  const table = fields as Record<string, Field<unknown>>;
  for (const { name, values } of layers) {
    for (const [key, v] of Object.entries(values)) {
      if (v === undefined) continue;
      const f = table[key];
      if (!f) throw new ConfigError(`${name}: unknown setting ${JSON.stringify(key)}`);
      out[key] = f.parse(v, sourceName(name, key, f));
    }
  }
  return out as S;
}

/**
 * How an error names a setting: as the user wrote it (`--warn-days`, `CERTDRIFT_WARN_DAYS`, the
 * file's key), then what it is, so the message points at what to change.
 */
function sourceName(layer: string, key: string, f: Field<unknown>): string {
  const what = f.label === f.flag.replace(/-/g, ' ') ? '' : ` (${f.label})`;
  if (layer === 'flag') return `--${f.flag}${what}`;
  if (layer === 'environment' && f.env !== undefined) return `${f.env}${what}`;
  return `${layer}: ${key}${what}`;
}

// ---- parsers shared by the tables ----

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

export function parseNumber(v: unknown, what: string, min: number, max = Infinity): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n) || n < min || n > max)
    throw new ConfigError(
      `${what}: expected a number ${max === Infinity ? `≥ ${min}` : `from ${min} to ${max}`}, got ${JSON.stringify(v)}`,
    );
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

export function oneOf<T extends string>(v: unknown, allowed: readonly T[], what: string): T {
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  throw new ConfigError(`${what}: expected one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
}

export function absolutePath(v: unknown, what: string): string {
  if (typeof v !== 'string' || !v.startsWith('/'))
    throw new ConfigError(`${what}: expected an absolute path, got ${JSON.stringify(v)}`);
  return v.length > 1 ? v.replace(/\/+$/, '') : v;
}

export function nonEmpty(v: unknown, what: string): string {
  if (typeof v !== 'string' || v === '')
    throw new ConfigError(`${what}: expected a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

/** A switch: true/false from a flag, `true`/`false`/`1`/`0` from env or a file. */
export function parseBool(v: unknown, what: string): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new ConfigError(`${what}: expected true or false, got ${JSON.stringify(v)}`);
}

export function parseDate(v: unknown, what: string): Date {
  const ms = typeof v === 'string' ? Date.parse(v) : v instanceof Date ? v.getTime() : NaN;
  if (Number.isNaN(ms))
    throw new ConfigError(`${what}: expected a date like 2027-03-01, got ${JSON.stringify(v)}`);
  return new Date(ms);
}
