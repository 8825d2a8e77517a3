// Who must be restarted after a renewal, from what the node shows (the scan's workloads and each
// certificate's `usedBy`), never from a list of names: a running consumer of a renewed file whose
// view of it is stale (a single-file mount pinning the old inode: STALE_VIEW), or that loads it
// once and started before the file last changed (NOT_RELOADED). "Loads once" is the workload's
// own flag (the scan's --loads-once list) or a flag naming the file that is not reloaded from
// disk: kube-apiserver, kube-scheduler and kube-controller-manager reload their serving pair
// (--tls-cert-file, dynamiccertificates), kube-apiserver its kubelet client pair (client-go
// ReloadTLSFiles) and its front-proxy client pair (kube-aggregator), etcd its serving and peer
// pairs per new connection; everything else — --etcd-certfile (one long-lived gRPC connection),
// an embedded kubeconfig certificate (--kubeconfig) — is held until the process restarts.
// Decided from state, not from this run's writes: a rerun after an interruption restarts what
// the first run could not. Pure.

import type { CertUse, FileComparison, Inventory, Workload } from '../model/index.js';

const RELOADED_FLAGS: Readonly<Record<string, readonly string[]>> = {
  'kube-apiserver': [
    '--tls-cert-file',
    '--tls-private-key-file',
    '--kubelet-client-certificate',
    '--kubelet-client-key',
    '--proxy-client-cert-file',
    '--proxy-client-key-file',
    '--client-ca-file',
    '--requestheader-client-ca-file',
  ],
  'kube-scheduler': ['--tls-cert-file', '--tls-private-key-file'],
  'kube-controller-manager': ['--tls-cert-file', '--tls-private-key-file'],
  etcd: ['--cert-file', '--key-file', '--peer-cert-file', '--peer-key-file'],
};

export interface Consumer {
  kind: Workload['kind'];
  /** container id, or pid:N */
  id: string;
  name: string;
  pod?: { namespace: string; name: string };
  attempt?: number;
  pid?: number;
  /** the renewed files it holds or sees stale */
  files: string[];
  /** STALE_VIEW or NOT_RELOADED, with the evidence in words */
  reason: string;
}

function flagsNaming(uses: readonly CertUse[], w: Workload): string[] {
  return uses
    .filter((u) => u.via === 'flag' && u.by === w.name)
    .map((u) => u.detail.split(' ').pop() ?? '');
}

/** Does `w` keep what it read from `path` until it restarts? */
export function loadsOnce(w: Workload, uses: readonly CertUse[]): boolean {
  if (w.loadsCertsOnce) return true;
  const reloaded = RELOADED_FLAGS[w.name] ?? [];
  return flagsNaming(uses, w).some((f) => !reloaded.includes(f));
}

function filesOf(w: Workload): FileComparison[] {
  return [...w.mounts.flatMap((m) => m.files), ...w.certFiles];
}

export function describeConsumer(c: Consumer): string {
  if (c.kind === 'process') return `host process ${c.name} (pid ${c.pid ?? '?'})`;
  const pod = c.pod ? `${c.pod.namespace}/${c.pod.name}/` : '';
  return `container ${pod}${c.name} (attempt ${c.attempt ?? 0}, ${c.id.slice(0, 13)})`;
}

/** Running consumers of `paths` that still see or hold a certificate older than the file. */
export function staleConsumers(inv: Inventory, paths: ReadonlySet<string>): Consumer[] {
  const usesOf = new Map<string, CertUse[]>();
  for (const c of inv.certificates)
    if (paths.has(c.location.path))
      usesOf.set(c.location.path, [...(usesOf.get(c.location.path) ?? []), ...c.usedBy]);
  const out: Consumer[] = [];
  for (const w of inv.workloads) {
    if (w.state !== 'running') continue;
    const stale: string[] = [];
    const behind: string[] = [];
    const started = w.startedAt?.getTime();
    for (const f of filesOf(w)) {
      if (!paths.has(f.hostPath) || !f.host) continue;
      if (f.container && f.container.sha256 !== f.host.sha256) stale.push(f.hostPath);
      else if (
        started !== undefined &&
        f.host.ctime.getTime() > started &&
        loadsOnce(w, usesOf.get(f.hostPath) ?? [])
      )
        behind.push(f.hostPath);
    }
    if (stale.length + behind.length === 0) continue;
    const reason =
      stale.length > 0
        ? `STALE_VIEW: sees the old ${[...new Set(stale)].join(', ')} (a mount pins the replaced file)`
        : `NOT_RELOADED: started ${w.startedAt?.toISOString() ?? '?'}, before ${[...new Set(behind)].join(', ')} changed, and loads it once`;
    out.push({
      kind: w.kind,
      id: w.id,
      name: w.name,
      ...(w.pod ? { pod: { namespace: w.pod.namespace, name: w.pod.name } } : {}),
      ...(w.attempt !== undefined ? { attempt: w.attempt } : {}),
      ...(w.pid !== undefined ? { pid: w.pid } : {}),
      files: [...new Set([...stale, ...behind])].sort(),
      reason,
    });
  }
  return out;
}
