// A small bounded walk for certificate-looking files under one directory a container mounts:
// depth- and entry-limited, names filtered like discovery's (nameSuggestsCertificates), symbolic
// links resolved inside the host root (file links only; linked directories are not entered, so
// no loop is possible). No glob is built from the directory name: hostile names stay inert.

import { readdir } from 'node:fs/promises';
import type { ItemError } from '../../model/index.js';
import { nameSuggestsCertificates, type DiscoveredFile } from './discover.js';
import type { HostFiles } from './host-files.js';
import { errorText, reasonOfOsError } from './os-reason.js';
import type { CertWalkLimits, CertWalk } from '../../node/ports.js';
export type { CertWalkLimits, CertWalk } from '../../node/ports.js';

export async function walkForCertificates(
  host: HostFiles,
  dir: string,
  limits: CertWalkLimits,
): Promise<CertWalk> {
  const files: DiscoveredFile[] = [];
  const errors: ItemError[] = [];
  let entries = 0;
  let level = [dir];
  const join = (d: string, n: string): string => (d === '/' ? `/${n}` : `${d}/${n}`);
  for (let depth = 0; depth <= limits.maxDepth && level.length > 0; depth++) {
    const next: string[] = [];
    for (const d of level) {
      let list;
      try {
        list = await readdir(host.real(d), { withFileTypes: true });
      } catch (err) {
        errors.push({
          path: d,
          reason: reasonOfOsError(err),
          message: `cannot list ${d}: ${errorText(err)}`,
        });
        continue;
      }
      list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const e of list) {
        if (++entries > limits.maxEntries) return { files, errors, truncated: true };
        const p = join(d, e.name);
        if (e.isDirectory()) {
          if (!e.name.startsWith('..') && (limits.enter?.(p) ?? true)) next.push(p);
        } else if (nameSuggestsCertificates(p)) {
          if (e.isFile()) files.push({ path: p, links: [], expectCertificates: false });
          else if (e.isSymbolicLink()) {
            const r = await host.resolve(p);
            if (r.ok && r.kind === 'file')
              files.push({ path: r.path, links: [p], expectCertificates: false });
          }
        }
      }
    }
    level = next;
  }
  return { files, errors, truncated: false };
}
