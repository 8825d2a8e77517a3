// The node's files as `certdrift renew` needs them, read inside the host root: each path's state
// (absent, unreadable, or its bytes and digest) for planning, and private keys — loaded into
// KeyObjects only when signing, never kept as text. A symbolic link is refused (kubeadm writes
// regular files; a link would make the atomic replace write somewhere else).

import { createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import { lstatSync, readFileSync } from 'node:fs';
import type { FileFacts } from '../../renew/plan-kubeadm.js';

export const inRoot = (hostRoot: string, nodePath: string): string =>
  hostRoot === '/' ? nodePath : `${hostRoot.replace(/\/+$/, '')}${nodePath}`;

const MAX_BYTES = 1 << 20;

export function readFacts(hostRoot: string, nodePath: string, keepBytes: boolean): FileFacts {
  const real = inRoot(hostRoot, nodePath);
  try {
    const st = lstatSync(real);
    if (st.isSymbolicLink()) return { state: 'unreadable', message: 'a symbolic link (refused)' };
    if (!st.isFile()) return { state: 'unreadable', message: 'not a regular file' };
    if (st.size > MAX_BYTES)
      return { state: 'unreadable', message: `larger than ${MAX_BYTES} bytes` };
    const bytes = readFileSync(real);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    return keepBytes ? { state: 'present', sha256, bytes } : { state: 'present', sha256 };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') return { state: 'absent' };
    return { state: 'unreadable', message: e.code ?? e.message };
  }
}

export function readAllFacts(
  hostRoot: string,
  paths: { certs: readonly string[]; keys: readonly string[] },
): Map<string, FileFacts> {
  const out = new Map<string, FileFacts>();
  for (const p of paths.certs) out.set(p, readFacts(hostRoot, p, true));
  for (const p of paths.keys) out.set(p, readFacts(hostRoot, p, false));
  return out;
}

export class FileChanged extends Error {
  override name = 'FileChanged';
}

/** A file's bytes, refusing when they are no longer what was planned. */
export function readPlanned(
  hostRoot: string,
  nodePath: string,
  sha256: string | undefined,
): Buffer {
  const bytes = readFileSync(inRoot(hostRoot, nodePath));
  if (sha256 !== undefined && createHash('sha256').update(bytes).digest('hex') !== sha256)
    throw new FileChanged(
      `${nodePath} changed since it was planned; nothing written — rerun to plan again`,
    );
  return bytes;
}

/** A private key file as a KeyObject (PEM, any of PKCS #1, SEC 1, PKCS #8). */
export function readPrivateKey(hostRoot: string, nodePath: string, sha256?: string): KeyObject {
  return createPrivateKey(readPlanned(hostRoot, nodePath, sha256));
}
