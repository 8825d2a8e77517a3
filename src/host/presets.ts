// Known certificate locations per Kubernetes distribution, and how to tell which ones a host
// is. Sources: kops nodeup (/srv/kubernetes, /var/lib/<component>/kubeconfig), kubeadm
// (/etc/kubernetes/pki, *.conf), k3s/RKE2 (/var/lib/rancher/<dist>/{server,agent}).
// Patterns stay narrow on purpose: k3s's agent/ also holds containerd's image store.

import type { HostFiles } from './host-files.js';

export interface Preset {
  name: string;
  summary: string;
  /** any of these existing means the host is this distribution */
  detect: string[];
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

export const PRESETS: readonly Preset[] = [
  {
    name: 'kops',
    summary: 'kops nodeup and kops-controller certificates, component kubeconfigs',
    detect: [
      '/srv/kubernetes',
      '/etc/srv/kubernetes',
      '/etc/kubernetes/manifests/kube-proxy.manifest',
    ],
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
    paths: [
      '/etc/kubernetes/pki/**/*.{crt,pem}',
      '/etc/kubernetes/*.conf',
      '/var/lib/kubelet/pki/*.{crt,pem}',
    ],
  },
  rancher('k3s'),
  rancher('rke2'),
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
export async function detectPresets(host: HostFiles): Promise<Preset[]> {
  const found: Preset[] = [];
  for (const p of PRESETS) {
    if (p.detect.length === 0) found.push(p);
    else if ((await Promise.all(p.detect.map((d) => host.exists(d)))).some(Boolean)) found.push(p);
  }
  return found;
}
