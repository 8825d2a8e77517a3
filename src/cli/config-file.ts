// Reads a --config file (YAML or JSON; JSON is YAML) into a config layer.

import { readFile } from 'node:fs/promises';
import type { Layer } from './config/scan-config.js';
import { ConfigError } from './config/scan-config.js';

export async function readConfigFile(path: string): Promise<Layer> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `config file ${path}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const { parse } = await import('yaml');
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new ConfigError(
      `config file ${path}: not valid YAML: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new ConfigError(`config file ${path}: expected a mapping of settings`);
  return doc as Layer;
}
