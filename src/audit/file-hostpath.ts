// FILE_HOSTPATH_MOUNT: a certificate, key or kubeconfig mounted from the node as a single file.
// When the node replaces that file by rename (kops nodeup), the container keeps the old inode:
// kops #16400. Fix: mount the parent directory (kops ≥ 1.36 does). Mount propagation cannot help.

import type { SetOp } from '../manifests/patch-manifest.js';
import type { ManifestWorkload } from '../manifests/read-manifests.js';
import type { AuditFinding, AuditRule } from './types.js';
import { basename, dirname, looksLikeCertFile, rotationOf } from './rotation.js';

const DIR_TYPE: Readonly<Record<string, string>> = {
  File: 'Directory',
  FileOrCreate: 'DirectoryOrCreate',
};

export const fileHostPath: AuditRule = {
  id: 'FILE_HOSTPATH_MOUNT',
  summary: 'certificate or kubeconfig mounted from the node as a single file',
  run(file: string, w: ManifestWorkload): AuditFinding[] {
    const out: AuditFinding[] = [];
    for (const v of w.volumes) {
      const hp = v.hostPath;
      if (!hp || !looksLikeCertFile(hp.path) || hp.type?.startsWith('Directory')) continue;
      const rotation = rotationOf(hp.path);
      if (rotation === 'in-place') continue; // the bind mount follows an in-place rewrite
      for (const c of w.containers) {
        for (const m of c.mounts.filter((x) => x.name === v.name && !x.subPath)) {
          const sameName = basename(m.mountPath) === basename(hp.path);
          const ops: SetOp[] = sameName
            ? [
                { doc: w.doc, path: [...v.path, 'hostPath', 'path'], value: dirname(hp.path) },
                ...(hp.type && DIR_TYPE[hp.type]
                  ? [
                      {
                        doc: w.doc,
                        path: [...v.path, 'hostPath', 'type'],
                        value: DIR_TYPE[hp.type] ?? '',
                      },
                    ]
                  : []),
                ...w.containers.flatMap((cc) =>
                  cc.mounts
                    .filter((x) => x.name === v.name && !x.subPath)
                    .map((x) => ({
                      doc: w.doc,
                      path: [...x.path, 'mountPath'],
                      value: dirname(x.mountPath),
                    })),
                ),
              ]
            : [];
          out.push({
            code: 'FILE_HOSTPATH_MOUNT',
            severity: rotation === 'rename' ? 'critical' : 'warning',
            title: `${w.kind} ${w.namespace}/${w.name} container ${c.name} mounts ${hp.path} as a single file`,
            evidence: {
              volume: v.name,
              hostPath: hp.path,
              mountPath: m.mountPath,
              rotation:
                rotation === 'rename'
                  ? 'replaced by write-temp + rename on this kind of node'
                  : 'unknown (any rename-style rotation makes it stale)',
              mountPropagation: m.mountPropagation ?? 'None',
            },
            cause:
              'A file bind mount pins the inode present when the container starts; a rotation that renames a new file into place leaves the container reading the old one (kops #16400). mountPropagation does not change this: it carries mounts, not file replacements.',
            remedy: sameName
              ? `Mount the parent directory: hostPath ${dirname(hp.path)} at ${dirname(m.mountPath)} (kops ≥ 1.36 does this for kube-proxy).`
              : `Mount the parent directory ${dirname(hp.path)} and point the container at the file inside it.`,
            subject: `${w.kind}/${w.name}/${c.name}`,
            location: { file, line: hp.pathPos.line, column: hp.pathPos.column },
            // One fix per volume: the first container's finding carries it.
            ...(ops.length > 0 && !out.some((f) => f.evidence.volume === v.name)
              ? { fix: { ops, description: `mount ${dirname(hp.path)} instead of ${hp.path}` } }
              : {}),
          });
        }
      }
    }
    return out;
  },
};
