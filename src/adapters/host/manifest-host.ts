// What `audit` and `fix` need from the node around a manifest: the static-pod directory of the
// node's distribution, the file a (possibly symlinked) manifest really is inside the host root,
// and the files under a node directory (to know what a directory mount would expose).

import { readdirSync } from 'node:fs';
import type { Reason } from '../../model/reasons.js';
import { HostFiles } from './host-files.js';
import { detectPresets } from '../../node/presets.js';
import type { ManifestEntry } from '../../fix/ports.js';

/** kubelet's static-pod directory per distribution (kubelet --pod-manifest-path). */
const STATIC_POD_DIRS: Readonly<Record<string, string>> = {
  kops: '/etc/kubernetes/manifests',
  kubeadm: '/etc/kubernetes/manifests',
  k3s: '/var/lib/rancher/k3s/agent/pod-manifests',
  rke2: '/var/lib/rancher/rke2/agent/pod-manifests',
};
const DEFAULT_DIR = '/etc/kubernetes/manifests';

const inRoot = (root: string, p: string): string =>
  root === '/' ? p : `${root.replace(/\/+$/, '')}${p}`;

/** The static-pod directories of the distributions detected under `hostRoot` (real paths). */
export async function staticPodDirs(hostRoot: string): Promise<string[]> {
  const presets = await detectPresets(new HostFiles(hostRoot.replace(/\/+$/, '') || '/'));
  const dirs = [
    ...new Set(presets.flatMap((p) => (STATIC_POD_DIRS[p.name] ? [STATIC_POD_DIRS[p.name]] : []))),
  ];
  return (dirs.length > 0 ? dirs : [DEFAULT_DIR]).map((d) => inRoot(hostRoot, d as string));
}

/**
 * The real path of the file `realPath` names, its symbolic links resolved inside the host root
 * (an absolute target `/x` means `<root>/x`). Undefined with a reason when it leaves nothing to
 * write: a dangling link, a loop, not a regular file.
 */
export async function manifestTarget(
  hostRoot: string,
  realPath: string,
): Promise<{ ok: true; path: string } | { ok: false; message: string }> {
  const root = hostRoot.replace(/\/+$/, '') || '/';
  const under = root === '/' || realPath.startsWith(`${root}/`);
  const host = new HostFiles(under ? root : '/');
  const r = await host.resolve(under && root !== '/' ? realPath.slice(root.length) : realPath);
  if (!r.ok) return { ok: false, message: r.message };
  if (r.kind !== 'file') return { ok: false, message: `${realPath} is not a regular file` };
  return { ok: true, path: host.real(r.path) };
}

/** Files below a node directory, relative, depth-first, at most `max` (then undefined: unknown). */
export function listNodeDir(hostRoot: string, dir: string, max = 2000): string[] | undefined {
  const out: string[] = [];
  const walk = (real: string, rel: string): boolean => {
    let entries;
    try {
      entries = readdirSync(real, { withFileTypes: true });
    } catch (err) {
      // A directory that does not exist exposes nothing; one we cannot read is unknown.
      return (err as NodeJS.ErrnoException).code === 'ENOENT' && rel === '';
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!walk(`${real}/${e.name}`, r)) return false;
      } else out.push(r);
      if (out.length > max) return false;
    }
    return true;
  };
  return walk(inRoot(hostRoot, dir), '') ? out : undefined;
}

const MANIFEST = /\.(ya?ml|json|manifest)$/;

/**
 * The manifests in `paths` (files, or directories read the way kubelet reads its static-pod
 * directory: one level, dot files ignored), each with its in-root target. Never throws.
 */
export async function findManifests(
  hostRoot: string,
  paths: readonly string[],
): Promise<ManifestEntry[]> {
  const out: ManifestEntry[] = [];
  for (const p of paths) {
    let names: string[] | undefined;
    try {
      const resolved = await resolveDir(hostRoot, p);
      if (!resolved.ok) {
        // the reason in words: the OS message names syscalls and real paths (`lstat '/x/etc'`)
        out.push(
          resolved.reason === 'not_found'
            ? { path: p, problem: 'no such file or directory', missing: true }
            : { path: p, problem: resolved.message },
        );
        continue;
      }
      names = resolved.dir !== undefined ? readdirSync(resolved.dir).sort() : undefined;
    } catch (err) {
      out.push({ path: p, problem: err instanceof Error ? err.message : String(err) });
      continue;
    }
    const files = names
      ? names
          .filter((n) => !n.startsWith('.') && MANIFEST.test(n))
          .map((n) => `${p.replace(/\/+$/, '')}/${n}`)
      : [p];
    for (const f of files) {
      const t = await manifestTarget(hostRoot, f);
      out.push(t.ok ? { path: f, target: t.path } : { path: f, problem: t.message });
    }
  }
  return out;
}

/** The real path of directory `p` (links resolved inside the root); `dir` undefined: not a directory. */
async function resolveDir(
  hostRoot: string,
  p: string,
): Promise<{ ok: true; dir?: string } | { ok: false; reason: Reason; message: string }> {
  const root = hostRoot.replace(/\/+$/, '') || '/';
  const under = root === '/' || p.startsWith(`${root}/`);
  const host = new HostFiles(under ? root : '/');
  const r = await host.resolve(under && root !== '/' ? p.slice(root.length) : p);
  if (!r.ok) return { ok: false, reason: r.reason, message: r.message };
  return r.kind === 'dir' ? { ok: true, dir: host.real(r.path) } : { ok: true };
}
