// Finds and reads manifest files: named files, directories (recursively: *.yaml, *.yml, *.json,
// kops *.manifest) and `-` for standard input, for `audit`; and a node's static pods through the
// confined NodeFiles reader, for the scan's usage facts and the served-certificate probe.
// Unreadable files are problems, not exceptions. Bounded: a directory is entered once (by device
// and inode, so links like `a -> .` cannot loop), at most MAX_MANIFESTS files of at most
// MAX_MANIFEST_BYTES each are read.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeFiles } from './index.js';

/** manifests read per command or scan; a node has a handful of static pods */
export const MAX_MANIFESTS = 1000;
/** bytes per manifest: a pod spec is a few kilobytes */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** Static pod directories when kubelet's config does not name one. */
export const STATIC_POD_DIRS = [
  '/etc/kubernetes/manifests',
  '/var/lib/rancher/k3s/agent/pod-manifests',
  '/var/lib/rancher/rke2/agent/pod-manifests',
];

/**
 * The static pod manifests in `dirs` (node paths), read the way kubelet reads its static-pod
 * directory — one level, *.yaml, *.yml, *.json, *.manifest — through the confined reader: links
 * resolve inside the host root, sizes and counts are capped.
 */
export async function readStaticPodManifests(
  files: NodeFiles,
  dirs: readonly string[],
  maxFileSize: number,
): Promise<ManifestText[]> {
  const found = await files.discover(
    dirs.map((d) => ({ glob: `${d}/*.{yaml,yml,json,manifest}`, origin: 'static-pods' })),
    { excludes: [], maxEntries: MAX_MANIFESTS },
  );
  const out: ManifestText[] = [];
  for (const f of found.files.slice(0, MAX_MANIFESTS)) {
    const r = await files.read(f.path, Math.min(maxFileSize, MAX_MANIFEST_BYTES));
    if (r.ok) out.push({ path: f.path, text: r.bytes.toString('utf8') });
  }
  return out;
}

export interface ManifestText {
  path: string;
  text: string;
}

const MANIFEST = /\.(ya?ml|json|manifest)$/;

export function readManifestFiles(
  paths: readonly string[],
  stdin: () => string,
): { files: ManifestText[]; problems: { path: string; message: string }[] } {
  const files: ManifestText[] = [];
  const problems: { path: string; message: string }[] = [];
  // directories entered, by device and inode: a link back up (`a -> .`) is entered once
  const entered = new Set<string>();
  let capped = false;
  const visit = (p: string, named: boolean): void => {
    if (files.length >= MAX_MANIFESTS) {
      if (!capped)
        problems.push({
          path: p,
          message: `more than ${MAX_MANIFESTS} manifests; the rest not read`,
        });
      capped = true;
      return;
    }
    try {
      const st = statSync(p);
      if (st.isDirectory()) {
        const id = `${st.dev}:${st.ino}`;
        if (entered.has(id)) return;
        entered.add(id);
        for (const e of readdirSync(p).sort()) if (!e.startsWith('.')) visit(join(p, e), false);
      } else if (named || MANIFEST.test(p)) {
        if (st.size > MAX_MANIFEST_BYTES)
          throw new Error(`${p} is ${st.size} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`);
        files.push({ path: p, text: readFileSync(p, 'utf8') });
      }
    } catch (err) {
      problems.push({ path: p, message: err instanceof Error ? err.message : String(err) });
    }
  };
  for (const p of paths) {
    if (p === '-') files.push({ path: '<stdin>', text: stdin() });
    else visit(p, true);
  }
  return { files, problems };
}
