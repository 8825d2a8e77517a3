// Builds kubeconfig YAML the way kops, kubeadm and k3s write them.

import type { Issued } from './certs.js';

export interface KubeconfigSpec {
  server?: string;
  ca?: Issued | { file: string };
  user?: string;
  cert?: Issued | { file: string };
  key?: 'embedded' | { file: string } | 'none';
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

export function kubeconfig(spec: KubeconfigSpec): string {
  const user = spec.user ?? 'default';
  const ca = spec.ca;
  const cert = spec.cert;
  const caLine = !ca
    ? ''
    : 'file' in ca
      ? `    certificate-authority: ${ca.file}\n`
      : `    certificate-authority-data: ${b64(ca.pem)}\n`;
  const certLine = !cert
    ? ''
    : 'file' in cert
      ? `    client-certificate: ${cert.file}\n`
      : `    client-certificate-data: ${b64(cert.pem)}\n`;
  const key = spec.key ?? 'embedded';
  const keyLine =
    key === 'none'
      ? ''
      : key === 'embedded'
        ? `    client-key-data: ${b64(cert && !('file' in cert) ? cert.keyPem : 'x')}\n`
        : `    client-key: ${key.file}\n`;
  return `apiVersion: v1
kind: Config
clusters:
- cluster:
${caLine}    server: ${spec.server ?? 'https://127.0.0.1'}
  name: local
contexts:
- context:
    cluster: local
    user: ${user}
  name: service-account-context
current-context: service-account-context
users:
- name: ${user}
  user:
${certLine}${keyLine}`;
}
