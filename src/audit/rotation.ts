// How a node file gets rotated decides whether a single-file bind mount of it goes stale.
//  rename   — written as temp + rename (kops nodeup, kubelet's pki symlink swap): a file bind mount
//             keeps the old inode → the container goes stale.
//  in-place — rewritten in the same inode (kubeadm `certs renew` for /etc/kubernetes/*.conf and
//             pki/): the bind mount sees the new bytes; only a restart is needed.
//  unknown  — anything else that looks like a certificate, key or kubeconfig.

export type Rotation = 'rename' | 'in-place' | 'unknown';

const RENAME = [
  /^\/var\/lib\/kube-proxy\//,
  /^\/var\/lib\/kubelet\/(kubeconfig|pki\/)/,
  /^\/(etc\/)?srv\/kubernetes\//,
  /^\/var\/lib\/kube-(scheduler|controller-manager)\//,
  /^\/var\/lib\/rancher\//,
];
const IN_PLACE = [/^\/etc\/kubernetes\/[^/]+\.conf$/, /^\/etc\/kubernetes\/pki\//];
const CERTISH = /(^|\/)(kubeconfig|[^/]+\.kubeconfig|[^/]+\.(crt|pem|key|cer|der|conf))$/;

export function looksLikeCertFile(path: string): boolean {
  return CERTISH.test(path);
}

export function rotationOf(path: string): Rotation {
  if (IN_PLACE.some((r) => r.test(path))) return 'in-place';
  if (RENAME.some((r) => r.test(path))) return 'rename';
  return 'unknown';
}

export function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

export function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}
