// DUPLICATE_RUNNING: more than one RUNNING container for the same pod container on this node —
// two instances competing, one of them likely stale. EXITED_LEFTOVER (info): old attempts kept
// after a restart or reboot. They hold no connection and never authenticate to the API server,
// so they are not the cause of certificate failures (contrary to a popular #16400 write-up);
// kubelet garbage-collects them (--maximum-dead-containers-per-container=1).

import { DAY_MS, type Finding, type Inventory, type Workload } from '../../model/index.js';
import type { Check, CheckContext } from './context.js';
import { workloadName } from './workload-text.js';

function key(w: Workload): string | undefined {
  if (w.kind !== 'container' || !w.pod) return undefined;
  return `${w.pod.namespace}/${w.pod.name}/${w.name}`;
}

export const duplicates: Check = {
  name: 'duplicates',
  run(inv: Inventory, ctx: CheckContext): Finding[] {
    const groups = new Map<string, Workload[]>();
    for (const w of inv.workloads) {
      const k = key(w);
      if (k) groups.set(k, [...(groups.get(k) ?? []), w]);
    }
    const out: Finding[] = [];
    for (const [k, ws] of groups) {
      const running = ws.filter((w) => w.state === 'running');
      const exited = ws.filter((w) => w.state === 'exited');
      if (running.length > 1) {
        out.push({
          code: 'DUPLICATE_RUNNING',
          severity: 'critical',
          title: `${running.length} RUNNING instances of ${k} on this node`,
          evidence: Object.fromEntries(
            running.map((w, i) => [
              `running${i + 1}`,
              `${workloadName(w)} started ${w.startedAt?.toISOString() ?? '?'}`,
            ]),
          ),
          cause:
            'Kubelet runs one instance per pod container; a second RUNNING one was started outside kubelet or survived a runtime/kubelet mishap, and may hold an old certificate.',
          remedy:
            'Keep the newest attempt and stop the older RUNNING one(s) with `crictl stop <id>`, after checking that the newest sees the current certificate.',
          subject: k,
        });
      }
      for (const w of exited) {
        const age = w.finishedAt
          ? Math.floor((ctx.now.getTime() - w.finishedAt.getTime()) / DAY_MS)
          : undefined;
        out.push({
          code: 'EXITED_LEFTOVER',
          severity: 'info',
          title: `EXITED attempt ${w.attempt ?? 0} of ${k}${age !== undefined ? `, exited ${age} days ago` : ''}`,
          evidence: {
            workload: workloadName(w),
            finishedAt: w.finishedAt?.toISOString() ?? '',
            runningInstances: String(running.length),
          },
          cause:
            'An EXITED container has no process: it never talks to the API server and cannot be why certificates fail. Kubelet keeps one dead instance per container for its logs.',
          remedy:
            'Nothing required; kubelet garbage-collects dead containers. `crictl rm <id>` removes one by hand (keep the newest for its logs).',
          subject: k,
        });
      }
    }
    return out;
  },
};
