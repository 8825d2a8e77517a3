// Where and how to reach the API server: in-cluster (the pod's service-account token and CA, as
// a DaemonSet pod has them — both re-read when kubelet rotates them) or a kubeconfig file.

import { readFileSync } from 'node:fs';
import type { Connection } from './connection.js';
import { tokenFileCredentials } from './credentials.js';
import { proxyFromEnv, checkProxy } from './proxy.js';
import { WatchedFile } from './watched-file.js';
import { HttpCluster } from './http-cluster.js';
import { KubeApi } from './kube-api.js';
import { kubeconfigConnection } from './kubeconfig.js';

export { kubeconfigConnection };

const SA = '/var/run/secrets/kubernetes.io/serviceaccount';

/** rest.InClusterConfig: KUBERNETES_SERVICE_HOST/PORT, the projected token and CA; null outside a pod. */
export function inClusterConnection(
  env: Record<string, string | undefined>,
  opts: { dir?: string; now?: () => number } = {},
): Connection | null {
  const host = env.KUBERNETES_SERVICE_HOST;
  if (!host) return null;
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  const dir = opts.dir ?? SA;
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const ca = new WatchedFile(`${dir}/ca.crt`, opts.now);
  ca.read(); // fail now, with the path, if the CA is missing
  const proxy = proxyFromEnv(server, env);
  return {
    server,
    ca: () => ca.read(),
    credentials: tokenFileCredentials(`${dir}/token`, opts.now),
    ...(proxy ? { proxy: checkProxy(proxy) } : {}),
  };
}

/**
 * The namespace of the pod this runs in (the service-account volume's `namespace` file, as
 * client-go's in-cluster config reads it); null outside a pod or when unreadable.
 */
export function podNamespace(dir = SA): string | null {
  try {
    const ns = readFileSync(`${dir}/namespace`, 'utf8').trim();
    return ns === '' ? null : ns;
  } catch {
    // not in a pod (or no service-account volume): the caller's default applies
    return null;
  }
}

/**
 * The cluster client for `source`: `auto` is the pod's service account (null outside a pod),
 * anything else a kubeconfig path. `userAgent` is `certdrift/<version>`.
 */
export function openCluster(
  source: string,
  env: Record<string, string | undefined>,
  userAgent: string,
): HttpCluster | null {
  const conn = connectionFor(source, env);
  return conn ? new HttpCluster(new KubeApi(conn, { userAgent })) : null;
}

/** The connection for `source` (`auto`: the pod's service account, null outside a pod). */
export function connectionFor(
  source: string,
  env: Record<string, string | undefined>,
): Connection | null {
  return source === 'auto' ? inClusterConnection(env) : kubeconfigConnection(source, { env });
}
