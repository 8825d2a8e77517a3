// Finds and reads manifest files for `audit`: named files, directories (recursively: *.yaml,
// *.yml, *.json, kops *.manifest) and `-` for standard input. (A node's static pods are read
// through the confined NodeFiles port: node/sources/static-pods.ts.)
// Unreadable files are problems, not exceptions. Bounded: a directory is entered once (by device
// and inode, so links like `a -> .` cannot loop), at most MAX_MANIFESTS files of at most
// MAX_MANIFEST_BYTES each are read.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** manifests read per command or scan; a node has a handful of static pods */
import { MAX_MANIFESTS, MAX_MANIFEST_BYTES } from '../../model/manifest-limits.js';
import { plainOsError } from './os-reason.js';

export { MAX_MANIFESTS, MAX_MANIFEST_BYTES };

export type { ManifestText } from '../../node/sources/static-pods.js';
import type { ManifestText } from '../../node/sources/static-pods.js';

const MANIFEST = /\.(ya?ml|json|manifest)$/;

export function readManifestFiles(
  paths: readonly string[],
  stdin: () => string,
): { files: ManifestText[]; problems: { path: string; message: string }[] } {
  const files: ManifestText[] = [];
  const problems: { path: string; message: string }[] = [];
  // directories entered, by device and inode: a link back up (`a -> .`) is entered once
  const entered = new Set<string>();
  let capped = false;
  const visit = (p: string, named: boolean): void => {
    if (files.length >= MAX_MANIFESTS) {
      if (!capped)
        problems.push({
          path: p,
          message: `more than ${MAX_MANIFESTS} manifests; the rest not read`,
        });
      capped = true;
      return;
    }
    try {
      const st = statSync(p);
      if (st.isDirectory()) {
        const id = `${st.dev}:${st.ino}`;
        if (entered.has(id)) return;
        entered.add(id);
        for (const e of readdirSync(p).sort()) if (!e.startsWith('.')) visit(join(p, e), false);
      } else if (named || MANIFEST.test(p)) {
        if (st.size > MAX_MANIFEST_BYTES)
          throw new Error(`${p} is ${st.size} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`);
        files.push({ path: p, text: readFileSync(p, 'utf8') });
      }
    } catch (err) {
      problems.push({ path: p, message: plainOsError(err) });
    }
  };
  for (const p of paths) {
    if (p === '-') files.push({ path: '<stdin>', text: stdin() });
    else visit(p, true);
  }
  return { files, problems };
}
