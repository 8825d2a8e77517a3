// SUBPATH_PROJECTED_MOUNT: a Secret, ConfigMap or projected volume mounted with subPath never
// receives updates (kubelet updates the volume by swapping its ..data symlink; a subPath bind
// mount pins the old file). For certificates that is a silent expiry.

import type { ManifestWorkload } from '../manifests/read-manifests.js';
import type { AuditFinding, AuditRule } from './types.js';
import { looksLikeCertFile } from './rotation.js';

const CERTISH_NAME = /(cert|tls|ca|pki|kubeconfig|x509)/i;

export const subPathProjected: AuditRule = {
  id: 'SUBPATH_PROJECTED_MOUNT',
  summary:
    'certificate from a Secret/ConfigMap/projected volume mounted with subPath (never updated)',
  run(file: string, w: ManifestWorkload): AuditFinding[] {
    const out: AuditFinding[] = [];
    for (const c of w.containers) {
      for (const m of c.mounts) {
        const v = w.volumes.find((x) => x.name === m.name);
        if (!m.subPath || !v?.projectedKind) continue;
        if (
          !looksLikeCertFile(m.subPath) &&
          !looksLikeCertFile(m.mountPath) &&
          !CERTISH_NAME.test(`${v.name} ${m.subPath}`)
        )
          continue;
        out.push({
          code: 'SUBPATH_PROJECTED_MOUNT',
          severity: 'warning',
          title: `${w.kind} ${w.namespace}/${w.name} container ${c.name} mounts ${v.projectedKind} ${v.name} key ${m.subPath} with subPath`,
          evidence: {
            volume: v.name,
            source: v.projectedKind,
            subPath: m.subPath,
            mountPath: m.mountPath,
          },
          cause:
            'Kubelet updates Secret, ConfigMap and projected volumes by swapping a ..data symlink; a subPath mount binds the file that existed at container start and never sees a renewed certificate.',
          remedy:
            'Mount the whole volume at a directory (no subPath) and point the application at the file inside it; restart it on change if it does not watch the file.',
          subject: `${w.kind}/${w.name}/${c.name}`,
          location: { file, line: m.pos.line, column: m.pos.column },
        });
      }
    }
    return out;
  },
};
