// The real `helm` (helm.sh/helm/v4, built from its Go module by scripts/helm-binary.sh) and the
// chart's output as objects. The tests never use a helm found on PATH: the pinned one only.

import type { TestContext } from 'node:test';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT, type Manifest } from './deploy-manifests.js';

export const CHART = join(REPO_ROOT, 'deploy/helm/certdrift');

let built: { helm: string } | { why: string; noGo: boolean } | undefined;

/**
 * The pinned helm, built on first use (a cold build takes a few minutes; .ci/run builds it
 * before the tests). Without Go: a skip off CI, a failure under CI=true.
 */
export function requireHelm(t: TestContext): string | null {
  if (built === undefined) {
    const script = join(REPO_ROOT, 'scripts/helm-binary.sh');
    let r = spawnSync('bash', [script, '--check'], { encoding: 'utf8' });
    if (r.status !== 0) r = spawnSync('bash', [script], { encoding: 'utf8', timeout: 30 * 60_000 });
    built =
      r.status === 0
        ? { helm: r.stdout.trim() }
        : {
            why:
              r.status === 3
                ? 'Go 1.26+ is not installed: helm is built from its Go module (bash scripts/helm-binary.sh)'
                : `building helm failed (bash scripts/helm-binary.sh): ${r.stderr.slice(-2000)}`,
            noGo: r.status === 3,
          };
  }
  if ('helm' in built) return built.helm;
  if (process.env.CI === 'true' || !built.noGo)
    throw new Error(`helm chart tests cannot run: ${built.why}`);
  t.skip(built.why);
  return null;
}

/** The CRDs scripts/helm-binary.sh copied beside helm (Prometheus Operator, cert-manager). */
export function helmKitCrds(helm: string): string {
  return join(dirname(dirname(helm)), 'crds');
}

export interface HelmRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** helm with no user config, cache or plugins from this machine; `kubeconfig` for the cluster. */
export function runHelm(
  helm: string,
  args: string[],
  kubeconfig = '/nonexistent/kubeconfig',
): HelmRun {
  const r = spawnSync(helm, args, {
    encoding: 'utf8',
    timeout: 240_000,
    maxBuffer: 64 << 20,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: tmpdir(),
      HELM_CONFIG_HOME: '/nonexistent/helm-config',
      HELM_CACHE_HOME: '/nonexistent/helm-cache',
      HELM_DATA_HOME: '/nonexistent/helm-data',
      HELM_PLUGINS: '/nonexistent/helm-plugins',
      KUBECONFIG: kubeconfig,
    },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * `helm template` of the chart (CRDs included) as objects, parsed the way the API server reads
 * YAML (1.1: `0400` is octal). Throws with helm's error when it fails.
 */
export function helmTemplate(
  helm: string,
  args: string[] = [],
  namespace = 'certdrift',
): Manifest[] {
  const r = runHelm(helm, [
    'template',
    'certdrift',
    CHART,
    '--namespace',
    namespace,
    '--include-crds',
    ...args,
  ]);
  if (r.status !== 0) throw new Error(`helm template ${args.join(' ')}: ${r.stderr}`);
  return parseAllDocuments(r.stdout, { version: '1.1' })
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`helm template output: ${d.errors[0]?.message}`);
      return d.toJS() as Manifest | null;
    })
    .filter((m): m is Manifest => m !== null);
}
