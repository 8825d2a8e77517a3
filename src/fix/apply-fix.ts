// `certdrift fix --apply`: carries out a plan one step at a time, each logged with the state it
// changes before and after, stopping at the first failure (the steps keep the progress so far).
// A recreated container counts as fixed only once kubelet runs its next attempt and a fresh
// inspection finds that attempt sees the node's current certificate. All I/O goes through the
// fix ports; time through the Clock.

import type { FixAction } from './fix-plan.js';
import type { FixPlan, FixSettings, PlannedWrite, Step } from './plan-steps.js';
import type { FixEdges } from './ports.js';

type ContainerAction = Extract<FixAction, { containerId: string }>;

/** The state an action changes, as it is before the action (for the action log). */
function stateBefore(step: Step, writes: Map<string, PlannedWrite>): object {
  const a = step.action;
  if (a.kind === 'patch-manifest') {
    const w = writes.get(a.file);
    return w
      ? {
          file: w.snap.path,
          sha256: w.snap.sha256,
          bytes: w.snap.bytes.length,
          mode: `0${w.snap.mode.toString(8)}`,
          uid: w.snap.uid,
          gid: w.snap.gid,
        }
      : {};
  }
  if (a.kind === 'restart-host-process') return { pid: a.pid, name: a.name };
  if (a.kind === 'by-hand') return { file: a.file };
  return {
    containerId: a.containerId,
    attempt: a.attempt,
    state: a.kind === 'remove-exited' ? 'exited' : 'running',
  };
}

/** The same state after the action (for the action log). */
function stateAfter(edges: FixEdges, step: Step, writes: Map<string, PlannedWrite>): object {
  const a = step.action;
  if (a.kind !== 'patch-manifest') return { detail: step.detail };
  const w = writes.get(a.file);
  if (!w) return { detail: step.detail };
  const st = edges.manifests.stat(w.snap.path);
  return {
    file: w.snap.path,
    sha256: st.sha256,
    bytes: st.bytes,
    mode: `0${st.mode.toString(8)}`,
    uid: st.uid,
    gid: st.gid,
    detail: step.detail,
  };
}

/** Waits for kubelet to run a new instance of the container, then checks what it sees. */
async function replacementOf(edges: FixEdges, a: ContainerAction, waitMs: number): Promise<string> {
  const until = edges.clock.now().getTime() + waitMs;
  while (edges.clock.now().getTime() < until) {
    const { inventory, findings } = await edges.inspect();
    const next = inventory.workloads.find(
      (w) =>
        w.kind === 'container' &&
        w.state === 'running' &&
        w.id !== a.containerId &&
        w.name === a.container &&
        w.pod?.name === a.pod &&
        w.pod.namespace === a.namespace,
    );
    if (next) {
      const still = findings.filter(
        (f) => f.target === next.id && (f.code === 'STALE_VIEW' || f.code === 'NOT_RELOADED'),
      );
      if (still.length > 0)
        throw new Error(
          `the new container ${next.id.slice(0, 13)} still reports ${still.map((f) => f.code).join(', ')}`,
        );
      return `attempt ${next.attempt ?? 0} (${next.id.slice(0, 13)}) is running and sees the node's current certificate`;
    }
    await edges.clock.sleep(250);
  }
  throw new Error(
    `no new ${a.namespace}/${a.pod}/${a.container} container within ${waitMs / 1000} s (is kubelet running?)`,
  );
}

/** Stops or removes one container; a stopped one is done when its replacement checks out. */
async function actOnContainer(
  edges: FixEdges,
  a: ContainerAction,
  settings: FixSettings,
): Promise<string> {
  // The call may wait out the stop grace period: give it that and half a minute more.
  const cri = await edges.containers((settings.graceSeconds + 30) * 1000);
  try {
    if (a.kind === 'remove-exited') {
      await cri.remove(a.containerId);
      return 'removed';
    }
    await cri.stop(a.containerId, settings.graceSeconds);
    if (a.kind === 'stop-duplicate') return `stopped; ${a.keep.slice(0, 13)} keeps running`;
    return `stopped; ${await replacementOf(edges, a, settings.waitMs)}`;
  } finally {
    cri.close();
  }
}

/** Carries out one planned step; returns what was done, throws when it failed. */
async function executeStep(
  edges: FixEdges,
  step: Step,
  writes: Map<string, PlannedWrite>,
  settings: FixSettings,
): Promise<string> {
  const a = step.action;
  if (a.kind === 'patch-manifest') {
    const w = writes.get(a.file);
    if (!w) throw new Error('no patch planned');
    const backup = edges.manifests.write(w.snap, w.bytes, {
      backupDir: settings.backupDir,
      now: edges.clock.now(),
    });
    return `written${w.snap.path !== a.file ? ` to ${w.snap.path}` : ''}; backup ${backup}`;
  }
  if (a.kind === 'restart-host-process' || a.kind === 'by-hand') return 'skipped';
  return actOnContainer(edges, a, settings);
}

/**
 * Carries out the plan's planned steps in order, updating each step's status and detail, and
 * stops at the first failure. Every step is logged at its start and at its end.
 */
export async function applyFixPlan(
  edges: FixEdges,
  plan: FixPlan,
  settings: FixSettings,
): Promise<void> {
  const log = (entry: object): void => {
    edges.log({ time: edges.clock.now().toISOString(), ...entry });
  };
  for (const step of plan.steps.filter((s) => s.status === 'planned')) {
    const before = stateBefore(step, plan.writes);
    log({ event: 'start', action: step.action, before });
    try {
      step.detail = await executeStep(edges, step, plan.writes, settings);
      step.status = 'done';
      log({
        event: 'done',
        action: step.action,
        before,
        after: stateAfter(edges, step, plan.writes),
      });
    } catch (err) {
      step.status = 'failed';
      step.detail = err instanceof Error ? err.message : String(err);
      log({ event: 'failed', action: step.action, before, error: step.detail });
      break;
    }
  }
}
