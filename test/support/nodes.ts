// Host trees laid out like real nodes, with certificates issued at test time:
//  - kops worker + control-plane files (nodeup paths, 455–485-day node certs, embedded kubeconfigs)
//  - kubeadm control plane (/etc/kubernetes/pki, *.conf, kubelet-client-current.pem symlink)
//  - k3s server (server/tls, agent certs, kubeconfigs that reference cert files)
// Each builder returns what it wrote so tests can assert every certificate is found.

import { readFileSync } from 'node:fs';
import { daysFrom, issue, type Issued } from './certs.js';
import { kubeconfig } from './kubeconfig.js';
import { HostTree } from './tree.js';

export const NOW = new Date('2026-11-25T12:00:00Z');

/** A manifest from test/fixtures/manifests, as kops or kubeadm renders it. */
function fixture(name: string): string {
  return readFileSync(new URL(`../fixtures/manifests/${name}`, import.meta.url), 'utf8');
}

export interface Expected {
  path: string;
  component: string;
  cn: string;
  notAfter: Date;
  /** for kubeconfig-embedded certificates */
  kubeconfigName?: string;
}

export interface BuiltNode {
  tree: HostTree;
  expected: Expected[];
}

function pair(c: Issued): string {
  return c.pem + c.keyPem;
}

/** A kops worker node issued `ageDays` ago with a `validDays` node-certificate lifetime. */
export async function buildKopsNode(
  opts: { ageDays?: number; validDays?: number } = {},
): Promise<BuiltNode> {
  const tree = new HostTree('certdrift-kops-');
  const issuedAt = daysFrom(NOW, -(opts.ageDays ?? 400));
  const validDays = opts.validDays ?? 470;
  const nb = new Date(issuedAt.getTime() - 48 * 3_600_000);
  const na = daysFrom(issuedAt, validDays);
  const ca = await issue({
    cn: 'kubernetes-ca',
    notBefore: daysFrom(NOW, -900),
    notAfter: daysFrom(NOW, 2750),
    isCA: true,
  });
  const node = 'i-0abc123def4567890';
  const proxy = await issue({
    cn: 'system:kube-proxy',
    notBefore: nb,
    notAfter: na,
    eku: ['clientAuth'],
    issuer: ca,
  });
  const kubelet = await issue({
    cn: `system:node:${node}`,
    o: ['system:nodes'],
    notBefore: nb,
    notAfter: daysFrom(na, 3),
    eku: ['clientAuth'],
    issuer: ca,
  });
  const server = await issue({
    cn: 'kubelet',
    notBefore: nb,
    notAfter: daysFrom(na, 5),
    eku: ['serverAuth'],
    sans: [`DNS:${node}`, 'IP:10.0.1.2'],
    issuer: ca,
  });
  tree.write('/srv/kubernetes/ca.crt', ca.pem);
  tree.write('/srv/kubernetes/kubelet-server.crt', server.pem);
  tree.write('/srv/kubernetes/kubelet-server.key', server.keyPem, 0o600);
  tree.write(
    '/var/lib/kube-proxy/kubeconfig',
    kubeconfig({ ca, cert: proxy, user: 'kube-proxy' }),
    0o400,
  );
  tree.write(
    '/var/lib/kubelet/kubeconfig',
    kubeconfig({ ca, cert: kubelet, user: 'kubelet' }),
    0o400,
  );
  // The static pod as kops 1.35 renders it: its --kubeconfig flag is how certdrift knows who
  // uses the kubeconfig (USED BY kube-proxy).
  tree.write(
    '/etc/kubernetes/manifests/kube-proxy.manifest',
    fixture('kops-1.35/kube-proxy.manifest'),
  );
  return {
    tree,
    expected: [
      {
        path: '/srv/kubernetes/ca.crt',
        component: 'ca',
        cn: 'kubernetes-ca',
        notAfter: ca.notAfter,
      },
      {
        path: '/srv/kubernetes/kubelet-server.crt',
        component: 'kubelet-serving',
        cn: 'kubelet',
        notAfter: daysFrom(na, 5),
      },
      {
        path: '/var/lib/kube-proxy/kubeconfig',
        component: 'kube-proxy',
        cn: 'system:kube-proxy',
        notAfter: na,
        kubeconfigName: 'kube-proxy',
      },
      {
        path: '/var/lib/kube-proxy/kubeconfig',
        component: 'ca',
        cn: 'kubernetes-ca',
        notAfter: ca.notAfter,
        kubeconfigName: 'local',
      },
      {
        path: '/var/lib/kubelet/kubeconfig',
        component: 'kubelet-client',
        cn: `system:node:${node}`,
        notAfter: daysFrom(na, 3),
        kubeconfigName: 'kubelet',
      },
      {
        path: '/var/lib/kubelet/kubeconfig',
        component: 'ca',
        cn: 'kubernetes-ca',
        notAfter: ca.notAfter,
        kubeconfigName: 'local',
      },
    ],
  };
}

