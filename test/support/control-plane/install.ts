// Installs what the project ships (deploy/, rendered by kubectl kustomize) on the shared test
// control plane, moved into one test's own namespace so test files running at the same time do
// not share identities or roles: the namespace `certdrift` becomes the test's, every
// cluster-scoped RBAC object gets the test's suffix (and the bindings' roleRefs follow). CRDs are
// cluster-wide and the same for every test: they are applied as shipped and waited for.
// ValidatingAdmissionPolicies (and their bindings) get the suffix too, and the ServiceAccount
// names in their CEL follow the namespace, so each test's policy governs its own identities
// only. install() applies them only when asked (`admission: true`): they refuse the agent's
// writes made with a token not bound to a node, which is what the tests that are not about them
// use (a kubelet's projected token always is; test/cluster/report-admission.test.ts).

import type { Manifest } from '../deploy-manifests.js';
import { objectPath, type Cleanup, type ControlPlane } from './index.js';

export interface Installed {
  namespace: string;
  /** cluster-scoped object names as renamed: original → installed */
  renamed: Map<string, string>;
  objects: Manifest[];
}

const CLUSTER_SCOPED_RBAC = new Set(['ClusterRole', 'ClusterRoleBinding']);
export const ADMISSION_POLICY = new Set([
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
]);
const NAMESPACED_RBAC = new Set(['Role', 'RoleBinding']);

/** The shipped objects as they would be installed into `namespace` (no API call). */
export function relocate(manifests: Manifest[], namespace: string, suffix = namespace): Installed {
  const renamed = new Map<string, string>();
  const out: Manifest[] = [];
  for (const m of structuredClone(manifests)) {
    if (m.kind === 'Namespace' || m.kind === 'CustomResourceDefinition') continue;
    const ns = m.metadata.namespace;
    const elsewhere = ns !== undefined && ns !== 'certdrift';
    if (ADMISSION_POLICY.has(m.kind)) {
      m.metadata.name = `${m.metadata.name}-${suffix}`;
      const spec = m.spec as { policyName?: string };
      if (m.kind === 'ValidatingAdmissionPolicyBinding' && spec.policyName)
        spec.policyName = `${spec.policyName}-${suffix}`;
      const moved = JSON.stringify(m.spec).replaceAll(
        'system:serviceaccount:certdrift:',
        `system:serviceaccount:${namespace}:`,
      );
      m.spec = JSON.parse(moved) as unknown;
    } else if (CLUSTER_SCOPED_RBAC.has(m.kind) || (elsewhere && NAMESPACED_RBAC.has(m.kind))) {
      // Cluster-wide, or in a namespace every test shares (events go to `default`).
      const name = `${m.metadata.name}-${suffix}`;
      renamed.set(`${m.kind}/${ns ?? ''}/${m.metadata.name}`, name);
      m.metadata.name = name;
    } else if (m.metadata.namespace === 'certdrift' || m.metadata.namespace === undefined) {
      m.metadata.namespace = namespace;
    }
    out.push(m);
  }
  for (const m of out) {
    if (m.kind !== 'ClusterRoleBinding' && m.kind !== 'RoleBinding') continue;
    const ref = m.roleRef as { kind: string; name: string };
    const refNs = ref.kind === 'Role' ? (m.metadata.namespace ?? '') : '';
    const to = renamed.get(`${ref.kind}/${refNs}/${ref.name}`);
    if (to) ref.name = to;
    for (const s of (m.subjects ?? []) as { kind: string; namespace?: string }[])
      if (s.kind === 'ServiceAccount' && (s.namespace === 'certdrift' || !s.namespace))
        s.namespace = namespace;
  }
  return { namespace, renamed, objects: out };
}

/** The shipped CRDs in `manifests`, applied and Established. */
export async function installCrds(cp: ControlPlane, manifests: Manifest[]): Promise<void> {
  for (const m of manifests.filter((x) => x.kind === 'CustomResourceDefinition'))
    await cp.applyCrd(m);
}

/**
 * Installs `manifests` into a fresh namespace of the test's (RBAC, ServiceAccounts, ConfigMaps;
 * workloads only if `workloads`), after their CRDs. Cluster-scoped objects are removed when the
 * test ends.
 */
export async function install(
  cp: ControlPlane,
  t: Cleanup,
  manifests: Manifest[],
  opts: { namespace?: string; workloads?: boolean; admission?: boolean } = {},
): Promise<Installed> {
  await installCrds(cp, manifests);
  const namespace = opts.namespace ?? (await cp.namespace(t, 'certdrift'));
  const installed = relocate(manifests, namespace);
  const WORKLOADS = new Set(['DaemonSet', 'Deployment', 'Pod', 'Job', 'StatefulSet']);
  const applied = installed.objects.filter(
    (m) =>
      (opts.workloads === true || !WORKLOADS.has(m.kind)) &&
      (opts.admission === true || !ADMISSION_POLICY.has(m.kind)),
  );
  for (const m of applied) await cp.admin.apply(m);
  t.after(async () => {
    // The test namespace goes with its objects; what lives elsewhere is removed one by one.
    for (const m of applied.filter((x) => x.metadata.namespace !== namespace))
      await cp.admin.request('DELETE', objectPath(m));
  });
  return installed;
}
