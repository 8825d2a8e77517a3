import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CertFacts } from '../model/index.js';
import { classifyComponent } from './component.js';

function facts(over: Partial<CertFacts>): CertFacts {
  return {
    subject: '',
    commonName: '',
    organizations: [],
    issuer: '',
    sans: [],
    serial: '01',
    fingerprintSha256: '',
    notBefore: new Date(0),
    notAfter: new Date(0),
    isCA: false,
    selfSigned: false,
    extKeyUsage: [],
    ...over,
  };
}

const cases: [string, Partial<CertFacts>, string, string][] = [
  [
    'AKS kubelet serving',
    { commonName: 'aks-node-1' },
    '/etc/kubernetes/certs/kubeletserver.crt',
    'kubelet-serving',
  ],
  [
    'AKS kubelet client',
    { commonName: 'client' },
    '/etc/kubernetes/certs/client.crt',
    'kubelet-client',
  ],
  [
    'AKS apiserver copy',
    { commonName: 'apiserver' },
    '/etc/kubernetes/certs/apiserver.crt',
    'apiserver',
  ],
  ['another client.crt is no kubelet', { commonName: 'x' }, '/opt/app/client.crt', 'other'],
  [
    'GKE bootstrap kubelet.crt (client usage)',
    { commonName: 'kubelet', extKeyUsage: ['clientAuth'] },
    '/etc/srv/kubernetes/pki/kubelet.crt',
    'kubelet-client',
  ],
  [
    'kubeadm self-signed kubelet.crt (serving usage)',
    { commonName: 'cp-1@1764000000', extKeyUsage: ['serverAuth'] },
    '/var/lib/kubelet/pki/kubelet.crt',
    'kubelet-serving',
  ],
  [
    'Talos apiserver etcd client',
    { commonName: 'kube-apiserver' },
    '/system/secrets/kubernetes/kube-apiserver/etcd-client.crt',
    'apiserver-etcd-client',
  ],
  [
    'CA wins over everything',
    { isCA: true, commonName: 'system:kube-proxy' },
    '/x/kube-proxy.crt',
    'ca',
  ],
  [
    'kubelet client by CN',
    { commonName: 'system:node:n1', extKeyUsage: ['clientAuth'] },
    '/var/lib/kubelet/kubeconfig',
    'kubelet-client',
  ],
  [
    'kubelet serving by CN + serverAuth only',
    { commonName: 'system:node:n1', extKeyUsage: ['serverAuth'] },
    '/x.crt',
    'kubelet-serving',
  ],
  [
    'kube-proxy by CN inside any kubeconfig',
    { commonName: 'system:kube-proxy' },
    '/var/lib/kube-proxy/kubeconfig',
    'kube-proxy',
  ],
  [
    'scheduler',
    { commonName: 'system:kube-scheduler' },
    '/etc/kubernetes/scheduler.conf',
    'scheduler',
  ],
  [
    'controller-manager',
    { commonName: 'system:kube-controller-manager' },
    '/x',
    'controller-manager',
  ],
  [
    'kubeadm apiserver-kubelet-client',
    { commonName: 'kube-apiserver-kubelet-client' },
    '/x',
    'apiserver-kubelet-client',
  ],
  [
    'etcd server by path',
    { commonName: 'cp-1' },
    '/etc/kubernetes/pki/etcd/server.crt',
    'etcd-server',
  ],
  ['etcd peer by path', { commonName: 'cp-1' }, '/etc/kubernetes/pki/etcd/peer.crt', 'etcd-peer'],
  [
    'k3s serving-kubelet by path',
    { commonName: 'k3s-1' },
    '/var/lib/rancher/k3s/agent/serving-kubelet.crt',
    'kubelet-serving',
  ],
  [
    'kops kubelet-server by path',
    { commonName: 'kubelet' },
    '/srv/kubernetes/kubelet-server.crt',
    'kubelet-serving',
  ],
  [
    'self-signed kubelet.crt',
    { commonName: 'n1@1700000000' },
    '/var/lib/kubelet/pki/kubelet.crt',
    'kubelet-serving',
  ],
  [
    'apiserver by SAN',
    { commonName: 'whatever', sans: ['DNS:kubernetes.default'] },
    '/x.crt',
    'apiserver',
  ],
  [
    'admin by O system:masters',
    { commonName: 'me', organizations: ['system:masters'] },
    '/x.crt',
    'admin',
  ],
  ['unknown stays other', { commonName: 'my-webhook' }, '/opt/webhook/tls.crt', 'other'],
];
for (const [name, f, path, want] of cases) {
  test(name, () => assert.equal(classifyComponent(facts(f), path), want));
}