export async function buildKubeadmNode(): Promise<BuiltNode> {
  const tree = new HostTree('certdrift-kubeadm-');
  const nb = daysFrom(NOW, -200);
  const leafEnd = daysFrom(NOW, 165);
  const expected: Expected[] = [];
  const ca = await issue({
    cn: 'kubernetes',
    notBefore: daysFrom(NOW, -200),
    notAfter: daysFrom(NOW, 3450),
    isCA: true,
  });
  const etcdCa = await issue({
    cn: 'etcd-ca',
    notBefore: daysFrom(NOW, -200),
    notAfter: daysFrom(NOW, 3450),
    isCA: true,
  });
  const fpCa = await issue({
    cn: 'front-proxy-ca',
    notBefore: daysFrom(NOW, -200),
    notAfter: daysFrom(NOW, 3450),
    isCA: true,
  });
  const put = async (
    path: string,
    component: string,
    cn: string,
    issuer: Issued,
    o: string[] = [],
    eku: ('serverAuth' | 'clientAuth')[] = ['clientAuth'],
  ): Promise<Issued> => {
    const c = await issue({ cn, o, notBefore: nb, notAfter: leafEnd, eku, issuer });
    tree.write(path, c.pem);
    tree.write(path.replace(/\.crt$/, '.key'), c.keyPem, 0o600);
    expected.push({ path, component, cn, notAfter: leafEnd });
    return c;
  };
  for (const [path, c, cn] of [
    ['/etc/kubernetes/pki/ca.crt', ca, 'kubernetes'],
    ['/etc/kubernetes/pki/etcd/ca.crt', etcdCa, 'etcd-ca'],
    ['/etc/kubernetes/pki/front-proxy-ca.crt', fpCa, 'front-proxy-ca'],
  ] as const) {
    tree.write(path, c.pem);
    expected.push({ path, component: 'ca', cn, notAfter: daysFrom(NOW, 3450) });
  }
  const apiserver = await issue({
    cn: 'kube-apiserver',
    notBefore: nb,
    notAfter: leafEnd,
    eku: ['serverAuth'],
    sans: ['DNS:kubernetes', 'DNS:kubernetes.default', 'IP:10.96.0.1'],
    issuer: ca,
  });
  tree.write('/etc/kubernetes/pki/apiserver.crt', apiserver.pem);
  expected.push({
    path: '/etc/kubernetes/pki/apiserver.crt',
    component: 'apiserver',
    cn: 'kube-apiserver',
    notAfter: leafEnd,
  });
  await put(
    '/etc/kubernetes/pki/apiserver-kubelet-client.crt',
    'apiserver-kubelet-client',
    'kube-apiserver-kubelet-client',
    ca,
    ['kubeadm:cluster-admins'],
  );
  await put(
    '/etc/kubernetes/pki/apiserver-etcd-client.crt',
    'apiserver-etcd-client',
    'kube-apiserver-etcd-client',
    etcdCa,
  );
  await put(
    '/etc/kubernetes/pki/front-proxy-client.crt',
    'front-proxy-client',
    'front-proxy-client',
    fpCa,
  );
  await put(
    '/etc/kubernetes/pki/etcd/server.crt',
    'etcd-server',
    'cp-1',
    etcdCa,
    [],
    ['serverAuth', 'clientAuth'],
  );
  await put(
    '/etc/kubernetes/pki/etcd/peer.crt',
    'etcd-peer',
    'cp-1',
    etcdCa,
    [],
    ['serverAuth', 'clientAuth'],
  );
  await put(
    '/etc/kubernetes/pki/etcd/healthcheck-client.crt',
    'etcd-client',
    'kube-etcd-healthcheck-client',
    etcdCa,
  );
  for (const [file, cn, o, component] of [
    ['admin.conf', 'kubernetes-admin', ['kubeadm:cluster-admins'], 'admin'],
    ['super-admin.conf', 'kubernetes-super-admin', ['system:masters'], 'admin'],
    ['controller-manager.conf', 'system:kube-controller-manager', [], 'controller-manager'],
    ['scheduler.conf', 'system:kube-scheduler', [], 'scheduler'],
  ] as const) {
    const c = await issue({
      cn,
      o: [...o],
      notBefore: nb,
      notAfter: leafEnd,
      eku: ['clientAuth'],
      issuer: ca,
    });
    const path = `/etc/kubernetes/${file}`;
    tree.write(path, kubeconfig({ ca, cert: c, user: cn }), 0o600);
    expected.push({ path, component, cn, notAfter: leafEnd, kubeconfigName: cn });
    expected.push({
      path,
      component: 'ca',
      cn: 'kubernetes',
      notAfter: daysFrom(NOW, 3450),
      kubeconfigName: 'local',
    });
  }
  // kubelet: rotated client cert+key file, reached through an absolute symlink and kubelet.conf.
  const kubeletEnd = daysFrom(NOW, 300);
  const kc = await issue({
    cn: 'system:node:cp-1',
    o: ['system:nodes'],
    notBefore: daysFrom(NOW, -65),
    notAfter: kubeletEnd,
    eku: ['clientAuth'],
    issuer: ca,
  });
  const rotated = '/var/lib/kubelet/pki/kubelet-client-2026-09-21-10-00-00.pem';
  tree.write(rotated, pair(kc), 0o600);
  tree.link('/var/lib/kubelet/pki/kubelet-client-current.pem', rotated);
  expected.push({
    path: rotated,
    component: 'kubelet-client',
    cn: 'system:node:cp-1',
    notAfter: kubeletEnd,
  });
  tree.write(
    '/etc/kubernetes/kubelet.conf',
    kubeconfig({
      ca,
      cert: { file: '/var/lib/kubelet/pki/kubelet-client-current.pem' },
      key: { file: '/var/lib/kubelet/pki/kubelet-client-current.pem' },
      user: 'system:node:cp-1',
    }),
    0o600,
  );
  expected.push({
    path: '/etc/kubernetes/kubelet.conf',
    component: 'ca',
    cn: 'kubernetes',
    notAfter: daysFrom(NOW, 3450),
    kubeconfigName: 'local',
  });
  const selfServing = await issue({
    cn: 'cp-1@1764000000',
    notBefore: daysFrom(NOW, -200),
    notAfter: daysFrom(NOW, 165),
    eku: ['serverAuth'],
    sans: ['DNS:cp-1'],
  });
  tree.write('/var/lib/kubelet/pki/kubelet.crt', selfServing.pem);
  tree.write('/var/lib/kubelet/pki/kubelet.key', selfServing.keyPem, 0o600);
  expected.push({
    path: '/var/lib/kubelet/pki/kubelet.crt',
    component: 'kubelet-serving',
    cn: 'cp-1@1764000000',
    notAfter: daysFrom(NOW, 165),
  });
  // kubeadm's static pods: their flags say which component uses which certificate.
  for (const m of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd'])
    tree.write(`/etc/kubernetes/manifests/${m}.yaml`, fixture(`kubeadm/${m}.yaml`));
  return { tree, expected };
}

export async function buildK3sNode(): Promise<BuiltNode> {
  const tree = new HostTree('certdrift-k3s-');
  const expected: Expected[] = [];
  const caEnd = daysFrom(NOW, 3500);
  const leafEnd = daysFrom(NOW, 200);
  const nb = daysFrom(NOW, -165);
  const tls = '/var/lib/rancher/k3s/server/tls';
  const clientCa = await issue({
    cn: 'k3s-client-ca@1730000000',
    notBefore: daysFrom(NOW, -400),
    notAfter: caEnd,
    isCA: true,
  });
  const serverCa = await issue({
    cn: 'k3s-server-ca@1730000000',
    notBefore: daysFrom(NOW, -400),
    notAfter: caEnd,
    isCA: true,
  });
  tree.write(`${tls}/client-ca.crt`, clientCa.pem);
  tree.write(`${tls}/server-ca.crt`, serverCa.pem);
  expected.push(
    { path: `${tls}/client-ca.crt`, component: 'ca', cn: clientCa.cn, notAfter: caEnd },
    { path: `${tls}/server-ca.crt`, component: 'ca', cn: serverCa.cn, notAfter: caEnd },
  );
  const leaf = async (
    path: string,
    cn: string,
    component: string,
    issuer: Issued,
    eku: ('serverAuth' | 'clientAuth')[],
    o: string[] = [],
  ): Promise<void> => {
    const c = await issue({ cn, o, notBefore: nb, notAfter: leafEnd, eku, issuer });
    // k3s writes the leaf followed by its CA in client-*.crt files: a two-certificate bundle.
    tree.write(path, eku.includes('clientAuth') ? c.pem + issuer.pem : c.pem);
    tree.write(path.replace(/\.crt$/, '.key'), c.keyPem, 0o600);
    expected.push({ path, component, cn, notAfter: leafEnd });
    if (eku.includes('clientAuth'))
      expected.push({ path, component: 'ca', cn: issuer.cn, notAfter: caEnd });
  };
  await leaf(
    `${tls}/client-admin.crt`,
    'system:admin',
    'admin',
    clientCa,
    ['clientAuth'],
    ['system:masters'],
  );
  await leaf(
    `${tls}/client-controller.crt`,
    'system:kube-controller-manager',
    'controller-manager',
    clientCa,
    ['clientAuth'],
  );
  await leaf(`${tls}/client-scheduler.crt`, 'system:kube-scheduler', 'scheduler', clientCa, [
    'clientAuth',
  ]);
  await leaf(
    `${tls}/client-kube-apiserver.crt`,
    'system:apiserver',
    'apiserver-kubelet-client',
    clientCa,
    ['clientAuth'],
    ['system:masters'],
  );
  await leaf(`${tls}/serving-kube-apiserver.crt`, 'kube-apiserver', 'apiserver', serverCa, [
    'serverAuth',
  ]);
  await leaf(
    '/var/lib/rancher/k3s/agent/client-kubelet.crt',
    'system:node:k3s-1',
    'kubelet-client',
    clientCa,
    ['clientAuth'],
    ['system:nodes'],
  );
  await leaf(
    '/var/lib/rancher/k3s/agent/serving-kubelet.crt',
    'k3s-1',
    'kubelet-serving',
    serverCa,
    ['serverAuth'],
  );
  await leaf(
    '/var/lib/rancher/k3s/agent/client-kube-proxy.crt',
    'system:kube-proxy',
    'kube-proxy',
    clientCa,
    ['clientAuth'],
  );
  tree.write('/var/lib/rancher/k3s/agent/server-ca.crt', serverCa.pem);
  expected.push({
    path: '/var/lib/rancher/k3s/agent/server-ca.crt',
    component: 'ca',
    cn: serverCa.cn,
    notAfter: caEnd,
  });
  // Agent kubeconfigs refer to the cert files by relative and absolute path.
  tree.write(
    '/var/lib/rancher/k3s/agent/kubeproxy.kubeconfig',
    kubeconfig({
      ca: { file: 'server-ca.crt' },
      cert: { file: 'client-kube-proxy.crt' },
      key: { file: 'client-kube-proxy.key' },
      user: 'default',
    }),
  );
  tree.write(
    '/var/lib/rancher/k3s/agent/kubelet.kubeconfig',
    kubeconfig({
      ca: { file: '/var/lib/rancher/k3s/agent/server-ca.crt' },
      cert: { file: '/var/lib/rancher/k3s/agent/client-kubelet.crt' },
      key: { file: '/var/lib/rancher/k3s/agent/client-kubelet.key' },
    }),
  );
  // k3s.yaml embeds the admin credentials.
  const admin = await issue({
    cn: 'system:admin',
    o: ['system:masters'],
    notBefore: nb,
    notAfter: leafEnd,
    eku: ['clientAuth'],
    issuer: clientCa,
    seed: 'k3s.yaml admin',
  });
  tree.write(
    '/etc/rancher/k3s/k3s.yaml',
    kubeconfig({ ca: serverCa, cert: admin, user: 'default' }),
    0o600,
  );
  expected.push({
    path: '/etc/rancher/k3s/k3s.yaml',
    component: 'admin',
    cn: 'system:admin',
    notAfter: leafEnd,
    kubeconfigName: 'default',
  });
  expected.push({
    path: '/etc/rancher/k3s/k3s.yaml',
    component: 'ca',
    cn: serverCa.cn,
    notAfter: caEnd,
    kubeconfigName: 'local',
  });
  return { tree, expected };
}

// ---- Managed and other distributions (issue #8): EKS, GKE, AKS, Talos, a minimal RKE2 ----

/** A kubelet kubeconfig that authenticates by exec plugin or token, with the CA as a file. */
function kubeconfigWithoutCert(caFile: string, auth: 'exec' | 'token'): string {
  const user =
    auth === 'exec'
      ? `    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args:
      - eks
      - get-token
      - --cluster-name
      - prod
`
      : `    token: abcdef.0123456789abcdef
`;
  return `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority: ${caFile}
    server: https://ABC.gr7.eu-west-1.eks.amazonaws.com
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: kubelet
  name: kubelet
current-context: kubelet
users:
- name: kubelet
  user:
${user}`;
}

const clusterCa = (cn: string): Promise<Issued> =>
  issue({ cn, notBefore: daysFrom(NOW, -300), notAfter: daysFrom(NOW, 3350), isCA: true });

/** kubelet's rotated certificate file and its `-current.pem` link. */
async function rotatedKubelet(
  tree: HostTree,
  kind: 'client' | 'server',
  node: string,
  ca: Issued,
  expected: Expected[],
  notAfter: Date,
): Promise<void> {
  const c = await issue({
    cn: `system:node:${node}`,
    o: ['system:nodes'],
    notBefore: daysFrom(notAfter, -365),
    notAfter,
    eku: [kind === 'client' ? 'clientAuth' : 'serverAuth'],
    sans: kind === 'server' ? [`DNS:${node}`, 'IP:10.0.1.2'] : [],
    issuer: ca,
  });
  const file = `/var/lib/kubelet/pki/kubelet-${kind}-2026-10-01-08-30-00.pem`;
  tree.write(file, pair(c), 0o600);
  tree.link(`/var/lib/kubelet/pki/kubelet-${kind}-current.pem`, file);
  expected.push({
    path: file,
    component: kind === 'client' ? 'kubelet-client' : 'kubelet-serving',
    cn: `system:node:${node}`,
    notAfter,
  });
}

/** An EKS worker (AL2023 nodeadm or AL2 bootstrap.sh): exec-auth kubeconfig, serving via CSR. */
export async function buildEksNode(): Promise<BuiltNode> {
  const tree = new HostTree('certdrift-eks-');
  const expected: Expected[] = [];
  const node = 'ip-10-0-1-2.eu-west-1.compute.internal';
  const ca = await clusterCa('kubernetes');
  tree.write('/etc/eks/bootstrap.sh', '#!/usr/bin/env bash\n');
  tree.write('/etc/kubernetes/pki/ca.crt', ca.pem);
  expected.push({
    path: '/etc/kubernetes/pki/ca.crt',
    component: 'ca',
    cn: 'kubernetes',
    notAfter: ca.notAfter,
  });
  tree.write(
    '/etc/kubernetes/kubelet/kubelet-config.json',
    '{"kind":"KubeletConfiguration","serverTLSBootstrap":true}\n',
  );
  tree.write(
    '/var/lib/kubelet/kubeconfig',
    kubeconfigWithoutCert('/etc/kubernetes/pki/ca.crt', 'exec'),
  );
  await rotatedKubelet(tree, 'server', node, ca, expected, daysFrom(NOW, 320));
  return { tree, expected };
}

/** A GKE node: bootstrap client certificate in /etc/srv/kubernetes/pki, rotated kubelet PKI. */
export async function buildGkeNode(): Promise<BuiltNode> {
  const tree = new HostTree('certdrift-gke-');
  const expected: Expected[] = [];
  const node = 'gke-prod-default-pool-1a2b3c4d-x9z8';
  const ca = await clusterCa('a1b2c3d4-e5f6-cluster-ca');
  const pki = '/etc/srv/kubernetes/pki';
  tree.write('/home/kubernetes/kube-env', 'KUBERNETES_MASTER_NAME: 10.0.0.2\n');
  tree.write(`${pki}/ca-certificates.crt`, ca.pem);
  expected.push({
    path: `${pki}/ca-certificates.crt`,
    component: 'ca',
    cn: ca.cn,
    notAfter: ca.notAfter,
  });
  const bootstrap = await issue({
    cn: 'kubelet',
    notBefore: daysFrom(NOW, -300),
    notAfter: daysFrom(NOW, 1525),
    eku: ['clientAuth'],
    issuer: ca,
  });
  tree.write(`${pki}/kubelet.crt`, bootstrap.pem);
  tree.write(`${pki}/kubelet.key`, bootstrap.keyPem, 0o600);
  expected.push({
    path: `${pki}/kubelet.crt`,
    component: 'kubelet-client',
    cn: 'kubelet',
    notAfter: bootstrap.notAfter,
  });
  tree.write(
    '/var/lib/kubelet/bootstrap-kubeconfig',
    kubeconfig({
      ca: { file: `${pki}/ca-certificates.crt` },
      cert: { file: `${pki}/kubelet.crt` },
      key: { file: `${pki}/kubelet.key` },
      user: 'kubelet',
    }),
  );
  tree.write(
    '/var/lib/kubelet/kubeconfig',
    kubeconfig({
      ca: { file: `${pki}/ca-certificates.crt` },
      cert: { file: '/var/lib/kubelet/pki/kubelet-client-current.pem' },
      key: { file: '/var/lib/kubelet/pki/kubelet-client-current.pem' },
      user: 'kubelet',
    }),
  );
  await rotatedKubelet(tree, 'client', node, ca, expected, daysFrom(NOW, 300));
  await rotatedKubelet(tree, 'server', node, ca, expected, daysFrom(NOW, 310));
  // GKE runs kube-proxy as a static pod from kube-proxy.manifest, as kops does.
  tree.write(
    '/etc/kubernetes/manifests/kube-proxy.manifest',
    'apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-proxy\n',
  );
  tree.write(
    '/var/lib/kube-proxy/kubeconfig',
    kubeconfigWithoutCert(`${pki}/ca-certificates.crt`, 'token'),
  );
  return { tree, expected };
}

/** An AKS node: /etc/kubernetes/certs with the cluster CA, kubelet client and serving, apiserver. */
export async function buildAksNode(): Promise<BuiltNode> {
  const tree = new HostTree('certdrift-aks-');
  const expected: Expected[] = [];
  const certs = '/etc/kubernetes/certs';
  const ca = await clusterCa('ca');
  tree.write('/etc/kubernetes/azure.json', '{"cloud":"AzurePublicCloud"}\n', 0o600);
  tree.write(`${certs}/ca.crt`, ca.pem);
  expected.push({ path: `${certs}/ca.crt`, component: 'ca', cn: 'ca', notAfter: ca.notAfter });
  const leaf = async (
    file: string,
    cn: string,
    component: string,
    eku: ('serverAuth' | 'clientAuth')[],
    days: number,
    o: string[] = [],
  ): Promise<void> => {
    const c = await issue({
      cn,
      o,
      notBefore: daysFrom(NOW, -100),
      notAfter: daysFrom(NOW, days),
      eku,
      issuer: ca,
    });
    tree.write(`${certs}/${file}`, c.pem);
    tree.write(`${certs}/${file.replace(/\.crt$/, '.key')}`, c.keyPem, 0o600);
    expected.push({ path: `${certs}/${file}`, component, cn, notAfter: c.notAfter });
  };
  await leaf('client.crt', 'client', 'kubelet-client', ['clientAuth'], 630, ['system:nodes']);
  await leaf(
    'kubeletserver.crt',
    'aks-nodepool1-12345678-vmss000000',
    'kubelet-serving',
    ['serverAuth'],
    630,
  );
  await leaf('apiserver.crt', 'apiserver', 'apiserver', ['serverAuth'], 630);
  tree.write(
    '/var/lib/kubelet/kubeconfig',
    kubeconfig({
      ca: { file: `${certs}/ca.crt` },
      cert: { file: `${certs}/client.crt` },
      key: { file: `${certs}/client.key` },
      user: 'client',
    }),
  );
  return { tree, expected };
}

/** A Talos control-plane node: /system/secrets/kubernetes/<component>, kubelet kubeconfigs. */
export async function buildTalosNode(): Promise<BuiltNode> {
  const tree = new HostTree('certdrift-talos-');
  const expected: Expected[] = [];
  const ca = await clusterCa('kubernetes');
  const end = daysFrom(NOW, 330);
  const secrets = '/system/secrets/kubernetes';
  tree.write('/etc/kubernetes/pki/ca.crt', ca.pem);
  expected.push({
    path: '/etc/kubernetes/pki/ca.crt',
    component: 'ca',
    cn: 'kubernetes',
    notAfter: ca.notAfter,
  });
  tree.write(`${secrets}/kube-apiserver/ca.crt`, ca.pem);
  expected.push({
    path: `${secrets}/kube-apiserver/ca.crt`,
    component: 'ca',
    cn: 'kubernetes',
    notAfter: ca.notAfter,
  });
  for (const [file, cn, component, o] of [
    ['apiserver.crt', 'kube-apiserver', 'apiserver', []],
    [
      'apiserver-kubelet-client.crt',
      'apiserver-kubelet-client',
      'apiserver-kubelet-client',
      ['system:masters'],
    ],
    ['etcd-client.crt', 'kube-apiserver', 'apiserver-etcd-client', []],
    ['front-proxy-client.crt', 'front-proxy-client', 'front-proxy-client', []],
  ] as const) {
    const c = await issue({
      cn,
      o: [...o],
      notBefore: daysFrom(NOW, -35),
      notAfter: end,
      eku: ['clientAuth'],
      issuer: ca,
      seed: `talos ${file}`,
    });
    tree.write(`${secrets}/kube-apiserver/${file}`, c.pem);
    tree.write(`${secrets}/kube-apiserver/${file.replace(/\.crt$/, '.key')}`, c.keyPem, 0o600);
    expected.push({ path: `${secrets}/kube-apiserver/${file}`, component, cn, notAfter: end });
  }
  for (const [dir, cn, component] of [
    ['kube-controller-manager', 'system:kube-controller-manager', 'controller-manager'],
    ['kube-scheduler', 'system:kube-scheduler', 'scheduler'],
  ] as const) {
    const c = await issue({
      cn,
      notBefore: daysFrom(NOW, -35),
      notAfter: end,
      eku: ['clientAuth'],
      issuer: ca,
    });
    const path = `${secrets}/${dir}/kubeconfig`;
    tree.write(path, kubeconfig({ ca, cert: c, user: dir }), 0o400);
    expected.push({ path, component, cn, notAfter: end, kubeconfigName: dir });
    expected.push({
      path,
      component: 'ca',
      cn: 'kubernetes',
      notAfter: ca.notAfter,
      kubeconfigName: 'local',
    });
  }
  tree.write(
    '/etc/kubernetes/kubeconfig-kubelet',
    kubeconfig({
      ca,
      cert: { file: '/var/lib/kubelet/pki/kubelet-client-current.pem' },
      key: { file: '/var/lib/kubelet/pki/kubelet-client-current.pem' },
      user: 'kubelet',
    }),
    0o600,
  );
  expected.push({
    path: '/etc/kubernetes/kubeconfig-kubelet',
    component: 'ca',
    cn: 'kubernetes',
    notAfter: ca.notAfter,
    kubeconfigName: 'local',
  });
  await rotatedKubelet(tree, 'client', 'talos-cp-1', ca, expected, daysFrom(NOW, 290));
  return { tree, expected };
}

/** Just enough of an RKE2 server for detection: its TLS directory and agent certificates. */
export async function buildRke2Node(): Promise<BuiltNode> {
  const tree = new HostTree('certdrift-rke2-');
  const ca = await clusterCa('rke2-server-ca@1730000000');
  const kubelet = await issue({
    cn: 'system:node:rke2-1',
    o: ['system:nodes'],
    notBefore: daysFrom(NOW, -100),
    notAfter: daysFrom(NOW, 265),
    eku: ['clientAuth'],
    issuer: ca,
  });
  tree.write('/var/lib/rancher/rke2/server/tls/server-ca.crt', ca.pem);
  tree.write('/var/lib/rancher/rke2/agent/client-kubelet.crt', kubelet.pem);
  return {
    tree,
    expected: [
      {
        path: '/var/lib/rancher/rke2/agent/client-kubelet.crt',
        component: 'kubelet-client',
        cn: kubelet.cn,
        notAfter: kubelet.notAfter,
      },
      {
        path: '/var/lib/rancher/rke2/server/tls/server-ca.crt',
        component: 'ca',
        cn: ca.cn,
        notAfter: ca.notAfter,
      },
    ],
  };
}
