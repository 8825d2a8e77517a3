// RBAC as kube-apiserver evaluates it (plugin/pkg/auth/authorizer/rbac/rbac.go, RuleAllows, and
// pkg/apis/rbac/v1/evaluation_helpers.go): a request is allowed when some binding whose subject
// matches the user grants a rule whose verbs, apiGroups, resources and resourceNames all match.
// ClusterRoleBindings grant everywhere; RoleBindings only in their namespace. A rule on
// `nodecertificatereports` never covers `nodecertificatereports/status` (ResourceMatches): the
// subresource must be named, or written `*/status` or `*`. Deny is the default: there are no
// deny rules. The rules come from the manifests the project ships (loadShippedManifests).

import type { RequestInfo } from './request-info.js';

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface Subject {
  kind: 'ServiceAccount' | 'User' | 'Group';
  name: string;
  namespace?: string;
}

export interface UserInfo {
  name: string;
  groups: string[];
}

interface RoleObj {
  kind: 'Role' | 'ClusterRole';
  metadata: { name: string; namespace?: string };
  rules?: PolicyRule[];
}

interface BindingObj {
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  metadata: { name: string; namespace?: string };
  roleRef: { kind: 'Role' | 'ClusterRole'; name: string };
  subjects?: Subject[];
}

// evaluation_helpers.go VerbMatches
const verbMatches = (r: PolicyRule, verb: string): boolean =>
  r.verbs.some((v) => v === '*' || v === verb);

// evaluation_helpers.go APIGroupMatches
const groupMatches = (r: PolicyRule, group: string): boolean =>
  (r.apiGroups ?? []).some((g) => g === '*' || g === group);

// evaluation_helpers.go ResourceMatches: `*`, the exact `resource[/subresource]`, or `*/sub`
function resourceMatches(r: PolicyRule, resource: string, sub: string): boolean {
  const combined = sub ? `${resource}/${sub}` : resource;
  return (r.resources ?? []).some(
    (x) => x === '*' || x === combined || (sub !== '' && x === `*/${sub}`),
  );
}

// evaluation_helpers.go ResourceNameMatches: an empty list allows every name; a non-empty list
// never matches a request without a name (create, list).
const nameMatches = (r: PolicyRule, name: string): boolean =>
  (r.resourceNames ?? []).length === 0 || (r.resourceNames ?? []).includes(name);

export function ruleAllows(r: PolicyRule, req: RequestInfo): boolean {
  return (
    verbMatches(r, req.verb) &&
    groupMatches(r, req.group) &&
    resourceMatches(r, req.resource, req.subresource) &&
    nameMatches(r, req.name)
  );
}

// rbac.go appliesTo / appliesToUser: service accounts by their user name
function subjectMatches(s: Subject, user: UserInfo, bindingNs: string | undefined): boolean {
  if (s.kind === 'User') return s.name === user.name;
  if (s.kind === 'Group') return user.groups.includes(s.name);
  const ns = s.namespace ?? bindingNs ?? '';
  return user.name === `system:serviceaccount:${ns}:${s.name}`;
}

export class Rbac {
  private roles: RoleObj[] = [];
  private bindings: BindingObj[] = [];

  /** Loads every Role, ClusterRole and binding among the rendered objects. */
  constructor(objects: { kind: string }[]) {
    for (const o of objects) {
      if (o.kind === 'Role' || o.kind === 'ClusterRole') this.roles.push(o as RoleObj);
      if (o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding')
        this.bindings.push(o as BindingObj);
    }
  }

  private rulesOf(ref: BindingObj['roleRef'], ns: string | undefined): PolicyRule[] {
    const role = this.roles.find(
      (r) =>
        r.kind === ref.kind &&
        r.metadata.name === ref.name &&
        (ref.kind === 'ClusterRole' || r.metadata.namespace === ns),
    );
    return role?.rules ?? [];
  }

  allows(user: UserInfo, req: RequestInfo): boolean {
    return this.bindings.some((b) => {
      // A RoleBinding grants only inside its own namespace, whatever role it references.
      if (b.kind === 'RoleBinding' && b.metadata.namespace !== req.namespace) return false;
      if (!(b.subjects ?? []).some((s) => subjectMatches(s, user, b.metadata.namespace)))
        return false;
      return this.rulesOf(b.roleRef, b.metadata.namespace).some((r) => ruleAllows(r, req));
    });
  }
}

/**
 * The message of a 403 (endpoints/handlers/responsewriters/errors.go forbiddenMessage, wrapped by
 * errors.NewForbidden as `<resource> "<name>" is forbidden: …`).
 */
export function forbiddenMessage(user: string, req: RequestInfo): string {
  const res = req.subresource ? `${req.resource}/${req.subresource}` : req.resource;
  const qualified = req.group ? `${req.resource}.${req.group}` : req.resource;
  const subject = req.name ? `${qualified} "${req.name}"` : qualified;
  const where = req.namespace ? `in the namespace "${req.namespace}"` : 'at the cluster scope';
  return `${subject} is forbidden: User "${user}" cannot ${req.verb} resource "${res}" in API group "${req.group}" ${where}`;
}
