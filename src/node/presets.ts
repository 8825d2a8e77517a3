// Known certificate locations per Kubernetes distribution, and how to tell which ones a host
// is. Sources: kops nodeup (/srv/kubernetes, /var/lib/<component>/kubeconfig), kubeadm
// (/etc/kubernetes/pki, *.conf), k3s/RKE2 (/var/lib/rancher/<dist>/{server,agent}), managed
// nodes (docs/domain.md §6: EKS /etc/eks + /var/lib/kubelet, GKE /etc/srv/kubernetes/pki +
// /home/kubernetes, AKS /etc/kubernetes/certs + azure.json), Talos (siderolabs/talos
// internal/pkg/constants/constants.go: /system/secrets/kubernetes/<component>,
// /system/secrets/kubelet, /etc/kubernetes/kubeconfig-kubelet, /etc/kubernetes/pki).
// Patterns stay narrow on purpose: k3s's agent/ also holds containerd's image store.
// Several distributions share markers (EKS and Talos have /etc/kubernetes/pki/ca.crt like
// kubeadm; GKE runs kube-proxy from kube-proxy.manifest like kops): `unless` lists the markers
// of the others that rule a preset out.

export interface Preset {
  name: string;
  summary: string;
  /** any of these existing means the host is this distribution… */
  detect: string[];
  /** …unless one of these exists (another distribution that shares a marker) */
  unless?: string[];
  paths: string[];
}

const rancher = (dist: 'k3s' | 'rke2'): Preset => ({
  name: dist,
  summary: `${dist === 'k3s' ? 'k3s' : 'RKE2'} server and agent certificates and kubeconfigs`,
  detect: [`/var/lib/rancher/${dist}`, `/etc/rancher/${dist}`],
  paths: [
    `/var/lib/rancher/${dist}/server/tls/**/*.{crt,pem}`,
    `/var/lib/rancher/${dist}/server/cred/*.kubeconfig`,
    `/var/lib/rancher/${dist}/agent/*.{crt,pem,kubeconfig}`,
    `/etc/rancher/${dist}/${dist}.yaml`,
  ],
});

const EKS_MARKERS = ['/etc/eks'];
const GKE_MARKERS = ['/etc/srv/kubernetes/pki', '/home/kubernetes/kube-env'];
const AKS_MARKERS = ['/etc/kubernetes/azure.json', '/etc/kubernetes/certs/kubeletserver.crt'];
const TALOS_MARKERS = [
  '/system/secrets/kubernetes',
  '/system/secrets/kubelet',
  '/etc/kubernetes/kubeconfig-kubelet',
];
/** The kubelet's own files on every node that runs kubelet TLS bootstrap. */
const KUBELET = [
  '/var/lib/kubelet/pki/*.{crt,pem}',
  '/var/lib/kubelet/{kubeconfig,bootstrap-kubeconfig}',
];

export const PRESETS: readonly Preset[] = [
  {
    name: 'kops',
    summary: 'kops nodeup and kops-controller certificates, component kubeconfigs',
    detect: [
      '/srv/kubernetes',
      '/etc/srv/kubernetes',
      '/etc/kubernetes/manifests/kube-proxy.manifest',
    ],
    unless: GKE_MARKERS,
    paths: [
      '/srv/kubernetes/**/*.{crt,pem}',
      '/srv/kubernetes/**/kubeconfig',
      '/etc/srv/kubernetes/**/*.{crt,pem}',
      '/var/lib/{kube-proxy,kubelet,kube-scheduler,kube-controller-manager}/kubeconfig',
      '/var/lib/kubelet/pki/*.{crt,pem}',
      '/etc/kubernetes/kops-controller/**/*.{crt,pem}',
      '/etc/kubernetes/pki/**/*.{crt,pem}',
    ],
  },
  {
    name: 'kubeadm',
    summary: 'kubeadm PKI, kubeconfigs and kubelet certificates',
    detect: [
      '/etc/kubernetes/pki/ca.crt',
      '/etc/kubernetes/admin.conf',
      '/etc/kubernetes/kubelet.conf',
    ],
    unless: [...EKS_MARKERS, ...AKS_MARKERS, ...TALOS_MARKERS],
    paths: [
      '/etc/kubernetes/pki/**/*.{crt,pem}',
      '/etc/kubernetes/*.conf',
      '/var/lib/kubelet/pki/*.{crt,pem}',
    ],
  },
  rancher('k3s'),
  rancher('rke2'),
  {
    name: 'eks',
    summary: 'EKS nodes: kubelet certificates (TLS bootstrap, serving via CSR), cluster CA',
    detect: EKS_MARKERS,
    paths: [...KUBELET, '/etc/kubernetes/pki/*.{crt,pem}'],
  },
  {
    name: 'gke',
    summary: 'GKE nodes: /etc/srv/kubernetes/pki (cluster CA, bootstrap client), kubelet PKI',
    detect: GKE_MARKERS,
    paths: [...KUBELET, '/etc/srv/kubernetes/pki/*.{crt,pem}', '/var/lib/kube-proxy/kubeconfig'],
  },
  {
    name: 'aks',
    summary: 'AKS nodes: /etc/kubernetes/certs (CA, kubelet client and serving, apiserver)',
    detect: AKS_MARKERS,
    paths: [...KUBELET, '/etc/kubernetes/certs/*.{crt,pem}'],
  },
  {
    name: 'talos',
    summary: 'Talos: control-plane secrets, kubelet PKI and its copy, kubelet kubeconfigs',
    detect: TALOS_MARKERS,
    paths: [
      ...KUBELET,
      '/system/secrets/kubernetes/*/*.{crt,pem}',
      '/system/secrets/kubernetes/*/kubeconfig',
      '/system/secrets/{kubelet,etcd}/*.{crt,pem}',
      '/etc/kubernetes/pki/**/*.{crt,pem}',
      '/etc/kubernetes/{kubeconfig-kubelet,bootstrap-kubeconfig}',
    ],
  },
  {
    name: 'generic',
    summary: 'common kubelet and kube-proxy locations on any distribution',
    detect: [],
    paths: [
      '/etc/kubernetes/**/*.{crt,pem,conf,kubeconfig}',
      '/var/lib/kubelet/pki/*.{crt,pem}',
      '/var/lib/{kubelet,kube-proxy}/kubeconfig',
    ],
  },
];

export function presetByName(name: string): Preset | undefined {
  return PRESETS.find((p) => p.name === name);
}

/** Distribution presets whose markers exist on the host; `generic` always applies. */
export async function detectPresets(host: {
  exists(path: string): Promise<boolean>;
}): Promise<Preset[]> {
  const any = async (paths: readonly string[]): Promise<boolean> =>
    (await Promise.all(paths.map((d) => host.exists(d)))).some(Boolean);
  const found: Preset[] = [];
  for (const p of PRESETS) {
    if (p.detect.length === 0) found.push(p);
    else if ((await any(p.detect)) && !(await any(p.unless ?? []))) found.push(p);
  }
  return found;
}
