// The #16400 scenario: a kops-style kube-proxy static pod whose kubeconfig embeds its client
// certificate, mounted as a single file (kops ≤ 1.35) or as its directory (kops ≥ 1.36), and
// rotated the way nodeup does it. Certificates are issued with Debian's openssl.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabPodSpec } from './lab.js';
import { writeByRename } from './lab.js';

export type MountStyle = 'file' | 'dir';

export const KUBECONFIG_DIR = '/var/lib/kube-proxy';

/** `openssl req` options for a new, unencrypted P-256 key. */
const NEW_EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function ossl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

/** The lab's CA under `pki`, created on first use (EC key, ten years). */
function ensureLabCa(pki: string): void {
  try {
    readFileSync(join(pki, 'ca.crt'));
  } catch {
    ossl(
      [
        'req',
        '-x509',
        ...NEW_EC_KEY,
        '-keyout',
        'ca.key',
        '-out',
        'ca.crt',
        '-days',
        '3650',
        '-subj',
        '/CN=kubernetes-ca',
      ],
      pki,
    );
  }
}

/** A kube-proxy client certificate `name` from the lab's CA: clientAuth, not a CA, `days` long. */
function signKubeProxyCert(pki: string, name: string, days: number, serial: number): void {
  ossl(
    [
      'req',
      '-new',
      ...NEW_EC_KEY,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      '/CN=system:kube-proxy',
    ],
    pki,
  );
  const ext = join(pki, 'client.ext');
  execFileSync('sh', [
    '-c',
    `printf 'extendedKeyUsage=clientAuth\\nbasicConstraints=CA:FALSE\\n' > '${ext}'`,
  ]);
  ossl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-set_serial',
      String(serial),
      '-days',
      String(days),
      '-extfile',
      ext,
      '-out',
      `${name}.crt`,
    ],
    pki,
  );
}

/** A CA (created once per lab) and a kube-proxy client certificate valid for `days`. */
export function issueKubeProxyCert(
  dir: string,
  days: number,
  serial: number,
): { ca: string; cert: string; key: string } {
  const pki = join(dir, 'pki');
  mkdirSync(pki, { recursive: true });
  ensureLabCa(pki);
  const name = `kube-proxy-${serial}`;
  signKubeProxyCert(pki, name, days, serial);
  return {
    ca: readFileSync(join(pki, 'ca.crt'), 'utf8'),
    cert: readFileSync(join(pki, `${name}.crt`), 'utf8'),
    key: readFileSync(join(pki, `${name}.key`), 'utf8'),
  };
}

export function kubeProxyKubeconfig(p: { ca: string; cert: string; key: string }): string {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  return `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: ${b64(p.ca)}
    server: https://api.internal.lab.k8s.local
  name: local
contexts:
- context:
    cluster: local
    user: kube-proxy
  name: service-account-context
current-context: service-account-context
users:
- name: kube-proxy
  user:
    client-certificate-data: ${b64(p.cert)}
    client-key-data: ${b64(p.key)}
`;
}

/** The kube-proxy static pod as kops renders it: one mount of the kubeconfig (file or dir). */
export function kubeProxyPod(hostDir: string, style: MountStyle, node = 'lab-node'): LabPodSpec {
  const hostKubeconfigDir = join(hostDir, KUBECONFIG_DIR);
  return {
    name: `kube-proxy-${node}`,
    namespace: 'kube-system',
    container: 'kube-proxy',
    mounts: [
      style === 'file'
        ? {
            hostPath: join(hostKubeconfigDir, 'kubeconfig'),
            containerPath: `${KUBECONFIG_DIR}/kubeconfig`,
            propagation: 'private',
          }
        : { hostPath: hostKubeconfigDir, containerPath: KUBECONFIG_DIR, propagation: 'private' },
    ],
  };
}

/** Writes (or rotates) the node's kube-proxy kubeconfig: temp file + rename, as nodeup does. */
export function writeKubeProxyKubeconfig(hostDir: string, days: number, serial: number): string {
  const dir = join(hostDir, KUBECONFIG_DIR);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'kubeconfig');
  writeByRename(path, kubeProxyKubeconfig(issueKubeProxyCert(join(hostDir, '..'), days, serial)));
  return path;
}

/** The kube-proxy static pod manifest as kops renders it (kubeconfig volume only), node paths. */
export function kubeProxyManifest(style: MountStyle): string {
  const file = style === 'file';
  return `# kube-proxy static pod, as kops ${file ? '≤ 1.35' : '≥ 1.36'} renders it (lab copy: kubeconfig volume only)
apiVersion: v1
kind: Pod
metadata:
  labels:
    k8s-app: kube-proxy
  name: kube-proxy
  namespace: kube-system
spec:
  containers:
  - args:
    - --kubeconfig=/var/lib/kube-proxy/kubeconfig
    image: registry.k8s.io/kube-proxy:v1.29.4
    name: kube-proxy
    volumeMounts:
    - mountPath: ${file ? `${KUBECONFIG_DIR}/kubeconfig` : KUBECONFIG_DIR}
      name: kubeconfig
      readOnly: true
  hostNetwork: true
  volumes:
  - hostPath:
      path: ${file ? `${KUBECONFIG_DIR}/kubeconfig` : KUBECONFIG_DIR}
    name: kubeconfig
`;
}

export const MANIFESTS_DIR = '/etc/kubernetes/manifests';
