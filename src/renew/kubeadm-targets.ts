// What `kubeadm certs renew all` renews (cmd/kubeadm/app/phases/certs/renewal/manager.go,
// v1.36): the control plane's leaf certificates under the certificates directory, each signed by
// its CA there, and the client certificates embedded in four kubeconfigs, signed by `ca`. Names
// are kubeadm's own (they are what `kubeadm certs check-expiration` prints), in its order.
// Never a CA, never kubelet's own client certificate (kubelet rotates that).

export interface KubeadmTarget {
  /** kubeadm's name: `apiserver`, `etcd-peer`, `admin.conf` */
  name: string;
  kind: 'pki' | 'kubeconfig';
  /** certificate (pki) or kubeconfig (kubeconfig) path, relative to its directory */
  file: string;
  /** the CA's base name in the certificates directory: `ca`, `etcd/ca`, `front-proxy-ca` */
  ca: string;
  /** the CA as check-expiration names it: `ca`, `etcd-ca`, `front-proxy-ca` */
  caName: string;
}

const pki = (name: string, base: string, ca: string, caName: string): KubeadmTarget => ({
  name,
  kind: 'pki',
  file: `${base}.crt`,
  ca,
  caName,
});
const conf = (name: string): KubeadmTarget => ({
  name,
  kind: 'kubeconfig',
  file: name,
  ca: 'ca',
  caName: 'ca',
});

export const KUBEADM_TARGETS: readonly KubeadmTarget[] = [
  conf('admin.conf'),
  pki('apiserver', 'apiserver', 'ca', 'ca'),
  pki('apiserver-etcd-client', 'apiserver-etcd-client', 'etcd/ca', 'etcd-ca'),
  pki('apiserver-kubelet-client', 'apiserver-kubelet-client', 'ca', 'ca'),
  conf('controller-manager.conf'),
  pki('etcd-healthcheck-client', 'etcd/healthcheck-client', 'etcd/ca', 'etcd-ca'),
  pki('etcd-peer', 'etcd/peer', 'etcd/ca', 'etcd-ca'),
  pki('etcd-server', 'etcd/server', 'etcd/ca', 'etcd-ca'),
  pki('front-proxy-client', 'front-proxy-client', 'front-proxy-ca', 'front-proxy-ca'),
  conf('scheduler.conf'),
  conf('super-admin.conf'),
];

export interface KubeadmDirs {
  /** kubeadm's certificatesDir, a node path (default /etc/kubernetes/pki) */
  certDir: string;
  /** where the kubeconfigs live, a node path (default /etc/kubernetes) */
  kubeconfigDir: string;
}

export interface TargetPaths {
  /** the certificate file or the kubeconfig */
  cert: string;
  /** the private key file (pki only; a kubeconfig embeds its key) */
  key?: string;
  caCert: string;
  caKey: string;
}

export function pathsOf(t: KubeadmTarget, dirs: KubeadmDirs): TargetPaths {
  const caBase = `${dirs.certDir}/${t.ca}`;
  const common = { caCert: `${caBase}.crt`, caKey: `${caBase}.key` };
  if (t.kind === 'kubeconfig') return { cert: `${dirs.kubeconfigDir}/${t.file}`, ...common };
  const base = `${dirs.certDir}/${t.file.replace(/\.crt$/, '')}`;
  return { cert: `${base}.crt`, key: `${base}.key`, ...common };
}

/** kubelet's client certificate: checked and reported, never renewed (kubelet rotates it). */
export const KUBELET_CLIENT_CERT = '/var/lib/kubelet/pki/kubelet-client-current.pem';
