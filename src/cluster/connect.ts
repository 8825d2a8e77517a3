// Where and how to reach the API server: in-cluster (service account token and CA, as a
// DaemonSet pod has them) or a kubeconfig file (token or client certificate).

import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { Connection } from './http-cluster.js';

const SA = '/var/run/secrets/kubernetes.io/serviceaccount';

export function inClusterConnection(env: Record<string, string | undefined>): Connection | null {
  const host = env.KUBERNETES_SERVICE_HOST;
  if (!host) return null;
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    token: readFileSync(`${SA}/token`, 'utf8').trim(),
    ca: readFileSync(`${SA}/ca.crt`),
  };
}

type Named<T> = { name: string } & T;

export function kubeconfigConnection(path: string): Connection {
  const doc = parse(readFileSync(path, 'utf8')) as {
    'current-context'?: string;
    contexts?: Named<{ context: { cluster: string; user: string } }>[];
    clusters?: Named<{
      cluster: {
        server: string;
        'certificate-authority-data'?: string;
        'certificate-authority'?: string;
      };
    }>[];
    users?: Named<{
      user: {
        token?: string;
        'client-certificate-data'?: string;
        'client-key-data'?: string;
        'client-certificate'?: string;
        'client-key'?: string;
      };
    }>[];
  };
  const ctx = doc.contexts?.find((c) => c.name === doc['current-context'])?.context;
  const cluster =
    doc.clusters?.find((c) => c.name === ctx?.cluster)?.cluster ?? doc.clusters?.[0]?.cluster;
  const user = doc.users?.find((u) => u.name === ctx?.user)?.user ?? doc.users?.[0]?.user;
  if (!cluster) throw new Error(`${path}: no cluster in the kubeconfig`);
  const b64 = (s: string | undefined): Buffer | undefined =>
    s ? Buffer.from(s, 'base64') : undefined;
  const file = (p: string | undefined): Buffer | undefined => (p ? readFileSync(p) : undefined);
  const ca = b64(cluster['certificate-authority-data']) ?? file(cluster['certificate-authority']);
  const cert = b64(user?.['client-certificate-data']) ?? file(user?.['client-certificate']);
  const key = b64(user?.['client-key-data']) ?? file(user?.['client-key']);
  return {
    server: cluster.server,
    ...(ca ? { ca } : {}),
    ...(user?.token ? { token: user.token } : {}),
    ...(cert && key ? { cert, key } : {}),
  };
}
