// Which replacement group a node belongs to, from the labels and annotations the node's
// provisioner puts on it. Replacement (and its disruption limits) happens per group.

export const GROUP_KINDS = ['kops', 'capi', 'karpenter', 'eks', 'gke', 'aks'] as const;
export type GroupKind = (typeof GROUP_KINDS)[number] | 'none';

/** in precedence order: the first key present names the group */
const SOURCES: { kind: GroupKind; key: string; from: 'labels' | 'annotations' }[] = [
  // kops nodeup labels every node with its InstanceGroup.
  { kind: 'kops', key: 'kops.k8s.io/instancegroup', from: 'labels' },
  // Cluster API's Machine controller copies the owner (MachineSet / KubeadmControlPlane) name.
  { kind: 'capi', key: 'cluster.x-k8s.io/owner-name', from: 'annotations' },
  { kind: 'karpenter', key: 'karpenter.sh/nodepool', from: 'labels' },
  { kind: 'eks', key: 'eks.amazonaws.com/nodegroup', from: 'labels' },
  { kind: 'gke', key: 'cloud.google.com/gke-nodepool', from: 'labels' },
  { kind: 'aks', key: 'kubernetes.azure.com/agentpool', from: 'labels' },
];

/** labels and annotations as they come from the API (values not yet known to be strings) */
export function groupOfNode(
  labels: Readonly<Record<string, unknown>>,
  annotations: Readonly<Record<string, unknown>>,
): string {
  for (const s of SOURCES) {
    const value = (s.from === 'labels' ? labels : annotations)[s.key];
    if (typeof value === 'string' && value !== '') return `${s.kind}/${value}`;
  }
  return 'none';
}

export function kindOfGroup(group: string): GroupKind {
  const kind = group.slice(0, group.indexOf('/'));
  return (GROUP_KINDS as readonly string[]).includes(kind) ? (kind as GroupKind) : 'none';
}

export function isGroupName(name: string): boolean {
  return name === 'none' || (kindOfGroup(name) !== 'none' && name.indexOf('/') < name.length - 1);
}
