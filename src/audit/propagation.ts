// PROPAGATION_NONE: a directory under which the node mounts things later (kubelet's volume
// mounts under /var/lib/kubelet, /mnt…) mounted with propagation None: the container never sees
// those mounts. Fix: mountPropagation: HostToContainer.
// PROPAGATION_CANNOT_HELP (info): propagation set on a single-file mount — the popular #16400
// advice; it does not make file replacements visible.

import type { ManifestWorkload } from '../manifests/read-manifests.js';
import type { AuditFinding, AuditRule } from './types.js';
import { looksLikeCertFile } from './rotation.js';

const HOST_MOUNTS_UNDER = ['/var/lib/kubelet', '/mnt', '/media', '/run/netns', '/var/run/netns'];

function hostMountsUnder(path: string): boolean {
  const p = path.replace(/\/+$/, '') || '/';
  return HOST_MOUNTS_UNDER.some((d) => d === p || d.startsWith(p === '/' ? '/' : `${p}/`));
}

export const propagation: AuditRule = {
  id: 'PROPAGATION_NONE',
  summary: 'directory the node mounts under, mounted without propagation',
  run(file: string, w: ManifestWorkload): AuditFinding[] {
    const out: AuditFinding[] = [];
    for (const c of w.containers) {
      for (const m of c.mounts) {
        const hp = w.volumes.find((x) => x.name === m.name)?.hostPath;
        if (!hp) continue;
        const prop = m.mountPropagation ?? 'None';
        if (
          prop === 'None' &&
          !m.subPath &&
          !looksLikeCertFile(hp.path) &&
          hostMountsUnder(hp.path)
        ) {
          out.push({
            code: 'PROPAGATION_NONE',
            severity: 'warning',
            title: `${w.kind} ${w.namespace}/${w.name} container ${c.name} mounts ${hp.path} without propagation`,
            evidence: { hostPath: hp.path, mountPath: m.mountPath, mountPropagation: prop },
            cause: `The node mounts volumes under ${hp.path} after the container starts; with propagation None (rprivate) the container never sees them.`,
            remedy:
              'Set mountPropagation: HostToContainer (the node side must be a shared mount, as it is on systemd hosts).',
            subject: `${w.kind}/${w.name}/${c.name}`,
            location: { file, line: m.pos.line, column: m.pos.column },
            fix: {
              ops: [
                { doc: w.doc, path: [...m.path, 'mountPropagation'], value: 'HostToContainer' },
              ],
              description: `mountPropagation: HostToContainer on ${m.mountPath}`,
            },
          });
        }
        if (prop !== 'None' && looksLikeCertFile(hp.path) && !hp.type?.startsWith('Directory')) {
          out.push({
            code: 'PROPAGATION_CANNOT_HELP',
            severity: 'info',
            title: `mountPropagation ${prop} on the single-file mount ${hp.path} does not keep it current`,
            evidence: { hostPath: hp.path, mountPath: m.mountPath, mountPropagation: prop },
            cause:
              'Propagation carries new mounts between namespaces; replacing a file by rename creates no mount, so the container still reads the old inode.',
            remedy:
              'Mount the parent directory instead (see FILE_HOSTPATH_MOUNT); propagation can stay as it is.',
            subject: `${w.kind}/${w.name}/${c.name}`,
            location: { file, line: m.pos.line, column: m.pos.column },
          });
        }
      }
    }
    return out;
  },
};
