// The Eviction subresource (POST pods/<name>/eviction, policy/v1) with PodDisruptionBudgets, as
// pkg/registry/core/pod/storage/eviction.go decides, with the disruption controller's arithmetic
// (pkg/controller/disruption/disruption.go) done at the moment of the request:
// - a terminal pod (Succeeded/Failed) or a Pending one is deleted without a budget check
//   (canIgnorePDB); a pod already being deleted answers 200;
// - more than one matching PDB is a 500; none, the pod is deleted;
// - expected pods = the pods the selector matches; desiredHealthy from minAvailable or
//   maxUnavailable (percentages rounded up); currentHealthy = matching pods that are Ready;
// - a healthy pod may go while currentHealthy > desiredHealthy, else 429 TooManyRequests with a
//   DisruptionBudget cause; an unhealthy pod may go when the budget is met or
//   unhealthyPodEvictionPolicy is AlwaysAllow.
// Success is 201 with a Success Status; the pod is removed at once (no kubelet: the grace
// period ends immediately). The emulation refreshes the PDB's status like the controller would.

import { ApiError, badRequest, notFound } from './status.js';
import type { Special } from './server.js';
import type { KObj, Store } from './store.js';
import type { ResourceType } from './resources.js';

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

// apimachinery/pkg/apis/meta/v1 LabelSelectorAsSelector; an empty selector matches everything
export function selectorMatches(
  sel: Selector | undefined,
  labels: Record<string, string>,
): boolean {
  if (!sel) return false;
  const eq = Object.entries(sel.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  return (
    eq &&
    (sel.matchExpressions ?? []).every((e) => {
      const has = e.key in labels;
      const v = labels[e.key] ?? '';
      if (e.operator === 'In') return has && (e.values ?? []).includes(v);
      if (e.operator === 'NotIn') return !has || !(e.values ?? []).includes(v);
      if (e.operator === 'Exists') return has;
      if (e.operator === 'DoesNotExist') return !has;
      return false;
    })
  );
}

const isReady = (p: KObj): boolean =>
  p.metadata.deletionTimestamp === undefined &&
  (
    (p.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []
  ).some((c) => c.type === 'Ready' && c.status === 'True');

// intstr.GetScaledValueFromIntOrPercent with roundUp = true
function scaled(v: number | string, total: number): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) throw badRequest(`invalid value for IntOrString: ${v}`);
  return Math.ceil((Number(m[1]) * total) / 100);
}

export function evictionHandler(store: Store, pods: ResourceType, pdbs: ResourceType): Special {
  return (info, body) => {
    if (info.resource !== 'pods' || info.subresource !== 'eviction' || info.verb !== 'create')
      return undefined;
    const ev = body as { kind?: string; metadata?: { name?: string } } | undefined;
    if (ev?.kind !== 'Eviction') throw badRequest('the body must be an Eviction (policy/v1)');
    if (ev.metadata?.name !== info.name)
      throw badRequest('name in URL does not match name in Eviction object');
    const pod = store.get(pods, info.namespace, info.name);
    if (!pod) throw notFound('', 'pods', info.name);
    const ok = {
      code: 201,
      body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 },
    };
    if (pod.metadata.deletionTimestamp !== undefined) return { ...ok, code: 200 };
    const phase = (pod.status as { phase?: string } | undefined)?.phase;
    if (phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending') {
      store.delete(pods, info.namespace, info.name);
      return ok;
    }
    const labels = pod.metadata.labels ?? {};
    const matching = store
      .list(pdbs, info.namespace)
      .filter((b) => selectorMatches((b.spec as { selector?: Selector }).selector, labels));
    if (matching.length > 1)
      throw new ApiError(
        500,
        'InternalError',
        'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
      );
    const pdb = matching[0];
    if (pdb) {
      const spec = pdb.spec as {
        selector?: Selector;
        minAvailable?: number | string;
        maxUnavailable?: number | string;
        unhealthyPodEvictionPolicy?: string;
      };
      const covered = store
        .list(pods, info.namespace)
        .filter((p) => selectorMatches(spec.selector, p.metadata.labels ?? {}));
      const expected = covered.length;
      const healthy = covered.filter(isReady).length;
      const desired =
        spec.minAvailable !== undefined
          ? scaled(spec.minAvailable, expected)
          : spec.maxUnavailable !== undefined
            ? Math.max(0, expected - scaled(spec.maxUnavailable, expected))
            : 0;
      const allowed = Math.max(0, healthy - desired);
      store.write(pdbs, {
        ...pdb,
        status: {
          currentHealthy: healthy,
          desiredHealthy: desired,
          expectedPods: expected,
          disruptionsAllowed: allowed,
          observedGeneration: pdb.metadata.generation,
        },
      });
      const mayGo = isReady(pod)
        ? allowed > 0
        : spec.unhealthyPodEvictionPolicy === 'AlwaysAllow' || healthy >= desired;
      if (!mayGo)
        throw new ApiError(
          429,
          'TooManyRequests',
          "Cannot evict pod as it would violate the pod's disruption budget.",
          {
            causes: [
              {
                reason: 'DisruptionBudget',
                message: `The disruption budget ${pdb.metadata.name} needs ${desired} healthy pods and has ${healthy} currently`,
              },
            ],
          },
        );
    }
    store.delete(pods, info.namespace, info.name);
    return ok;
  };
}
