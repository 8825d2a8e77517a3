// Control-plane nodes are their own concern (issue #21 item 3): the generic drain (and its
// delete-node) never touches them, at most one is in flight cluster-wide, and their remedy is
// the tool that owns them — Cluster API's KubeadmControlPlane (spec.rolloutBefore
// .certificatesExpiryDays), kops rolling-update of one control-plane instance group at a time
// (domain.md §10), or `certdrift renew` on the node for kubeadm, k3s and RKE2 (domain.md §12).
// A node is a control plane by its role labels, which NodeRestriction forbids a kubelet to set
// on itself (node-role.kubernetes.io/*), or by kops' control-plane instance group names; a
// false "yes" only makes certdrift more careful.

import type { LiveNode } from './rotate-types.js';

const ROLE_LABELS = ['node-role.kubernetes.io/control-plane', 'node-role.kubernetes.io/master'];
/** kops names its control-plane instance groups `control-plane-<zone>` (older: `master-<zone>`) */
const KOPS_CP_GROUP = /^kops\/(control-plane|master)(-|$)/;

export function isControlPlane(node: Pick<LiveNode, 'labels' | 'group'>): boolean {
  if (ROLE_LABELS.some((k) => k in node.labels)) return true;
  const role = node.labels['kubernetes.io/role'];
  if (role === 'master' || role === 'control-plane') return true;
  return KOPS_CP_GROUP.test(node.group);
}

/** the remedy named for a control-plane node certdrift does not replace itself */
export function controlPlaneRemedy(node: Pick<LiveNode, 'name' | 'kind' | 'group'>): string {
  if (node.kind === 'capi')
    return 'control plane: set spec.rolloutBefore.certificatesExpiryDays on its KubeadmControlPlane (e.g. 21); KCP rolls its Machines one at a time and keeps etcd quorum';
  if (node.kind === 'kops')
    return `control plane: kops rolling-update cluster --instance-group ${node.group.slice(5)} --yes, one control-plane instance group at a time`;
  return 'control plane: renew its certificates in place with `certdrift renew` on the node (kubeadm, k3s, RKE2), one control-plane node at a time; never drained or deleted by certdrift';
}
