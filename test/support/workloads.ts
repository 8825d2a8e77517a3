// Hand-built workloads for the drift checks' table-driven tests.

import type { FileComparison, FileView, MountFacts, Workload } from '../../src/model/index.js';

export function fileView(
  over: Partial<FileView> & { serial?: string; notAfter?: string } = {},
): FileView {
  const { serial = '01', notAfter = '2027-01-01T00:00:00Z', ...rest } = over;
  return {
    dev: 2049,
    ino: 100,
    size: 1000,
    mtime: new Date('2026-11-01T00:00:00Z'),
    ctime: new Date('2026-11-01T00:00:00Z'),
    sha256: 'a'.repeat(64),
    certificates: [
      {
        subject: 'CN=kubernetes-ca',
        serial: 'CA',
        notBefore: new Date('2020-01-01T00:00:00Z'),
        notAfter: new Date('2036-01-01T00:00:00Z'),
        fingerprintSha256: 'c'.repeat(64),
        isCA: true,
      },
      {
        subject: 'CN=system:kube-proxy',
        serial,
        notBefore: new Date('2025-01-01T00:00:00Z'),
        notAfter: new Date(notAfter),
        fingerprintSha256: 'f'.repeat(64),
        isCA: false,
      },
    ],
    ...rest,
  };
}

export function compare(host: FileView | null, container: FileView | null): FileComparison {
  return {
    hostPath: '/var/lib/kube-proxy/kubeconfig',
    containerPath: '/var/lib/kube-proxy/kubeconfig',
    host,
    container,
  };
}

export function mount(over: Partial<MountFacts> = {}): MountFacts {
  return {
    containerPath: '/var/lib/kube-proxy/kubeconfig',
    hostPath: '/var/lib/kube-proxy/kubeconfig',
    kind: 'file',
    declared: 'private',
    effective: 'private',
    deleted: false,
    files: [compare(fileView(), fileView())],
    hiddenHostMounts: [],
    ...over,
  };
}

export function container(over: Partial<Workload> = {}): Workload {
  return {
    kind: 'container',
    id: 'c'.repeat(64),
    name: 'kube-proxy',
    pod: { namespace: 'kube-system', name: 'kube-proxy-node1', uid: 'u1' },
    attempt: 0,
    state: 'running',
    startedAt: new Date('2026-11-10T00:00:00Z'),
    pid: 4242,
    loadsCertsOnce: true,
    mounts: [mount()],
    certFiles: [],
    ...over,
  };
}
