// Which directories a change watch must cover so that "no event" means "the file half of the
// last scan is still true": every directory the walk listed (any change in it), and for every
// path the scan resolved, read, failed to read or found missing, each ancestor directory for the
// one name on the way (a swapped symbolic link, a renamed directory, a file that appeared where a
// kubeconfig points). Pure: paths in, a plan of watches out.

import type { WatchSpec } from './ports.js';
import type { Inventory } from '../model/index.js';

export type { WatchSpec };

function addName(spec: WatchSpec, dir: string, name: string): void {
  const cur = spec.get(dir);
  if (cur === 'all') return;
  if (cur) cur.add(name);
  else spec.set(dir, new Set([name]));
}

/** Every (parent, name) pair of an absolute in-root path: /a/b/c → (/, a), (/a, b), (/a/b, c). */
function addPath(spec: WatchSpec, path: string): void {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  let dir = '/';
  for (const name of parts) {
    if (name === '..') return; // canonical paths have none; a stray one is not worth guessing
    addName(spec, dir, name);
    dir = dir === '/' ? `/${name}` : `${dir}/${name}`;
  }
}

export function watchSpecOf(
  discovered: { listed: readonly string[]; resolved: readonly string[] },
  inv: Pick<Inventory, 'files' | 'certificates' | 'errors' | 'missing'>,
): WatchSpec {
  const spec: WatchSpec = new Map();
  for (const dir of discovered.listed) spec.set(dir, 'all');
  const paths = new Set<string>(discovered.resolved);
  for (const f of inv.files) {
    paths.add(f.path);
    for (const l of f.links) paths.add(l);
  }
  for (const c of inv.certificates) {
    paths.add(c.location.path);
    for (const l of c.location.links) paths.add(l);
  }
  for (const e of inv.errors) paths.add(e.path);
  for (const m of inv.missing) paths.add(m.path);
  for (const p of paths) if (p.startsWith('/')) addPath(spec, p);
  return spec;
}
