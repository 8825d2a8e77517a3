// Finds and reads manifest files: named files, directories (recursively: *.yaml, *.yml, *.json,
// kops *.manifest) and `-` for standard input. Unreadable files are problems, not exceptions.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface ManifestText {
  path: string;
  text: string;
}

const MANIFEST = /\.(ya?ml|json|manifest)$/;

export function readManifestFiles(
  paths: readonly string[],
  stdin: () => string,
): { files: ManifestText[]; problems: { path: string; message: string }[] } {
  const files: ManifestText[] = [];
  const problems: { path: string; message: string }[] = [];
  const visit = (p: string, named: boolean): void => {
    try {
      const st = statSync(p);
      if (st.isDirectory()) {
        for (const e of readdirSync(p).sort()) if (!e.startsWith('.')) visit(join(p, e), false);
      } else if (named || MANIFEST.test(p)) {
        files.push({ path: p, text: readFileSync(p, 'utf8') });
      }
    } catch (err) {
      problems.push({ path: p, message: err instanceof Error ? err.message : String(err) });
    }
  };
  for (const p of paths) {
    if (p === '-') files.push({ path: '<stdin>', text: stdin() });
    else visit(p, true);
  }
  return { files, problems };
}
