// The real kubeadm (k8s.io/kubernetes v1.36.3, built by scripts/kube-binaries.sh) as the oracle
// for `certdrift renew`: it makes a control-plane node's PKI offline in a temp dir (`init phase
// certs all` + `init phase kubeconfig all`, chrooted with --rootfs so /etc/kubernetes is the temp
// dir's), renews it (`certs renew all`) and reports expirations (`certs check-expiration -o json`).
// Without the binaries or root the tests skip with the reason; under CI=true that is a failure.

import type { TestContext } from 'node:test';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function kubeadmUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (kubeadm --rootfs chroots into the node tree)';
  const kit = spawnSync('bash', ['scripts/kube-binaries.sh', '--check'], { encoding: 'utf8' });
  if (kit.status !== 0) return 'kubeadm is not built (bash scripts/kube-binaries.sh)';
  return null;
}

export function requireKubeadm(t: TestContext): boolean {
  const why = kubeadmUnavailable();
  if (!why) return true;
  if (process.env.CI === 'true') throw new Error(`kubeadm oracle cannot run in CI: ${why}`);
  t.skip(`kubeadm oracle unavailable: ${why}`);
  return false;
}

export function kubeadmPath(): string {
  const dir = execFileSync('bash', ['scripts/kube-binaries.sh', '--check'], { encoding: 'utf8' });
  return join(dir.trim(), 'bin', 'kubeadm');
}

export interface KubeadmNodeOptions {
  /** certificateValidityPeriod for the made PKI (short, so that the leaves are due) */
  validity?: string;
  encryptionAlgorithm?: 'RSA-2048' | 'ECDSA-P256';
}

function config(opts: KubeadmNodeOptions): string {
  return [
    'apiVersion: kubeadm.k8s.io/v1beta4',
    'kind: InitConfiguration',
    'localAPIEndpoint:',
    '  advertiseAddress: 10.0.0.10',
    '  bindPort: 6443',
    'nodeRegistration:',
    '  name: cp-1',
    '---',
    'apiVersion: kubeadm.k8s.io/v1beta4',
    'kind: ClusterConfiguration',
    'kubernetesVersion: v1.36.3',
    'certificatesDir: /etc/kubernetes/pki',
    'clusterName: kubernetes',
    'controlPlaneEndpoint: 10.0.0.10:6443',
    'apiServer:',
    '  certSANs: [cp.example.org, 192.0.2.7]',
    ...(opts.validity ? [`certificateValidityPeriod: ${opts.validity}`] : []),
    ...(opts.encryptionAlgorithm ? [`encryptionAlgorithm: ${opts.encryptionAlgorithm}`] : []),
    '',
  ].join('\n');
}

/** Runs kubeadm chrooted into `root` with /kubeadm.yaml (or `configName`) as its config. */
export function kubeadm(root: string, args: string[], configName = 'kubeadm.yaml'): string {
  return execFileSync(kubeadmPath(), [...args, '--rootfs', root, '--config', `/${configName}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** A control-plane node's PKI and kubeconfigs, made by kubeadm under a new temp dir. */
export function makeKubeadmNode(opts: KubeadmNodeOptions = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'certdrift-kubeadm-'));
  mkdirSync(join(root, 'etc/kubernetes'), { recursive: true });
  writeFileSync(join(root, 'kubeadm.yaml'), config(opts));
  // The renewal config: kubeadm's defaults (one year), as `kubeadm certs renew` would use.
  writeFileSync(
    join(root, 'kubeadm-renew.yaml'),
    config({
      ...(opts.encryptionAlgorithm ? { encryptionAlgorithm: opts.encryptionAlgorithm } : {}),
    }),
  );
  kubeadm(root, ['init', 'phase', 'certs', 'all']);
  kubeadm(root, ['init', 'phase', 'kubeconfig', 'all']);
  return root;
}

export function copyNode(root: string): string {
  const copy = mkdtempSync(join(tmpdir(), 'certdrift-kubeadm-copy-'));
  cpSync(root, copy, { recursive: true, preserveTimestamps: true });
  return copy;
}

export interface ExpirationInfo {
  name: string;
  expirationDate: string;
  residualTime: number;
  externallyManaged: boolean;
  caName: string;
  missing: boolean;
}

export function checkExpiration(root: string): ExpirationInfo[] {
  const out = kubeadm(root, ['certs', 'check-expiration', '-o', 'json'], 'kubeadm-renew.yaml');
  return (JSON.parse(out) as { certificates: ExpirationInfo[] }).certificates;
}
