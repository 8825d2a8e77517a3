// STALE_VIEW: a running container sees a different certificate file than the node has — the
// failure of kops #16400. Two mechanisms, told apart by the evidence:
//  - a single-file bind mount whose file the node replaced by write-temp + rename: the mount
//    pins the old, now unlinked inode (mountinfo root ends in //deleted). Propagation is not the
//    cause and changing it does not help; mounting the parent directory does.
//  - a directory mount where the node mounted something new over the directory after the
//    container started, hidden by private propagation: HostToContainer would show it.

import type {
  Finding,
  FileComparison,
  Inventory,
  MountFacts,
  Workload,
} from '../../model/index.js';
import type { Check, CheckContext } from './context.js';
import { certText, mainCert, workloadName } from './workload-text.js';

function isStale(f: FileComparison): boolean {
  if (!f.host || !f.container) return false;
  return (
    f.host.sha256 !== f.container.sha256 ||
    f.host.ino !== f.container.ino ||
    f.host.dev !== f.container.dev
  );
}

function cause(m: MountFacts): string {
  const prop = `declared ${m.declared ?? 'unknown'}, effective ${m.effective ?? 'unknown'}`;
  if (m.kind === 'file') {
    return (
      `Single-file bind mount of ${m.hostPath}: the node replaced the file by write-temp + rename (a new inode), ` +
      `and a file bind mount keeps the inode it was created with${m.deleted ? ' (mountinfo root ends in //deleted)' : ''}. ` +
      `Mount propagation (${prop}) is NOT the cause: propagation carries new mounts, not file replacements, so ` +
      `mountPropagation: HostToContainer would not have helped. Old EXITED containers are not the cause either.`
    );
  }
  if (m.hiddenHostMounts.length > 0 && m.effective === 'private') {
    return `The node mounted ${m.hiddenHostMounts.join(', ')} under ${m.hostPath} after the container started; private propagation (${prop}) hides new host mounts from the container.`;
  }
  return `The container's view of ${m.hostPath} differs from the node's (${prop}).`;
}

function remedy(m: MountFacts, w: Workload): string {
  const recreate = `Recreate the container now so it reads the node's current file (\`crictl stop ${w.id.slice(0, 13)}\`: kubelet then starts attempt ${(w.attempt ?? 0) + 1}).`;
  if (m.kind === 'file') {
    return `${recreate} Then fix the manifest: mount the parent directory (${m.hostPath.slice(0, m.hostPath.lastIndexOf('/')) || '/'}) instead of the file, as kops ≥ 1.36 does (kops PR #18344).`;
  }
  return `${recreate} Then set mountPropagation: HostToContainer on this volume mount so later host mounts reach the container.`;
}

export const staleView: Check = {
  name: 'stale-view',
  run(inv: Inventory, ctx: CheckContext): Finding[] {
    const out: Finding[] = [];
    for (const w of inv.workloads) {
      if (w.state !== 'running') continue;
      for (const m of w.mounts) {
        const stale = m.files.filter(isStale);
        if (stale.length === 0 && !m.deleted) continue;
        const f = stale[0] ?? m.files[0];
        const inside = mainCert(f?.container ?? null);
        const onNode = mainCert(f?.host ?? null);
        const expired = inside !== undefined && inside.notAfter.getTime() <= ctx.now.getTime();
        out.push({
          code: 'STALE_VIEW',
          severity: 'critical',
          title: `${w.name} sees an older certificate than the node${inside ? ` (its copy ${expired ? 'expired' : 'expires'} ${inside.notAfter.toISOString().slice(0, 10)})` : ''}`,
          evidence: {
            workload: workloadName(w),
            mount: `${m.hostPath} -> ${m.containerPath} (${m.kind})`,
            mountinfoRoot: m.mountRoot ?? '',
            propagation: `declared ${m.declared ?? 'unknown'}, effective ${m.effective ?? 'unknown'}`,
            path: f?.hostPath ?? m.hostPath,
            file: f ? `${f.hostPath} (in container ${f.containerPath})` : '',
            inContainer: `${certText(inside)}${f?.container ? `; inode ${f.container.ino}` : ''}`,
            onNode: `${certText(onNode)}${f?.host ? `; inode ${f.host.ino}, replaced ${f.host.ctime.toISOString()}` : ''}`,
            startedAt: w.startedAt?.toISOString() ?? '',
          },
          cause: cause(m),
          remedy: remedy(m, w),
          subject: `${w.kind}/${w.name}`,
          target: w.id,
        });
      }
    }
    return out;
  },
};
