// Whether a Cluster API MachineHealthCheck would remediate a Machine marked
// `cluster.x-k8s.io/remediate-machine`, by Cluster API's own rules
// (internal/controllers/machinehealthcheck/machinehealthcheck_controller.go and
// machinehealthcheck_targets.go, domain.md §10): the MHC controller does nothing for a paused
// Cluster (spec.paused or the cluster.x-k8s.io/paused annotation) or a paused MHC;
// getTargetsFromMHC takes the Machines of the MHC's namespace whose cluster is spec.clusterName
// and whose labels the MHC's selector matches; a paused Machine or one annotated
// cluster.x-k8s.io/skip-remediation is never remediated; and remediation is allowed only while
// the unhealthy targets stay within maxUnhealthy (v1beta2: remediation.triggerIf.
// unhealthyLessThanOrEqualTo), a count or a percentage of the targets rounded down
// (GetScaledValueFromIntOrPercent, roundUp false). Only Machines a MachineSet owns are replaced
// by remediation here (a KubeadmControlPlane's are KCP's business: capi.ts refuses them).

import type { LabelSelector, LiveMachine, LiveMachineHealthCheck } from '../rotate-types.js';
import type { NodeContext } from './actuator.js';

const CLUSTER_NAME_LABEL = 'cluster.x-k8s.io/cluster-name';

/** metav1.LabelSelector semantics; an empty selector selects nothing (CAPI's webhook forbids it) */
export function selectorMatches(sel: LabelSelector, labels: Readonly<Record<string, string>>) {
  const ml = Object.entries(sel.matchLabels ?? {});
  const me = sel.matchExpressions ?? [];
  if (ml.length === 0 && me.length === 0) return false;
  if (!ml.every(([k, v]) => labels[k] === v)) return false;
  return me.every((e) => {
    const has = Object.hasOwn(labels, e.key);
    const v = labels[e.key];
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        return has && v !== undefined && values.includes(v);
      case 'NotIn':
        return !has || v === undefined || !values.includes(v);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      default:
        return false; // an operator we do not know selects nothing: never guess
    }
  });
}

function clusterOf(m: LiveMachine): string {
  return m.labels?.[CLUSTER_NAME_LABEL] ?? m.clusterName ?? '';
}

/** the MHCs that select `m` (same namespace, same cluster, selector matches) */
export function healthChecksOf(
  m: LiveMachine,
  checks: readonly LiveMachineHealthCheck[],
): LiveMachineHealthCheck[] {
  const cluster = clusterOf(m);
  return checks.filter(
    (h) =>
      h.namespace === m.namespace &&
      h.clusterName !== '' &&
      h.clusterName === cluster &&
      selectorMatches(h.selector, m.labels ?? {}),
  );
}

/** the MHC's maxUnhealthy for `targets` Machines; absent = 100% */
export function maxUnhealthyOf(h: LiveMachineHealthCheck, targets: number): number {
  const v = h.maxUnhealthy;
  if (v === undefined) return targets;
  if (typeof v === 'number') return v;
  const pct = /^(\d{1,3})%$/.exec(v);
  if (pct) return Math.floor((Number(pct[1]) * targets) / 100);
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isNaN(n) ? 0 : n; // unreadable: allow nothing
}

/** null: a MachineHealthCheck would remediate `m` once marked; else why not */
export function capiRemediationRefusal(
  m: LiveMachine,
  ctx: Pick<NodeContext, 'machines' | 'healthChecks' | 'pausedClusters'>,
): string | null {
  const id = `${m.namespace}/${m.name}`;
  const cluster = clusterOf(m);
  if ((ctx.pausedClusters ?? []).includes(`${m.namespace}/${cluster}`))
    return `Cluster ${m.namespace}/${cluster} is paused (no Cluster API controller acts)`;
  if (m.paused === true) return `Machine ${id} is paused (cluster.x-k8s.io/paused)`;
  if (m.skipRemediation === true)
    return `Machine ${id} is annotated cluster.x-k8s.io/skip-remediation`;
  if (m.owner?.kind !== 'MachineSet')
    return `Machine ${id} is not owned by a MachineSet (owner: ${m.owner ? `${m.owner.kind} ${m.owner.name}` : 'none'}): nothing replaces it after remediation`;
  const checks = healthChecksOf(m, ctx.healthChecks ?? []);
  if (checks.length === 0)
    return `no MachineHealthCheck in ${m.namespace} selects Machine ${id} (cluster ${cluster || 'unknown'})`;
  for (const h of checks) {
    if (h.paused) return `MachineHealthCheck ${h.namespace}/${h.name} is paused`;
    const targets = ctx.machines.filter((x) => healthChecksOf(x, [h]).length > 0);
    const others = targets.filter((x) => x.name !== m.name && (x.remediating || x.deleting)).length;
    const fromStatus =
      h.expectedMachines !== undefined && h.currentHealthy !== undefined
        ? h.expectedMachines - h.currentHealthy
        : 0;
    const unhealthy = Math.max(others, fromStatus) + 1;
    const limit = maxUnhealthyOf(h, h.expectedMachines ?? targets.length);
    if (unhealthy > limit)
      return `MachineHealthCheck ${h.namespace}/${h.name} would be over maxUnhealthy (${unhealthy} unhealthy of ${targets.length}, limit ${limit}): it stops remediating`;
  }
  return null;
}
