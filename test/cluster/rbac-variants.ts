// RBAC minimality on the real API server: a role as shipped (or with one verb of one rule removed)
// is applied for real under a suffix of its own and bound to a subject of its own, so variants
// tried one after another in one namespace never add up; `inForce` waits until the server's RBAC
// authorizer (fed by informers, so a moment behind the write) allows what the variant grants.

import type { TestContext } from 'node:test';
import type { Manifest, PolicyRule } from '../support/deploy-manifests.js';
import { objectPath, type ControlPlane } from '../support/control-plane/index.js';
import { relocate } from '../support/control-plane/install.js';

const RBAC = new Set(['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);

/** `resource:verb` for every verb of every rule */
export const grantsOf = (rules: PolicyRule[]): string[] =>
  rules.flatMap((r) => (r.resources ?? []).flatMap((res) => r.verbs.map((v) => `${res}:${v}`)));

/** Every (role, rule, verb) of `roles`, each with the manifests that lack exactly that verb. */
export function withoutEachVerb(
  base: Manifest[],
  roles: Manifest[],
): { what: string; rule: PolicyRule; verb: string; manifests: Manifest[] }[] {
  const out: { what: string; rule: PolicyRule; verb: string; manifests: Manifest[] }[] = [];
  for (const role of roles)
    for (const [i, rule] of (role.rules as PolicyRule[]).entries())
      for (const verb of rule.verbs) {
        const manifests = structuredClone(base);
        const target = manifests.find(
          (m) =>
            m.kind === role.kind &&
            m.metadata.name === role.metadata.name &&
            m.metadata.namespace === role.metadata.namespace,
        );
        if (!target) throw new Error(`${role.kind}/${role.metadata.name} not in the manifests`);
        const rules = target.rules as PolicyRule[];
        const remaining = rule.verbs.filter((v) => v !== verb);
        if (remaining.length === 0) rules.splice(i, 1);
        else (rules[i] as PolicyRule).verbs = remaining;
        out.push({
          what: `${role.kind}/${role.metadata.name} without ${rule.resources?.join(',') ?? ''}:${verb}`,
          rule,
          verb,
          manifests,
        });
      }
  return out;
}

/**
 * Applies the RBAC objects of `manifests` (ServiceAccounts too) into `ns`: cluster-scoped and
 * `default`-namespace objects renamed with `suffix`, the service account `certdrift` renamed
 * `sa` (and the bindings' subjects with it). Removed when the test ends.
 */
export async function applyRbac(
  cp: ControlPlane,
  t: TestContext,
  manifests: Manifest[],
  ns: string,
  suffix: string,
  sa = 'certdrift',
): Promise<Manifest[]> {
  const objects = relocate(manifests, ns, suffix).objects.filter(
    (m) => RBAC.has(m.kind) || m.kind === 'ServiceAccount',
  );
  for (const m of objects) {
    if (m.kind === 'ServiceAccount' && m.metadata.name === 'certdrift') m.metadata.name = sa;
    for (const s of (m.subjects ?? []) as { kind: string; name: string; namespace?: string }[])
      if (s.kind === 'ServiceAccount' && s.name === 'certdrift' && s.namespace === ns) s.name = sa;
  }
  for (const m of objects) await cp.admin.apply(m);
  t.after(async () => {
    for (const m of objects.filter((x) => x.metadata.namespace !== ns))
      await cp.admin.request('DELETE', objectPath(m));
  });
  return objects;
}

/** Waits until the server allows `user` every verb the applied roles bound to it grant. */
export async function inForce(
  cp: ControlPlane,
  user: { name: string; groups?: string[] },
  applied: Manifest[],
): Promise<void> {
  const subjectIs = (s: { kind: string; name: string; namespace?: string }): boolean =>
    s.kind === 'ServiceAccount'
      ? user.name === `system:serviceaccount:${s.namespace ?? ''}:${s.name}`
      : s.name === user.name;
  const bound = new Set(
    applied
      .filter((b) => b.kind === 'ClusterRoleBinding' || b.kind === 'RoleBinding')
      .filter((b) => (b.subjects as Parameters<typeof subjectIs>[0][]).some(subjectIs))
      .map((b) => {
        const ref = b.roleRef as { kind: string; name: string };
        return `${ref.kind}/${ref.kind === 'Role' ? (b.metadata.namespace ?? '') : ''}/${ref.name}`;
      }),
  );
  const checks = applied
    .filter((m) => m.kind === 'ClusterRole' || m.kind === 'Role')
    .filter((m) =>
      bound.has(
        `${m.kind}/${m.kind === 'Role' ? (m.metadata.namespace ?? '') : ''}/${m.metadata.name}`,
      ),
    )
    .flatMap((m) =>
      (m.rules as PolicyRule[]).flatMap((r) =>
        (r.resources ?? []).flatMap((res) =>
          r.verbs.map((verb) => {
            const [resource, subresource] = res.split('/');
            return {
              group: r.apiGroups?.[0] ?? '',
              resource,
              verb,
              ...(subresource ? { subresource } : {}),
              ...(m.kind === 'Role' ? { namespace: m.metadata.namespace } : {}),
            };
          }),
        ),
      ),
    );
  for (const resourceAttributes of checks)
    await cp.waitFor(
      `${user.name} may ${resourceAttributes.verb} ${resourceAttributes.resource}`,
      15_000,
      async () => {
        const r = await cp.admin.create('/apis/authorization.k8s.io/v1/subjectaccessreviews', {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: { user: user.name, groups: user.groups ?? [], resourceAttributes },
        });
        return (r.status as { allowed?: boolean } | undefined)?.allowed ? true : undefined;
      },
      100,
    );
}
