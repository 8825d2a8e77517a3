// The settings every command that looks at a node shares — one option table (flags, env names,
// help), one layering (defaults → config file → environment → flags) — so scan, fix, audit and
// the agent parse them the same way.

import {
  ConfigError,
  envLayerOf,
  flagLayerOf,
  type AnyFields,
  type Layer,
} from './config/fields.js';
import { resolveScanConfig, SCAN_FIELDS, type ScanConfig } from './config/scan-config.js';
import type { Io, OptionDef, Values } from './command.js';
import { readConfigFile } from './config-file.js';

/** CLI options generated from a settings field table: one definition for flag, env and help. */
export function optionsOf(fields: AnyFields): Record<string, OptionDef> {
  const out: Record<string, OptionDef> = {};
  for (const f of Object.values(fields)) {
    out[f.flag] = {
      type: f.boolean ? 'boolean' : 'string',
      ...(f.short ? { short: f.short } : {}),
      ...(f.multiple ? { multiple: true } : {}),
      ...(f.value ? { value: f.value } : {}),
      description: f.description,
      ...(f.shownDefault !== undefined ? { shownDefault: f.shownDefault } : {}),
      ...(f.env ? { env: f.env } : {}),
    };
  }
  return out;
}

/** The config file option every settings-taking command has. */
export const CONFIG_OPTION: OptionDef = {
  type: 'string',
  value: 'FILE',
  description: 'YAML or JSON file with the same settings (camelCase keys, e.g. warnDays)',
};

export const SCAN_OPTIONS: Record<string, OptionDef> = {
  ...optionsOf(SCAN_FIELDS),
  config: CONFIG_OPTION,
};

/**
 * Every settings table a --config file may hold keys of (one file can configure several
 * commands). A key none of them knows is an error, never silently ignored.
 */
export const SETTING_TABLES: readonly AnyFields[] = [SCAN_FIELDS];

/** defaults → --config file → CERTDRIFT_* → flags for any field table. */
export async function loadLayers(
  fields: AnyFields,
  values: Values,
  io: Io,
): Promise<{ name: string; values: Layer }[]> {
  const layers: { name: string; values: Layer }[] = [];
  if (typeof values.config === 'string') {
    const file = await readConfigFile(values.config);
    for (const k of Object.keys(file))
      if (!SETTING_TABLES.some((t) => k in t) && !(k in fields))
        throw new ConfigError(`${values.config}: unknown setting ${JSON.stringify(k)}`);
    const mine = Object.fromEntries(Object.entries(file).filter(([k]) => k in fields));
    layers.push({ name: values.config, values: mine });
  }
  layers.push(
    { name: 'environment', values: envLayerOf(fields, io.env) },
    { name: 'flag', values: flagLayerOf(fields, values) },
  );
  return layers;
}

export async function loadScanConfig(values: Values, io: Io): Promise<ScanConfig> {
  return resolveScanConfig(await loadLayers(SCAN_FIELDS, values, io));
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
