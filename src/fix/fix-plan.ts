// What `certdrift fix` would do, in order: repair manifests first (so recreated containers use
// them), then recreate containers that see or hold stale certificates, one at a time, then stop
// older RUNNING duplicates, then remove EXITED leftovers beyond the newest one per container.
// Pure: findings and workloads in, actions out. Running it again after a fix yields nothing.

import type { FileAudit } from '../audit/index.js';
import type { PatchOp } from '../manifests/patch-manifest.js';
import type { Finding, Workload } from '../model/index.js';

interface ContainerRef {
  containerId: string;
  namespace: string;
  pod: string;
  container: string;
  attempt: number;
}

export type FixAction =
  | { kind: 'patch-manifest'; file: string; ops: PatchOp[]; description: string; codes: string[] }
  /** a manifest problem with no safe automatic repair: what to do by hand */
  | { kind: 'by-hand'; file: string; description: string; codes: string[] }
  | ({ kind: 'recreate-container'; reason: string } & ContainerRef)
  | { kind: 'restart-host-process'; reason: string; pid: number; name: string }
  | ({ kind: 'stop-duplicate'; reason: string; keep: string } & ContainerRef)
  | ({ kind: 'remove-exited'; reason: string } & ContainerRef);

export interface PlanInput {
  audits: readonly FileAudit[];
  findings: readonly Finding[];
  workloads: readonly Workload[];
  /** remove EXITED leftovers (keeping the newest one of each container) */
  prune: boolean;
}

function ref(w: Workload): ContainerRef {
  return {
    containerId: w.id,
    namespace: w.pod?.namespace ?? '',
    pod: w.pod?.name ?? '',
    container: w.name,
    attempt: w.attempt ?? 0,
  };
}

const key = (w: Workload): string => `${w.pod?.namespace ?? ''}/${w.pod?.name ?? ''}/${w.name}`;
const newest = (a: Workload, b: Workload): number =>
  (b.attempt ?? 0) - (a.attempt ?? 0) ||
  (b.startedAt?.getTime() ?? 0) - (a.startedAt?.getTime() ?? 0);

/** Per manifest: what needs doing by hand (one action per remedy), then one patch of all fixes. */
function manifestActions(audits: readonly FileAudit[]): FixAction[] {
  const actions: FixAction[] = [];
  for (const a of audits) {
    const manual = a.findings.filter((f) => f.evidence.noAutomaticFix);
    for (const remedy of new Set(manual.map((f) => f.remedy)))
      actions.push({
        kind: 'by-hand',
        file: a.file,
        description: remedy,
        codes: [...new Set(manual.filter((f) => f.remedy === remedy).map((f) => f.code))],
      });
    const fixes = a.findings.filter((f) => f.fix);
    if (fixes.length === 0) continue;
    const ops: PatchOp[] = [];
    for (const f of fixes)
      for (const op of f.fix?.ops ?? [])
        if (
          !ops.some(
            (o) =>
              o.doc === op.doc &&
              o.path.join('/') === op.path.join('/') &&
              !o.delete === !op.delete,
          )
        )
          ops.push(op);
    actions.push({
      kind: 'patch-manifest',
      file: a.file,
      ops,
      description: fixes.map((f) => f.fix?.description ?? '').join('; '),
      codes: [...new Set(fixes.map((f) => f.code))],
    });
  }
  return actions;
}

/**
 * Running workloads that see or hold a stale certificate: containers to recreate, host processes
 * to restart; each once. `done` collects their ids.
 */
function reloadActions(input: PlanInput, done: Set<string>): FixAction[] {
  const actions: FixAction[] = [];
  const byId = new Map(input.workloads.map((w) => [w.id, w]));
  for (const f of input.findings) {
    if ((f.code !== 'STALE_VIEW' && f.code !== 'NOT_RELOADED') || !f.target || done.has(f.target))
      continue;
    const w = byId.get(f.target);
    if (w?.state !== 'running') continue;
    done.add(f.target);
    if (w.kind === 'container')
      actions.push({ kind: 'recreate-container', reason: f.code, ...ref(w) });
    else
      actions.push({ kind: 'restart-host-process', reason: f.code, pid: w.pid ?? 0, name: w.name });
  }
  return actions;
}

/**
 * Per pod container: older RUNNING duplicates to stop (not those already being recreated), and
 * with `prune` the EXITED ones beyond the newest.
 */
function leftoverActions(input: PlanInput, done: ReadonlySet<string>): FixAction[] {
  const actions: FixAction[] = [];
  const groups = new Map<string, Workload[]>();
  for (const w of input.workloads)
    if (w.kind === 'container' && w.pod) groups.set(key(w), [...(groups.get(key(w)) ?? []), w]);
  for (const ws of groups.values()) {
    const running = ws.filter((w) => w.state === 'running').sort(newest);
    const keep = running[0];
    for (const w of running.slice(1)) {
      if (!done.has(w.id))
        actions.push({
          kind: 'stop-duplicate',
          reason: 'DUPLICATE_RUNNING',
          keep: keep?.id ?? '',
          ...ref(w),
        });
    }
    if (input.prune) {
      const exited = ws
        .filter((w) => w.state === 'exited')
        .sort(
          (a, b) => (b.finishedAt?.getTime() ?? 0) - (a.finishedAt?.getTime() ?? 0) || newest(a, b),
        );
      for (const w of exited.slice(1))
        actions.push({ kind: 'remove-exited', reason: 'EXITED_LEFTOVER', ...ref(w) });
    }
  }
  return actions;
}

export function planFixes(input: PlanInput): FixAction[] {
  const done = new Set<string>();
  return [
    ...manifestActions(input.audits),
    ...reloadActions(input, done),
    ...leftoverActions(input, done),
  ];
}
