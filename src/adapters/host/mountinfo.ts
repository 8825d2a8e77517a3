// /proc/<pid>/mountinfo text → mount entries (proc(5)): mount id, parent, major:minor, root,
// mount point, options, optional fields (shared:N, master:N, propagate_from:N, unbindable),
// fs type, source, super options. Pure; never throws (malformed lines are skipped and counted).

import type { EffectivePropagation } from '../../model/index.js';
import type { MountEntry } from '../../node/ports.js';
export type { MountEntry } from '../../node/ports.js';

/** Undoes mountinfo's octal escapes (\040 space, \011 tab, \012 newline, \134 backslash). */
export function unescapeMountPath(s: string): string {
  return s.includes('\\')
    ? s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))
    : s;
}

export function propagationOf(optional: readonly string[]): EffectivePropagation {
  if (optional.some((o) => o.startsWith('shared:'))) return 'shared';
  if (optional.some((o) => o.startsWith('master:'))) return 'slave';
  if (optional.includes('unbindable')) return 'unbindable';
  return 'private';
}

export function parseMountinfo(text: string): { mounts: MountEntry[]; skipped: number } {
  const mounts: MountEntry[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    const [id, parent, devno, root, mountPoint, options] = f;
    const m = devno === undefined ? null : /^(\d+):(\d+)$/.exec(devno);
    if (
      sep < 0 ||
      f.length < sep + 3 ||
      !m ||
      root === undefined ||
      mountPoint === undefined ||
      !/^\d+$/.test(id ?? '') ||
      !/^\d+$/.test(parent ?? '')
    ) {
      skipped++;
      continue;
    }
    const optional = f.slice(6, sep);
    const rawRoot = unescapeMountPath(root);
    // The kernel appends "//deleted" to a path whose dentry was unlinked (d_path).
    const deleted = rawRoot.endsWith('//deleted');
    mounts.push({
      id: Number(id),
      parent: Number(parent),
      major: Number(m[1]),
      minor: Number(m[2]),
      root: deleted ? rawRoot.slice(0, -'//deleted'.length) : rawRoot,
      mountPoint: unescapeMountPath(mountPoint),
      options: (options ?? '').split(','),
      optional,
      fsType: f[sep + 1] ?? '',
      source: unescapeMountPath(f[sep + 2] ?? ''),
      propagation: propagationOf(optional),
      deleted,
    });
  }
  return { mounts, skipped };
}
