// FILE_HOSTPATH_MOUNT: a certificate, key or kubeconfig mounted from the node as a single file.
// When the node replaces that file by rename (kops nodeup), the container keeps the old inode:
// kops #16400. Fix: mount the parent directory (kops ≥ 1.36 does). Mount propagation cannot help.
//
// The fix is minimal and never invalid: all single-file mounts of one directory become one
// directory mount (RKE2's kube-proxy mounts four files of /var/lib/rancher/rke2/agent as
// file0…file3: one volume stays, the others go), and it is offered only when the directory holds
// no credentials beyond those the pod already mounts — widening kube-proxy's mount to RKE2's
// agent directory would hand it kubelet's private key. Then the finding says what to do by hand.

import type { PatchOp } from '../manifests/patch-manifest.js';
import type {
  ManifestMount,
  ManifestVolume,
  ManifestWorkload,
} from '../manifests/read-manifests.js';
import { otherCredentials } from './credentials.js';
import type { AuditContext, AuditFinding, AuditRule } from './types.js';
import { basename, dirname, looksLikeCertFile, rotationOf } from './rotation.js';

const DIR_TYPE: Readonly<Record<string, string>> = {
  File: 'Directory',
  FileOrCreate: 'DirectoryOrCreate',
};

interface Group {
  dir: string;
  volumes: ManifestVolume[];
}

/** Single-file certificate volumes that go stale, grouped by the node directory they are in. */
function staleFileVolumes(w: ManifestWorkload): Group[] {
  const groups = new Map<string, Group>();
  for (const v of w.volumes) {
    const hp = v.hostPath;
    if (!hp || !looksLikeCertFile(hp.path) || hp.type?.startsWith('Directory')) continue;
    if (rotationOf(hp.path) === 'in-place') continue; // the bind mount follows an in-place rewrite
    const dir = dirname(hp.path);
    const g = groups.get(dir) ?? { dir, volumes: [] };
    g.volumes.push(v);
    groups.set(dir, g);
  }
  return [...groups.values()];
}

/** The patch merging a group into one directory mount, or why there is none. */
function mergeOps(w: ManifestWorkload, g: Group, ctx: AuditContext): PatchOp[] | string {
  const names = new Set(g.volumes.map((v) => v.name));
  const mounted = w.volumes.flatMap((v) => (v.hostPath ? [v.hostPath.path] : []));
  const others = otherCredentials(g.dir, mounted, ctx);
  if (others.length > 0)
    return `${g.dir} also holds ${others.slice(0, 4).join(', ')}${others.length > 4 ? ` and ${others.length - 4} more` : ''}: mounting the directory would expose them to this pod`;
  const keep = g.volumes[0] as ManifestVolume;
  const hostFile = new Map(g.volumes.map((v) => [v.name, v.hostPath?.path ?? '']));
  const ops: PatchOp[] = [{ doc: w.doc, path: [...keep.path, 'hostPath', 'path'], value: g.dir }];
  const type = keep.hostPath?.type;
  if (type && DIR_TYPE[type])
    ops.push({ doc: w.doc, path: [...keep.path, 'hostPath', 'type'], value: DIR_TYPE[type] });
  for (const c of w.containers) {
    const ms = c.mounts.filter((m) => names.has(m.name));
    if (ms.length === 0) continue;
    if (ms.some((m) => m.subPath)) return `container ${c.name} mounts one of them with subPath`;
    if (ms.some((m) => basename(m.mountPath) !== basename(hostFile.get(m.name) ?? '')))
      return `container ${c.name} mounts a file under another name than it has on the node`;
    const dirs = new Set(ms.map((m) => dirname(m.mountPath)));
    if (dirs.size > 1)
      return `container ${c.name} mounts the files in ${dirs.size} different directories`;
    if (new Set(ms.map((m) => m.readOnly)).size > 1)
      return `container ${c.name} mounts some of the files read-only and some not`;
    const first = ms[0] as ManifestMount;
    if (first.name !== keep.name)
      ops.push({ doc: w.doc, path: [...first.path, 'name'], value: keep.name });
    ops.push({ doc: w.doc, path: [...first.path, 'mountPath'], value: dirname(first.mountPath) });
    for (const m of ms.slice(1)) ops.push({ doc: w.doc, path: m.path, delete: true });
  }
  for (const v of g.volumes.slice(1)) ops.push({ doc: w.doc, path: v.path, delete: true });
  return ops;
}

export const fileHostPath: AuditRule = {
  id: 'FILE_HOSTPATH_MOUNT',
  summary: 'certificate or kubeconfig mounted from the node as a single file',
  run(file: string, w: ManifestWorkload, ctx: AuditContext): AuditFinding[] {
    const out: AuditFinding[] = [];
    for (const g of staleFileVolumes(w)) {
      const merge = mergeOps(w, g, ctx);
      let fixed = false;
      for (const v of g.volumes) {
        const hp = v.hostPath;
        if (!hp) continue;
        const rotation = rotationOf(hp.path);
        for (const c of w.containers) {
          for (const m of c.mounts.filter((x) => x.name === v.name && !x.subPath)) {
            const files = g.volumes.map((x) => x.hostPath?.path ?? '');
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
                ...(typeof merge === 'string' ? { noAutomaticFix: merge } : {}),
              },
              cause:
                'A file bind mount pins the inode present when the container starts; a rotation that renames a new file into place leaves the container reading the old one (kops #16400). mountPropagation does not change this: it carries mounts, not file replacements.',
              remedy:
                typeof merge === 'string'
                  ? `By hand: ${merge}. Give the files this pod needs (${files.map(basename).join(', ')}) a directory of their own (e.g. ${g.dir}/${w.name || 'component'}/), have the node write them there, mount that directory and point the component at it — or restart the container after every rotation.`
                  : `Mount the parent directory: hostPath ${g.dir} at ${dirname(m.mountPath)}${g.volumes.length > 1 ? `, once for its ${g.volumes.length} files` : ''} (kops ≥ 1.36 does this for kube-proxy).`,
              subject: `${w.kind}/${w.name}/${c.name}`,
              location: { file, line: hp.pathPos.line, column: hp.pathPos.column },
              // One fix per directory: the first finding carries it.
              ...(typeof merge !== 'string' && !fixed
                ? {
                    fix: {
                      ops: merge,
                      description: `mount ${g.dir} instead of ${files.join(', ')}`,
                    },
                  }
                : {}),
            });
            fixed = true;
          }
        }
      }
    }
    return out;
  },
};
