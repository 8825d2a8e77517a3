// The manifests the project ships, rendered the way users install them (`kubectl kustomize
// deploy/base`): the emulation authorizes with these RBAC objects and serves these CRDs, so a
// rule missing from deploy/ is a 403 in the tests as it is on a cluster.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface Manifest {
  kind: string;
  apiVersion?: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

const cache = new Map<string, Manifest[]>();

/** `kubectl kustomize deploy/<dir>` as objects; throws when kubectl is missing or fails. */
export function renderDeploy(dir = 'base'): Manifest[] {
  const hit = cache.get(dir);
  if (hit) return structuredClone(hit);
  const r = spawnSync('kubectl', ['kustomize', `${REPO_ROOT}deploy/${dir}`], { encoding: 'utf8' });
  if (r.error)
    throw new Error(
      `kubectl kustomize deploy/${dir}: ${r.error.message} (kubectl is needed to render the shipped manifests)`,
    );
  if (r.status !== 0) throw new Error(`kubectl kustomize deploy/${dir}: ${r.stderr}`);
  const objs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Manifest);
  cache.set(dir, objs);
  return structuredClone(objs);
}

/** Whether kubectl can be run here (CI always has it; a laptop may not). */
export function haveKubectl(): boolean {
  return !spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).error;
}
