// The manifests the project ships, rendered the way users install them (`kubectl kustomize
// deploy/base`): the tests apply these RBAC objects and CRDs to the real control plane, so a
// rule missing from deploy/ is a 403 in the tests as it is on a cluster.

import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

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

let copy: string | null = null;

/**
 * An overlay as a user writes it: `resources` and `components` (paths under deploy/), rendered
 * with `kubectl kustomize`. kustomize refuses absolute paths to bases, so the overlay sits next
 * to a copy of deploy/ in a temp dir.
 */
export function renderOverlay(resources: string[], components: string[] = []): Manifest[] {
  const key = JSON.stringify([resources, components]);
  const hit = cache.get(key);
  if (hit) return structuredClone(hit);
  if (copy === null) {
    copy = mkdtempSync(join(tmpdir(), 'certdrift-deploy-'));
    cpSync(join(REPO_ROOT, 'deploy'), join(copy, 'deploy'), { recursive: true });
  }
  const dir = mkdtempSync(join(copy, 'overlay-'));
  const rel = (xs: string[]): string => JSON.stringify(xs.map((x) => `../deploy/${x}`));
  writeFileSync(
    join(dir, 'kustomization.yaml'),
    `resources: ${rel(resources)}\ncomponents: ${rel(components)}\n`,
  );
  const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  if (r.error) throw new Error(`kubectl kustomize: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`kubectl kustomize ${key}: ${r.stderr}`);
  const objs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Manifest);
  cache.set(key, objs);
  return structuredClone(objs);
}

/** Whether kubectl can be run here (CI always has it; a laptop may not). */
export function haveKubectl(): boolean {
  return !spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).error;
}

/** One rule of a Role or ClusterRole, as rbac.authorization.k8s.io/v1 writes it. */
export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}
