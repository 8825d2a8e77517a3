// CustomResourceDefinitions of the node-lifecycle tools `certdrift rotate` drives, trimmed to
// what matters for the emulation: group, version, scope, plural, the status subresource, and an
// open schema (spec and status keep unknown fields, as the real CRDs' schemas accept every field
// a client of ours would send). Sources: cluster-api config/crd/bases/
// cluster.x-k8s.io_machines.yaml (v1beta1, Namespaced) and karpenter pkg/apis/crds/
// karpenter.sh_nodeclaims.yaml (v1, Cluster).

import type { Manifest } from '../deploy-manifests.js';

function crd(
  group: string,
  version: string,
  plural: string,
  kind: string,
  scope: 'Namespaced' | 'Cluster',
): Manifest {
  const open = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope,
      names: { plural, kind },
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: { openAPIV3Schema: { type: 'object', properties: { spec: open, status: open } } },
        },
      ],
    },
  };
}

export const MACHINE_CRD = crd('cluster.x-k8s.io', 'v1beta1', 'machines', 'Machine', 'Namespaced');
export const NODECLAIM_CRD = crd('karpenter.sh', 'v1', 'nodeclaims', 'NodeClaim', 'Cluster');
