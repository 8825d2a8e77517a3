// Mount risks before they bite:
//  RISKY_FILE_MOUNT — a running container mounts a certificate or kubeconfig as a single file:
//    the next rotation (write-temp + rename) will leave it on the old inode. Propagation cannot
//    fix this; mounting the directory does.
//  HIDDEN_HOST_MOUNTS — a directory mount with private propagation while the node has mounts
//    under that directory the container cannot see: HostToContainer would carry them.

import type { Finding, Inventory } from '../../model/index.js';
import type { Check, CheckContext } from './context.js';
import { workloadName } from './workload-text.js';

export const mountRisks: Check = {
  name: 'mount-risks',
  run(inv: Inventory, _ctx: CheckContext): Finding[] {
    const out: Finding[] = [];
    for (const w of inv.workloads) {
      if (w.state !== 'running') continue;
      for (const m of w.mounts) {
        const stale =
          m.deleted ||
          m.files.some((f) => f.host && f.container && f.host.sha256 !== f.container.sha256);
        if (m.kind === 'file' && !stale) {
          out.push({
            code: 'RISKY_FILE_MOUNT',
            severity: 'warning',
            title: `${w.name} mounts ${m.hostPath} as a single file; the next rotation will leave it behind`,
            evidence: {
              workload: workloadName(w),
              mount: `${m.hostPath} -> ${m.containerPath}`,
              propagation: `declared ${m.declared ?? 'unknown'}, effective ${m.effective ?? 'unknown'}`,
            },
            cause:
              'A file bind mount pins the inode present when the container started; rotation tools (kops nodeup, kubeadm) replace files by rename. Mount propagation does not change this.',
            remedy: `Mount the parent directory instead of the file (kops ≥ 1.36 mounts /var/lib/kube-proxy).`,
            subject: `${w.kind}/${w.name}`,
            target: w.id,
          });
        }
        if (m.kind === 'dir' && m.hiddenHostMounts.length > 0 && m.effective === 'private') {
          out.push({
            code: 'HIDDEN_HOST_MOUNTS',
            severity: 'warning',
            title: `${w.name} cannot see ${m.hiddenHostMounts.length} mount(s) the node has under ${m.hostPath}`,
            evidence: {
              workload: workloadName(w),
              mount: `${m.hostPath} -> ${m.containerPath}`,
              hiddenMounts: m.hiddenHostMounts.join(', '),
              propagation: `declared ${m.declared ?? 'unknown'}, effective ${m.effective}`,
            },
            cause:
              'Private (None) propagation: mounts the node makes under the directory after the container started never reach it.',
            remedy:
              'Set mountPropagation: HostToContainer on this volume mount (the host side must be a shared mount), then recreate the container.',
            subject: `${w.kind}/${w.name}`,
            target: w.id,
          });
        }
      }
    }
    return out;
  },
};
