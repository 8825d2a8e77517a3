// The plan `certdrift fix` shows and then carries out: the node inspected, its manifests read and
// audited, planFixes' actions turned into steps, each manifest patch computed (and its diff) on the
// snapshot it will be written over. Reads through the fix ports only; writes nothing.

import { auditManifest, type FileAudit } from '../audit/index.js';
import { patchManifest } from '../manifests/patch-manifest.js';
import { planFixes, type FixAction } from './fix-plan.js';
import type { FixEdges, ManifestFiles, ManifestSnapshot } from './ports.js';
import { unifiedDiff } from './unified-diff.js';

export type StepStatus = 'planned' | 'done' | 'failed' | 'skipped';

export interface Step {
  action: FixAction;
  status: StepStatus;
  detail: string;
  diff?: string;
  /** the file written when the manifest is a symbolic link (its target inside the host root) */
  target?: string;
}

/** What a manifest patch needs at apply time: the snapshot it was planned on and the new bytes. */
export interface PlannedWrite {
  snap: ManifestSnapshot;
  bytes: Uint8Array;
}

export interface FixPlan {
  steps: Step[];
  /** by manifest path as found */
  writes: Map<string, PlannedWrite>;
  /** manifests that could not be read or understood */
  problems: { file: string; message: string }[];
  /** false: no certificate found and no manifest read, so an empty plan proves nothing */
  checked: boolean;
}

export interface FixSettings {
  /** undefined: the static-pod directory of the node's distribution */
  manifests: string[] | undefined;
  backupDir: string;
  waitMs: number;
  graceSeconds: number;
  /** remove EXITED leftovers */
  prune: boolean;
}

function unreadable(file: string, message: string): FileAudit {
  return { file, workloads: 0, skippedKinds: [], problems: [{ message }], findings: [] };
}

interface ReadManifests {
  audits: FileAudit[];
  /** by manifest path as found */
  snapshots: Map<string, ManifestSnapshot>;
  /** why a manifest was not read, by manifest path as found */
  refused: Map<string, string>;
}

/** Every manifest under `dirs`, read once (the snapshot a patch is planned on) and audited. */
async function readManifests(
  files: ManifestFiles,
  dirs: readonly string[],
): Promise<ReadManifests> {
  const read: ReadManifests = { audits: [], snapshots: new Map(), refused: new Map() };
  const listDir = (dir: string): string[] | undefined => files.listDir(dir);
  for (const f of await files.find(dirs)) {
    // A symlinked manifest is read and patched at its target inside the host root.
    if (!f.target) {
      read.refused.set(f.path, f.problem ?? 'unreadable');
      read.audits.push(unreadable(f.path, f.problem ?? 'unreadable'));
      continue;
    }
    try {
      const snap = files.read(f.target);
      read.snapshots.set(f.path, snap);
      read.audits.push(auditManifest(f.path, snap.text, { listDir }));
    } catch (err) {
      read.audits.push(unreadable(f.path, err instanceof Error ? err.message : String(err)));
    }
  }
  return read;
}

/** One action as a step: skipped when certdrift does not do it, a patch computed on its snapshot. */
function stepOf(action: FixAction, read: ReadManifests, writes: Map<string, PlannedWrite>): Step {
  if (action.kind === 'restart-host-process')
    return { action, status: 'skipped', detail: 'certdrift does not restart host services' };
  if (action.kind === 'by-hand') return { action, status: 'skipped', detail: action.description };
  if (action.kind !== 'patch-manifest') return { action, status: 'planned', detail: '' };
  const snap = read.snapshots.get(action.file);
  const res = snap
    ? patchManifest(snap.bytes, action.ops)
    : { ok: false as const, message: read.refused.get(action.file) ?? 'not read' };
  if (!res.ok || !snap)
    return {
      action,
      status: 'skipped',
      detail: `cannot patch safely: ${res.ok ? '' : res.message}`,
    };
  writes.set(action.file, { snap, bytes: res.bytes });
  return {
    action,
    status: 'planned',
    detail: '',
    ...(snap.path !== action.file ? { target: snap.path } : {}),
    diff: unifiedDiff(snap.text, res.text, `a${action.file}`, `b${action.file}`),
  };
}

/** What `certdrift fix` would do on this node now, in order. */
export async function planFixSteps(edges: FixEdges, settings: FixSettings): Promise<FixPlan> {
  const { inventory, findings, checked } = await edges.inspect();
  const dirs = settings.manifests ?? (await edges.manifests.staticPodDirs());
  const read = await readManifests(edges.manifests, dirs);
  const writes = new Map<string, PlannedWrite>();
  const steps = planFixes({
    audits: read.audits,
    findings,
    workloads: inventory.workloads,
    prune: settings.prune,
  }).map((action) => stepOf(action, read, writes));
  const problems = read.audits.flatMap((a) =>
    a.problems.map((p) => ({ file: a.file, message: p.message })),
  );
  // a manifest read and audited is something checked too, even on a node without certificates
  const audited = read.audits.some((a) => a.workloads > 0 || a.skippedKinds.length > 0);
  return { steps, writes, problems, checked: checked || audited };
}
