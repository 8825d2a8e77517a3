// Kubeconfig text → the certificates it embeds (*-data fields) and the certificate files it
// refers to (certificate-authority, client-certificate), by cluster/user name. Private keys
// (client-key-data, client-key) are counted, never decoded. Never throws.

import { createRequire } from 'node:module';
import { parseSimpleYaml } from './simple-yaml.js';
import type { KubeconfigRef } from '../model/index.js';
import type { Reason } from '../model/reasons.js';
import { parsePem, type PemProblem } from './pem.js';

export interface EmbeddedCert {
  ref: KubeconfigRef;
  /** index of the certificate within its field (a CA field may hold a bundle) */
  index: number;
  der: Uint8Array;
}

export interface FileRef {
  ref: KubeconfigRef;
  /** the path as written in the kubeconfig (relative paths are relative to the kubeconfig) */
  path: string;
}

export interface KubeconfigProblem {
  reason: Reason;
  message: string;
  detail?: string;
}

export interface KubeconfigResult {
  certs: EmbeddedCert[];
  refs: FileRef[];
  privateKeys: number;
  problems: KubeconfigProblem[];
}

const FIELDS = {
  cluster: { data: 'certificate-authority-data', file: 'certificate-authority', key: null },
  user: { data: 'client-certificate-data', file: 'client-certificate', key: 'client-key' },
} as const;

/**
 * Cheap sniff so arbitrary YAML/text files are not parsed as kubeconfigs: a `clusters` or
 * `users` key, plain or quoted, starting a line or inside a flow mapping (`{users: […]}`).
 */
export function looksLikeKubeconfig(text: string): boolean {
  return /(?:^|[{,])\s*(?:clusters|users|'clusters'|'users'|"clusters"|"users")\s*:/m.test(text);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function decodeBase64Strict(s: string): Uint8Array | null {
  const clean = s.replace(/\s+/g, '');
  if (clean.length === 0 || clean.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(clean))
    return null;
  return Buffer.from(clean, 'base64');
}

function pemProblemToKubeconfig(p: PemProblem, where: string): KubeconfigProblem {
  return { reason: p.reason, message: `${where}: ${p.message}`, detail: where };
}

export function parseKubeconfig(text: string): KubeconfigResult {
  const out: KubeconfigResult = { certs: [], refs: [], privateKeys: 0, problems: [] };
  const fast = parseSimpleYaml(text);
  const doc = fast.ok ? fast.value : parseFullYaml(text, out);
  // After a YAML error the structure is a guess: take the certificates, skip structure complaints.
  const yamlBroken = out.problems.length > 0;
  if (yamlBroken && !isRecord(doc)) return out;
  if (!isRecord(doc)) {
    out.problems.push({ reason: 'kubeconfig_invalid', message: 'the document is not a mapping' });
    return out;
  }
  for (const entry of ['cluster', 'user'] as const) {
    const listKey = `${entry}s`;
    const list = doc[listKey];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) {
      if (yamlBroken) continue;
      out.problems.push({ reason: 'kubeconfig_invalid', message: `${listKey} is not a list` });
      continue;
    }
    list.forEach((item: unknown, i) => {
      const name = isRecord(item) && typeof item.name === 'string' ? item.name : `#${i}`;
      const body = isRecord(item) ? item[entry] : undefined;
      if (!isRecord(body)) {
        if (yamlBroken) return;
        out.problems.push({
          reason: 'kubeconfig_invalid',
          message: `${listKey}[${i}] (${name}) has no ${entry} mapping`,
          detail: `${entry}:${name}`,
        });
        return;
      }
      readEntry(out, entry, name, body);
    });
  }
  return out;
}

// The full parser is loaded on first use only (~28 ms of start-up that most scans never need).
let yamlModule: typeof import('yaml') | undefined;
function loadYaml(): typeof import('yaml') {
  yamlModule ??= createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return yamlModule;
}

/**
 * The full YAML parser, for kubeconfigs outside the simple subset, reading what kubectl reads
 * (client-go's sigs.k8s.io/yaml → go-yaml): YAML 1.1 `<<` merge keys, and the first document
 * only (a trailing `---` is no error). A YAML error in one place must not hide certificates
 * elsewhere in the file: report it, then use what was recovered.
 */
function parseFullYaml(text: string, out: KubeconfigResult): unknown {
  try {
    const docs = loadYaml().parseAllDocuments(text, {
      uniqueKeys: false,
      prettyErrors: false,
      merge: true,
    });
    const list = Array.isArray(docs) ? docs : [];
    const parsed = list.find((d) => d.contents !== null) ?? list[0];
    if (!parsed) return undefined;
    const first = parsed.errors[0];
    if (first) {
      const more = parsed.errors.length > 1 ? ` (and ${parsed.errors.length - 1} more)` : '';
      out.problems.push({
        reason: 'yaml_parse_error',
        message: `not valid YAML: ${first.message.split('\n')[0] ?? ''}${more}`,
      });
    }
    return parsed.toJS({ maxAliasCount: 100 });
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    out.problems.push({ reason: 'yaml_parse_error', message: `not valid YAML: ${msg ?? ''}` });
    return undefined;
  }
}

function readEntry(
  out: KubeconfigResult,
  entry: 'cluster' | 'user',
  name: string,
  body: Record<string, unknown>,
): void {
  const fields = FIELDS[entry];
  const where = `${entry} ${name}`;
  const data = body[fields.data];
  if (typeof data === 'string' && data.trim() !== '') {
    const ref: KubeconfigRef = { entry, name, field: fields.data };
    const bytes = decodeBase64Strict(data);
    if (!bytes) {
      out.problems.push({
        reason: 'kubeconfig_bad_base64',
        message: `${where}: ${fields.data} is not valid base64`,
        detail: `${entry}:${name}`,
      });
    } else {
      addEmbedded(out, ref, bytes, where);
    }
  }
  const file = body[fields.file];
  if (typeof file === 'string' && file !== '')
    out.refs.push({ ref: { entry, name, field: fields.file }, path: file });
  if (fields.key) {
    if (typeof body[`${fields.key}-data`] === 'string' || typeof body[fields.key] === 'string')
      out.privateKeys++;
  }
}

function addEmbedded(
  out: KubeconfigResult,
  ref: KubeconfigRef,
  bytes: Uint8Array,
  where: string,
): void {
  const text = Buffer.from(bytes).toString('latin1');
  if (!text.includes('-----BEGIN ')) {
    // Kubernetes expects PEM here; accept a bare DER certificate rather than hide it.
    out.certs.push({ ref, index: 0, der: bytes });
    return;
  }
  const pem = parsePem(text);
  for (const p of pem.problems)
    out.problems.push(pemProblemToKubeconfig(p, `${where} ${ref.field}`));
  let index = 0;
  for (const block of pem.blocks) {
    if (block.label.endsWith('PRIVATE KEY')) out.privateKeys++;
    else out.certs.push({ ref, index: index++, der: block.der });
  }
}
