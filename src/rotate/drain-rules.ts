// Which pods a drain evicts, which it leaves, and which it refuses — kubectl drain's rules
// (k8s.io/kubectl/pkg/drain/filters.go, GetPodsForDeletion), plus the annotations owners set to
// say "never disrupt this by automation". Pure: the pod as the edge mapped it, and the flags.
//  - skipped: DaemonSet-managed pods (daemonSetFilter, as with --ignore-daemonsets: their
//    controller ignores unschedulable and recreates them) — only once the DaemonSet the pod's
//    controller ownerReference names was read and is that object (kubectl GETs it); a pod
//    claiming a DaemonSet that is not there is an orphan: nothing recreates it, so it is refused
//    without --force, as kubectl refuses it ("daemonset … not found") — mirror pods (mirrorPodFilter: the API
//    cannot delete a static pod), finished pods (nothing runs; kubectl would delete them, which
//    loses nothing either way) and pods already terminating (evicted once is enough).
//  - refused without --delete-emptydir-data: pods with an emptyDir volume (localStorageFilter:
//    the data dies with the pod).
//  - refused without --force: pods with no controller ownerReference (unreplicatedFilter:
//    nothing recreates them).
//  - refused, always: `karpenter.sh/do-not-disrupt: "true"` (Karpenter v1's own drain holds these)
//    and `cluster-autoscaler.kubernetes.io/safe-to-evict: "false"` (cluster-autoscaler never
//    scales such a node down): their owners asked that automation never disrupts them. No flag
//    overrides it; a person removes the annotation or moves the pod.
// A refused pod is never evicted nor deleted, not even past --force-after: the node is reported
// blocked, each pod with its reason, and (if not yet cordoned) is not started.

import type { LivePod, RotateOptions } from './rotate-types.js';

export const DO_NOT_DISRUPT = 'karpenter.sh/do-not-disrupt';
export const SAFE_TO_EVICT = 'cluster-autoscaler.kubernetes.io/safe-to-evict';

export type PodVerdict =
  | { kind: 'evict' }
  | { kind: 'skip'; why: 'daemonset' | 'mirror' | 'finished' | 'terminating' }
  | { kind: 'refuse'; why: string };

export type DrainFlags = Pick<RotateOptions, 'force' | 'deleteEmptyDirData'>;

/** kubectl drain's verdict for one pod; the order is kubectl's filter order */
export function podVerdict(p: LivePod, flags: DrainFlags): PodVerdict {
  if (p.daemonSet) return { kind: 'skip', why: 'daemonset' };
  if (p.mirror) return { kind: 'skip', why: 'mirror' };
  if (p.finished) return { kind: 'skip', why: 'finished' };
  if (p.orphanOf !== undefined && flags.force !== true)
    return { kind: 'refuse', why: `claims ${p.orphanOf} (orphaned, never recreated): --force` };
  const ann = p.annotations ?? {};
  // The owner's word comes first: no flag makes certdrift disrupt these.
  if (ann[DO_NOT_DISRUPT] === 'true')
    return { kind: 'refuse', why: `annotated ${DO_NOT_DISRUPT}: "true"` };
  if (ann[SAFE_TO_EVICT] === 'false')
    return { kind: 'refuse', why: `annotated ${SAFE_TO_EVICT}: "false"` };
  if (p.emptyDir && flags.deleteEmptyDirData !== true)
    return { kind: 'refuse', why: 'uses emptyDir (its data is lost): --delete-emptydir-data' };
  if (!p.controlled && flags.force !== true)
    return { kind: 'refuse', why: 'has no controller (never recreated): --force' };
  if (p.terminating === true) return { kind: 'skip', why: 'terminating' };
  return { kind: 'evict' };
}

/** the node's pods the drain refuses, `namespace/name: why` each, sorted */
export function refusedPods(pods: readonly LivePod[], node: string, flags: DrainFlags): string[] {
  const out: string[] = [];
  for (const p of pods) {
    if (p.node !== node) continue;
    const v = podVerdict(p, flags);
    if (v.kind === 'refuse') out.push(`${p.namespace}/${p.name} ${v.why}`);
  }
  return out.sort();
}

/** the node's pods to evict now (not terminating, not refused) */
export function podsToEvict(pods: readonly LivePod[], node: string, flags: DrainFlags): LivePod[] {
  return pods.filter((p) => p.node === node && podVerdict(p, flags).kind === 'evict');
}

/** the drain is finished: nothing left but skipped pods (terminating ones are waited for) */
export function drainFinished(pods: readonly LivePod[], node: string, flags: DrainFlags): boolean {
  return pods.every((p) => {
    if (p.node !== node) return true;
    const v = podVerdict(p, flags);
    return v.kind === 'skip' && v.why !== 'terminating';
  });
}
