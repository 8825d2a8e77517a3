// The control plane's PKI, made at start-up in its throwaway directory: one cluster CA (it also
// signs CSRs through kube-controller-manager's csrsigning controller), the API server's serving
// certificate for 127.0.0.1, client certificates for the admin (group system:masters), the
// controller manager and KWOK, and the service-account signing key pair.

import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issue, type Issued } from '../certs.js';

export interface Pki {
  dir: string;
  ca: Issued;
  caFile: string;
  caKeyFile: string;
  serving: { cert: string; key: string };
  admin: { cert: string; key: string };
  controllerManager: { cert: string; key: string };
  scheduler: { cert: string; key: string };
  kwok: { cert: string; key: string };
  saKey: string;
  saPub: string;
}

const HOUR = 3_600_000;

function write(dir: string, name: string, content: string, mode = 0o600): string {
  const path = join(dir, name);
  writeFileSync(path, content, { mode });
  return path;
}

export async function makePki(dir: string, now = new Date()): Promise<Pki> {
  const notBefore = new Date(now.getTime() - HOUR);
  // Long-lived: node scans in other tests on this machine see the control plane's processes
  // and their certificate flags (they are real processes on this host), and must not find them
  // expiring.
  const notAfter = new Date(now.getTime() + 3650 * 24 * HOUR);
  const ca = await issue({
    cn: 'certdrift-test-cluster-ca',
    isCA: true,
    key: 'p256',
    keyIds: true,
    notBefore,
    notAfter,
    seed: `ca|${now.toISOString()}|${Math.random()}`,
  });
  const leaf = (cn: string, o: string[], eku: ('serverAuth' | 'clientAuth')[], sans?: string[]) =>
    issue({
      cn,
      o,
      eku,
      ...(sans ? { sans } : {}),
      key: 'p256',
      keyIds: true,
      issuer: ca,
      notBefore,
      notAfter,
      seed: `${cn}|${now.toISOString()}|${Math.random()}`,
    });
  const serving = await leaf(
    'kube-apiserver',
    [],
    ['serverAuth'],
    ['IP:127.0.0.1', 'DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default.svc'],
  );
  const admin = await leaf('certdrift-test-admin', ['system:masters'], ['clientAuth']);
  const kcm = await leaf('system:kube-controller-manager', [], ['clientAuth']);
  const scheduler = await leaf('system:kube-scheduler', [], ['clientAuth']);
  // KWOK writes pod and node status for every node it simulates: a cluster-admin identity.
  const kwok = await leaf('certdrift-test-kwok', ['system:masters'], ['clientAuth']);
  const sa = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pair = (name: string, i: Issued) => ({
    cert: write(dir, `${name}.crt`, i.pem, 0o644),
    key: write(dir, `${name}.key`, i.keyPem),
  });
  return {
    dir,
    ca,
    caFile: write(dir, 'ca.crt', ca.pem, 0o644),
    caKeyFile: write(dir, 'ca.key', ca.keyPem),
    serving: pair('apiserver', serving),
    admin: pair('admin', admin),
    controllerManager: pair('controller-manager', kcm),
    scheduler: pair('scheduler', scheduler),
    kwok: pair('kwok', kwok),
    saKey: write(dir, 'sa.key', sa.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()),
    saPub: write(
      dir,
      'sa.pub',
      sa.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      0o644,
    ),
  };
}

/** A kubeconfig naming files (the way kubeadm writes controller-manager.conf with file paths). */
export function kubeconfigFile(
  dir: string,
  name: string,
  server: string,
  caFile: string,
  client: { cert: string; key: string },
): string {
  return write(
    dir,
    `${name}.kubeconfig`,
    `apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: ${server}
    certificate-authority: ${caFile}
users:
- name: ${name}
  user:
    client-certificate: ${client.cert}
    client-key: ${client.key}
contexts:
- name: test
  context: {cluster: test, user: ${name}}
current-context: test
`,
  );
}
