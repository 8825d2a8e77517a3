// The client credential a kubeadm kubeconfig embeds for its current context (what `kubeadm certs
// renew` rewrites: admin.conf, super-admin.conf, controller-manager.conf, scheduler.conf), read
// and replaced in place. The edit is surgical — only the base64 value of `client-certificate-data`
// (and of `client-key-data` for a new key) changes, every other byte of the file stays — and
// refuses when a value does not occur exactly once. Pure; private key data is located, never
// decoded or returned.

import { parseSimpleYaml } from '../certs/simple-yaml.js';

export interface KubeconfigCredential {
  /** users[].name of the current context */
  user: string;
  /** the client-certificate-data value as written */
  certData: string;
  /** the client-key-data value as written (not decoded here) */
  keyData?: string;
}

type Result<T> = { ok: true; value: T } | { ok: false; message: string };

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function named(list: unknown, name: string): Record<string, unknown> | undefined {
  if (!Array.isArray(list)) return undefined;
  const hit: unknown = list.find((x) => isRecord(x) && x.name === name);
  return isRecord(hit) ? hit : undefined;
}

export function readKubeconfigCredential(text: string): Result<KubeconfigCredential> {
  const doc = parseSimpleYaml(text);
  if (!doc.ok || !isRecord(doc.value))
    return { ok: false, message: 'not a kubeconfig in the plain form kubeadm writes' };
  const current = doc.value['current-context'];
  if (typeof current !== 'string') return { ok: false, message: 'no current-context' };
  const ctx = named(doc.value.contexts, current)?.context;
  const user = isRecord(ctx) ? ctx.user : undefined;
  if (typeof user !== 'string') return { ok: false, message: `context ${current} names no user` };
  const body = named(doc.value.users, user)?.user;
  if (!isRecord(body)) return { ok: false, message: `user ${user} is missing` };
  const cert = body['client-certificate-data'];
  if (typeof cert !== 'string' || cert === '')
    return { ok: false, message: `user ${user} has no embedded client certificate` };
  const key = body['client-key-data'];
  return {
    ok: true,
    value: { user, certData: cert, ...(typeof key === 'string' && key ? { keyData: key } : {}) },
  };
}

function occurrences(text: string, needle: string): number {
  let n = 0;
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length)) n++;
  return n;
}

/** The kubeconfig with the certificate (and optionally the key) data replaced, nothing else. */
export function replaceCredential(
  text: string,
  cred: KubeconfigCredential,
  certData: string,
  keyData?: string,
): Result<string> {
  const swaps: [string, string, string][] = [['client-certificate-data', cred.certData, certData]];
  if (keyData !== undefined) {
    if (!cred.keyData) return { ok: false, message: `user ${cred.user} has no embedded key` };
    swaps.push(['client-key-data', cred.keyData, keyData]);
  }
  let out = text;
  for (const [field, from, to] of swaps) {
    if (occurrences(out, from) !== 1)
      return { ok: false, message: `${field} of ${cred.user} does not occur exactly once` };
    out = out.replace(from, () => to);
  }
  return { ok: true, value: out };
}
