// A node's static pod manifests, read through the confined NodeFiles port: for the scan's usage
// facts and the served-certificate probe. Bounded: at most MAX_MANIFESTS files of at most
// MAX_MANIFEST_BYTES each; links resolve inside the host root (the port's rule).

import { MAX_MANIFESTS, MAX_MANIFEST_BYTES } from '../../model/manifest-limits.js';
import type { NodeFiles } from '../ports.js';

export interface ManifestText {
  path: string;
  text: string;
}

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
