// Which replacement group a node belongs to. Replacement (and its disruption limits) happens
// per group. From the labels and annotations the node's provisioner puts on it (groupOfNode:
// what `certdrift plan` reads) — but a kubelet may set its own Node's labels (all but those under
// `node-restriction.kubernetes.io/`, which the NodeRestriction admission keeps from it) and
// annotations, so a node could join a group to push it past its budget or leave one to free a
// slot. `certdrift rotate` therefore takes the group from an object the node cannot write where
// one exists: its Cluster API Machine (the Machine whose status.nodeRef names it; the group is
// the Machine's controller owner — the MachineSet or KubeadmControlPlane Cluster API copies into
// the node's owner-name annotation — else its set-name / deployment-name label) or its Karpenter
// NodeClaim (status.nodeName; the NodeClaim's `karpenter.sh/nodepool` label).

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

/** what of a Machine names its group (rotate-types LiveMachine has these fields) */
interface MachineGroupFacts {
  labels?: Readonly<Record<string, string>>;
  owner?: { kind: string; name: string };
}

/** a Cluster API Machine's group, named as groupOfNode names it from the node; null: none */
export function groupOfMachine(m: MachineGroupFacts): string | null {
  const owner =
    m.owner && (m.owner.kind === 'MachineSet' || m.owner.kind === 'KubeadmControlPlane')
      ? m.owner.name
      : '';
  const name =
    owner ||
    m.labels?.['cluster.x-k8s.io/set-name'] ||
    m.labels?.['cluster.x-k8s.io/deployment-name'] ||
    '';
  return name === '' ? null : `capi/${name}`;
}

/** a Karpenter NodeClaim's group: its NodePool label; null: none */
export function groupOfNodeClaim(c: { nodePool?: string }): string | null {
  return c.nodePool ? `karpenter/${c.nodePool}` : null;
}
