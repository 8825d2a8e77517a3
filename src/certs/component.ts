// Which component a certificate belongs to, from its subject and usages first (they survive
// being embedded in a kubeconfig), then from the file name (kubeadm, kops, k3s/RKE2 layouts).

import type { CertFacts, Component } from '../model/index.js';

const BY_COMMON_NAME: readonly [RegExp, Component][] = [
  [/^system:kube-proxy$/, 'kube-proxy'],
  [/^system:kube-scheduler$/, 'scheduler'],
  [/^system:kube-controller-manager$/, 'controller-manager'],
  [/^(kube-)?apiserver-kubelet-client$/, 'apiserver-kubelet-client'], // kubeadm, Talos
  [/^kube-apiserver-etcd-client$/, 'apiserver-etcd-client'],
  [/^front-proxy-client$/, 'front-proxy-client'],
  [/^kube-etcd-healthcheck-client$/, 'etcd-client'],
  [/^kops-controller$/, 'kops-controller'],
  [/^(kubernetes-admin|kubernetes-super-admin|system:admin)$/, 'admin'],
];

// Tested against the base name and the parent directory (etcd/server.crt).
const BY_PATH: readonly [RegExp, Component][] = [
  [/apiserver-kubelet-client|client-kube-apiserver/, 'apiserver-kubelet-client'],
  [/kubelet-client|client-kubelet|^certs\/client\.crt$/, 'kubelet-client'], // AKS certs/client.crt
  [/kubelet-?server|serving-kubelet|(^|\/)kubelet\.crt$/, 'kubelet-serving'], // AKS kubeletserver.crt
  [/kube-?proxy/, 'kube-proxy'],
  [/apiserver-etcd-client|^kube-apiserver\/etcd-client\.(crt|pem)$/, 'apiserver-etcd-client'], // Talos
  [/etcd\/(server|server-client)\.(crt|pem)$/, 'etcd-server'],
  [/etcd\/(peer|peer-server-client)\.(crt|pem)$/, 'etcd-peer'],
  [/etcd\/(healthcheck-client|client)\.(crt|pem)$/, 'etcd-client'],
  [/front-proxy-client|client-auth-proxy/, 'front-proxy-client'],
  [/scheduler/, 'scheduler'],
  [/controller-manager|client-controller/, 'controller-manager'],
  [/kops-controller/, 'kops-controller'],
  [/apiserver|serving-kube-apiserver/, 'apiserver'],
  [/(^|\/)(admin|super-admin)\.conf$|client-admin/, 'admin'],
];

export function classifyComponent(facts: CertFacts, path: string): Component {
  if (facts.isCA) return 'ca';
  const cn = facts.commonName;
  if (cn.startsWith('system:node:')) {
    const serving =
      facts.extKeyUsage.includes('serverAuth') && !facts.extKeyUsage.includes('clientAuth');
    return serving ? 'kubelet-serving' : 'kubelet-client';
  }
  for (const [re, component] of BY_COMMON_NAME) if (re.test(cn)) return component;
  const tail = path.split('/').slice(-2).join('/');
  // GKE's /etc/srv/kubernetes/pki/kubelet.crt is the bootstrap *client* certificate, where
  // kubeadm's /var/lib/kubelet/pki/kubelet.crt is a serving one: the usages tell them apart.
  if (
    tail.endsWith('/kubelet.crt') &&
    facts.extKeyUsage.includes('clientAuth') &&
    !facts.extKeyUsage.includes('serverAuth')
  )
    return 'kubelet-client';
  for (const [re, component] of BY_PATH) if (re.test(tail)) return component;
  if (facts.organizations.includes('system:masters')) return 'admin';
  if (
    facts.sans.includes('DNS:kubernetes.default') ||
    facts.sans.includes('DNS:kubernetes.default.svc')
  ) {
    return 'apiserver';
  }
  return 'other';
}
