// Which node paths a container mount leads to are worth following for certificates. Pure.

import type { MountEntry } from '../ports.js';

/** System trust stores: hundreds of public CAs, summarised as one line, never listed one by one. */
const TRUST_STORES = [
  '/etc/ssl/certs',
  '/etc/ssl',
  '/usr/share/ca-certificates',
  '/etc/pki/ca-trust',
  '/etc/pki/tls/certs',
  '/etc/ca-certificates',
  '/usr/local/share/ca-certificates',
];

const under = (path: string, dir: string): boolean => path === dir || path.startsWith(`${dir}/`);

export function isTrustStore(path: string): boolean {
  return TRUST_STORES.some((d) => under(path, d));
}

/**
 * Node directories never walked for certificates: kernel modules, logs, device and pseudo file
 * systems, container stores (thousands of layer files), sockets and locks. Kubelet's pod volume
 * directories are skipped too — every pod's service-account volume holds the cluster CA, and
 * kubelet swaps those volumes atomically — except `volume-subpaths` (a subPath mount pins one file
 * the way a single-file hostPath does).
 */
const NOT_FOLLOWED = [
  '/proc',
  '/sys',
  '/dev',
  '/lib/modules',
  '/usr/lib/modules',
  '/var/log',
  '/var/lib/containerd',
  '/var/lib/docker',
  '/var/lib/containers',
  '/run/containerd',
  '/run/k3s/containerd',
];

export function shouldFollow(path: string): boolean {
  if (path === '/' || path === '') return false;
  if (isTrustStore(path)) return false;
  if (path.startsWith('/var/lib/kubelet/pods/'))
    return /^\/var\/lib\/kubelet\/pods\/[^/]+\/volume-subpaths\//.test(path);
  return !NOT_FOLLOWED.some((d) => under(path, d));
}

/** The mount that a path lives on: the longest mount point that is a prefix of it (last wins). */
export function mountFor(mounts: readonly MountEntry[], path: string): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const m of mounts) {
    const mp = m.mountPoint;
    const under = path === mp || mp === '/' || path.startsWith(mp.endsWith('/') ? mp : `${mp}/`);
    if (under && (!best || mp.length >= best.mountPoint.length)) best = m;
  }
  return best;
}
