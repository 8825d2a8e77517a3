// Whether widening a single-file mount to its directory would expose other credentials: private
// keys, certificates, kubeconfigs and tokens the pod does not already mount. On a node the caller
// lists the directory (recursively: a directory mount exposes everything below it); without a
// listing (auditing files from a repository), directories known to be shared by several
// components count as holding others' keys, and only directories known to belong to one
// component count as safe.

import type { AuditContext } from './types.js';
import { looksLikeCertFile } from './rotation.js';

/** Directories that hold more than one component's credentials on the distributions we know. */
const SHARED = [
  '/var/lib/rancher/rke2/agent', // client-kubelet.key, serving-kubelet.key, kubelet.kubeconfig…
  '/var/lib/rancher/k3s/agent',
  '/var/lib/rancher/rke2/server',
  '/var/lib/rancher/k3s/server',
  '/var/lib/kubelet', // pki/kubelet-client-current.pem (kubelet's key)
  '/etc/kubernetes', // admin.conf, pki/ca.key
  '/srv/kubernetes', // kops: CA and server keys
  '/etc/srv/kubernetes',
];
/** Directories that belong to one component (kops ≥ 1.36 mounts /var/lib/kube-proxy whole). */
const DEDICATED = [
  '/var/lib/kube-proxy',
  '/var/lib/kube-scheduler',
  '/var/lib/kube-controller-manager',
];

const CREDENTIAL = /(token|credentials?|secret|\.key|\.p12|\.pfx|\.jks)$/i;

export function looksLikeCredential(path: string): boolean {
  return looksLikeCertFile(path) || CREDENTIAL.test(path);
}

const within = (p: string, dir: string): boolean =>
  p === dir || p.startsWith(dir === '/' ? '/' : `${dir}/`);

/**
 * Credentials in `dir` (or below it) other than `mounted`; `['…']`-style sentences when the
 * directory is unknown and unlisted. Empty means the directory may be mounted.
 */
export function otherCredentials(
  dir: string,
  mounted: readonly string[],
  ctx: AuditContext,
): string[] {
  const listing = ctx.listDir?.(dir);
  if (listing)
    return listing
      .map((rel) => `${dir === '/' ? '' : dir}/${rel}`)
      .filter((p) => looksLikeCredential(p) && !mounted.includes(p))
      .map((p) => p.slice(dir.length + 1))
      .sort();
  if (DEDICATED.includes(dir)) return [];
  if (SHARED.some((s) => within(s, dir) || within(dir, s)))
    return ['credentials of other components (kubelet, the control plane)'];
  return ['files that could not be checked (run certdrift on the node to list them)'];
}
