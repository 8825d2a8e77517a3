// The resource types the emulation serves: a few built-ins (with the subresources and patch
// types the real server gives them) and every CustomResourceDefinition found among the shipped
// manifests (plus any a test adds, e.g. Cluster API Machines). Anything else is a 404, as on a
// server where the type is not installed.

import type { Schema } from './crd-schema.js';

export interface ResourceType {
  group: string;
  version: string;
  /** plural, as in the URL and in RBAC rules */
  resource: string;
  kind: string;
  namespaced: boolean;
  subresources: string[];
  /** defined by a CRD: structural schema, no strategic merge, no unconditional update */
  custom: boolean;
  schema?: Schema;
  /** objects expire this long after their last write (events: --event-ttl, default 1 h) */
  ttlSeconds?: number;
  /** the strategy refuses an update without resourceVersion (AllowUnconditionalUpdate false) */
  conditionalOnly?: boolean;
}

export const BUILT_INS: ResourceType[] = [
  {
    group: '',
    version: 'v1',
    resource: 'nodes',
    kind: 'Node',
    namespaced: false,
    subresources: ['status'],
    custom: false,
  },
  {
    group: '',
    version: 'v1',
    resource: 'namespaces',
    kind: 'Namespace',
    namespaced: false,
    subresources: ['status'],
    custom: false,
  },
  // pkg/registry/core/event/storage: TTL from the apiserver's --event-ttl (default 1h0m0s)
  {
    group: '',
    version: 'v1',
    resource: 'events',
    kind: 'Event',
    namespaced: true,
    subresources: [],
    custom: false,
    ttlSeconds: 3600,
  },
  {
    group: '',
    version: 'v1',
    resource: 'pods',
    kind: 'Pod',
    namespaced: true,
    subresources: ['status', 'eviction'],
    custom: false,
  },
  {
    group: 'policy',
    version: 'v1',
    resource: 'poddisruptionbudgets',
    kind: 'PodDisruptionBudget',
    namespaced: true,
    subresources: ['status'],
    custom: false,
  },
  {
    group: 'coordination.k8s.io',
    version: 'v1',
    resource: 'leases',
    kind: 'Lease',
    namespaced: true,
    subresources: [],
    custom: false,
    // pkg/registry/coordination/lease/strategy.go: AllowUnconditionalUpdate() false
    conditionalOnly: true,
  },
];

interface Crd {
  kind: string;
  spec?: {
    group: string;
    scope: 'Cluster' | 'Namespaced';
    names: { plural: string; kind: string };
    versions: {
      name: string;
      served: boolean;
      subresources?: { status?: object };
      schema?: { openAPIV3Schema?: Schema };
    }[];
  };
}

/** One ResourceType per served version of each CustomResourceDefinition among `objects`. */
export function typesFromCrds(objects: { kind: string }[]): ResourceType[] {
  const out: ResourceType[] = [];
  for (const o of objects as Crd[]) {
    if (o.kind !== 'CustomResourceDefinition' || !o.spec) continue;
    const s = o.spec;
    for (const v of s.versions) {
      if (!v.served) continue;
      out.push({
        group: s.group,
        version: v.name,
        resource: s.names.plural,
        kind: s.names.kind,
        namespaced: s.scope === 'Namespaced',
        subresources: v.subresources?.status ? ['status'] : [],
        custom: true,
        ...(v.schema?.openAPIV3Schema ? { schema: v.schema.openAPIV3Schema } : {}),
      });
    }
  }
  return out;
}
