// `certdrift fix`: repair what scan and audit found — manifests, stale containers, leftovers.
// Plans by default; acts only with --apply, one action at a time, each logged with before/after,
// stopping at the first failure with the progress so far.

import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { auditManifest, type FileAudit } from '../../audit/index.js';
import type { ScanConfig } from '../config/scan-config.js';
import { acquireLock, LockHeld } from '../../adapters/host/lock.js';
import { findManifests, listNodeDir, staticPodDirs } from '../../adapters/host/manifest-host.js';
import { snapshot, writeAtomically, type FileSnapshot } from '../../adapters/host/safe-write.js';
import { patchManifest } from '../../manifests/patch-manifest.js';
import type { Finding, Inventory } from '../../model/index.js';
import { planFixes, type FixAction } from '../../fix/fix-plan.js';
import { escapeTerminal, escapeTerminalLines } from '../../model/escape.js';
import { unifiedDiff } from '../../fix/unified-diff.js';
import type { CommandDef, Io, Values } from '../command.js';
import { UsageError } from '../command.js';
import { OperationalError } from '../errors.js';
import { assessThisNode, chooseRuntime } from '../node-scan.js';
import { loadScanConfig, DISCOVERY_OPTIONS, scanOptions } from '../scan-options.js';

type Status = 'planned' | 'done' | 'failed' | 'skipped';
interface Step {
  action: FixAction;
  status: Status;
  detail: string;
  diff?: string;
  /** the file written when the manifest is a symbolic link (its target inside the host root) */
  target?: string;
}

/** What a manifest patch needs at apply time: the snapshot it was planned on and the new bytes. */
interface PlannedWrite {
  snap: FileSnapshot;
  bytes: Uint8Array;
}

interface FixOptions {
  apply: boolean;
  /** undefined: the static-pod directory of the node's distribution */
  manifests: string[] | undefined;
  backupDir: string;
  lockFile: string;
  logFile: string;
  waitMs: number;
  graceSeconds: number;
  prune: boolean;
}

function fixOptions(values: Values, config: ScanConfig): FixOptions {
  const inRoot = (p: string): string => (config.hostRoot === '/' ? p : config.hostRoot + p);
  const num = (v: unknown, d: number): number =>
    typeof v === 'string' && Number(v) > 0 ? Number(v) : d;
  return {
    apply: values.apply === true,
    manifests: Array.isArray(values.manifests) ? values.manifests : undefined,
    backupDir:
      typeof values['backup-dir'] === 'string'
        ? values['backup-dir']
        : inRoot('/var/lib/certdrift/backups'),
    lockFile:
      typeof values['lock-file'] === 'string'
        ? values['lock-file']
        : inRoot('/run/certdrift/fix.lock'),
    logFile:
      typeof values['log-file'] === 'string'
        ? values['log-file']
        : inRoot('/var/log/certdrift/fix.log'),
    waitMs: num(values.wait, 60) * 1000,
    graceSeconds: num(values.grace, 30),
    prune: values['keep-exited'] !== true,
  };
}

async function inspect(
  config: ScanConfig,
): Promise<{ inv: Inventory; findings: Finding[]; checked: boolean }> {
  const { inventory, assessment } = await assessThisNode(config, new Date());
  // exit code 3 from assess: no certificate found and nothing found wrong, i.e. nothing checked
  return { inv: inventory, findings: assessment.findings, checked: assessment.exitCode !== 3 };
}

function describe(a: FixAction): string {
  switch (a.kind) {
    case 'patch-manifest':
      return `patch ${a.file}: ${a.description} [${a.codes.join(', ')}]`;
    case 'by-hand':
      return `${a.file}: no safe automatic repair [${a.codes.join(', ')}]`;
    case 'recreate-container':
      return `recreate container ${a.namespace}/${a.pod}/${a.container} (attempt ${a.attempt}, ${a.containerId.slice(0, 13)}) [${a.reason}]`;
    case 'restart-host-process':
      return `restart host process ${a.name} (pid ${a.pid}) [${a.reason}] — by hand: systemctl restart ${a.name}`;
    case 'stop-duplicate':
      return `stop older duplicate ${a.namespace}/${a.pod}/${a.container} (attempt ${a.attempt}, ${a.containerId.slice(0, 13)}), keeping ${a.keep.slice(0, 13)} [${a.reason}]`;
    case 'remove-exited':
      return `remove EXITED ${a.namespace}/${a.pod}/${a.container} (attempt ${a.attempt}, ${a.containerId.slice(0, 13)}) [${a.reason}]`;
  }
}

function unreadable(file: string, message: string): FileAudit {
  return { file, workloads: 0, skippedKinds: [], problems: [{ message }], findings: [] };
}

class Fixer {
  readonly log: (entry: object) => void;

  constructor(
    private readonly config: ScanConfig,
    private readonly opts: FixOptions,
  ) {
    this.log = (entry) => {
      mkdirSync(dirname(opts.logFile), { recursive: true });
      appendFileSync(
        opts.logFile,
        JSON.stringify({ time: new Date().toISOString(), ...entry }) + '\n',
      );
    };
  }

  async plan(): Promise<{
    steps: Step[];
    writes: Map<string, PlannedWrite>;
    problems: { file: string; message: string }[];
    /** false: no certificate found and no manifest read, so an empty plan proves nothing */
    checked: boolean;
  }> {
    const { inv, findings, checked } = await inspect(this.config);
    const root = this.config.hostRoot;
    const snapshots = new Map<string, FileSnapshot>();
    const refused = new Map<string, string>();
    const dirs = this.opts.manifests ?? (await staticPodDirs(root));
    const listDir = (dir: string): string[] | undefined => listNodeDir(root, dir);
    const audits: FileAudit[] = [];
    for (const f of await findManifests(root, dirs)) {
      // A symlinked manifest is read and patched at its target inside the host root.
      if (!f.target) {
        refused.set(f.path, f.problem ?? 'unreadable');
        audits.push(unreadable(f.path, f.problem ?? 'unreadable'));
        continue;
      }
      try {
        const snap = snapshot(f.target);
        snapshots.set(f.path, snap);
        audits.push(auditManifest(f.path, snap.text, { listDir }));
      } catch (err) {
        audits.push(unreadable(f.path, err instanceof Error ? err.message : String(err)));
      }
    }
    const writes = new Map<string, PlannedWrite>();
    const steps = planFixes({
      audits,
      findings,
      workloads: inv.workloads,
      prune: this.opts.prune,
    }).map((action): Step => {
      if (action.kind === 'restart-host-process')
        return { action, status: 'skipped', detail: 'certdrift does not restart host services' };
      if (action.kind === 'by-hand')
        return { action, status: 'skipped', detail: action.description };
      if (action.kind !== 'patch-manifest') return { action, status: 'planned', detail: '' };
      const snap = snapshots.get(action.file);
      const res = snap
        ? patchManifest(snap.bytes, action.ops)
        : { ok: false as const, message: refused.get(action.file) ?? 'not read' };
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
    });
    const problems = audits.flatMap((a) =>
      a.problems.map((p) => ({ file: a.file, message: p.message })),
    );
    // a manifest read and audited is something checked too, even on a node without certificates
    const audited = audits.some((a) => a.workloads > 0 || a.skippedKinds.length > 0);
    return { steps, writes, problems, checked: checked || audited };
  }

  /** The state an action changes, as it is before the action (for the action log). */
  before(step: Step, writes: Map<string, PlannedWrite>): object {
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
  after(step: Step, writes: Map<string, PlannedWrite>): object {
    const a = step.action;
    if (a.kind === 'patch-manifest') {
      const w = writes.get(a.file);
      if (!w) return { detail: step.detail };
      const st = statSync(w.snap.path);
      return {
        file: w.snap.path,
        sha256: createHash('sha256').update(readFileSync(w.snap.path)).digest('hex'),
        bytes: st.size,
        mode: `0${(st.mode & 0o7777).toString(8)}`,
        uid: st.uid,
        gid: st.gid,
        detail: step.detail,
      };
    }
    return { detail: step.detail };
  }

  /** Waits for kubelet to run a new instance of the container, then checks what it sees. */
  private async replacementOf(a: Extract<FixAction, { containerId: string }>): Promise<string> {
    const until = Date.now() + this.opts.waitMs;
    while (Date.now() < until) {
      const { inv, findings } = await inspect(this.config);
      const next = inv.workloads.find(
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
      await sleep(250);
    }
    throw new Error(
      `no new ${a.namespace}/${a.pod}/${a.container} container within ${this.opts.waitMs / 1000} s (is kubelet running?)`,
    );
  }

  async execute(step: Step, writes: Map<string, PlannedWrite>): Promise<string> {
    const a = step.action;
    if (a.kind === 'patch-manifest') {
      const w = writes.get(a.file);
      if (!w) throw new Error('no patch planned');
      const backup = writeAtomically(w.snap, w.bytes, {
        backupDir: this.opts.backupDir,
        now: new Date(),
      });
      return `written${w.snap.path !== a.file ? ` to ${w.snap.path}` : ''}; backup ${backup}`;
    }
    if (a.kind === 'restart-host-process' || a.kind === 'by-hand') return 'skipped';
    const runtime = await chooseRuntime(this.config);
    if (!runtime)
      throw new OperationalError(
        'no CRI runtime socket: containers cannot be recreated here (use --runtime-endpoint)',
      );
    runtime.close();
    const { CriActions } = await import('../../adapters/runtime/cri-actions.js');
    const cri = new CriActions(runtime.endpoint, (this.opts.graceSeconds + 30) * 1000);
    try {
      if (a.kind === 'remove-exited') {
        await cri.remove(a.containerId);
        return 'removed';
      }
      await cri.stop(a.containerId, this.opts.graceSeconds);
      if (a.kind === 'stop-duplicate') return `stopped; ${a.keep.slice(0, 13)} keeps running`;
      return `stopped; ${await this.replacementOf(a)}`;
    } finally {
      cri.close();
    }
  }
}

/**
 * `uncheckedRoot`: no certificate was found under this host root, so an empty plan is no news
 * about the node (said the way scan says it).
 */
function render(
  steps: Step[],
  apply: boolean,
  io: Io,
  problems: { file: string; message: string }[],
  uncheckedRoot?: string,
): void {
  for (const p of problems)
    io.stdout.write(`not read: ${escapeTerminal(p.file)}: ${escapeTerminal(p.message)}\n`);
  if (uncheckedRoot !== undefined) {
    io.stdout.write(
      `Nothing checked: no certificates found under ${escapeTerminal(uncheckedRoot)}. Is this a Kubernetes node? Point --host-root at its root file system or add --path GLOB.\n`,
    );
    return;
  }
  if (steps.length === 0) {
    io.stdout.write('Nothing to fix.\n');
    return;
  }
  io.stdout.write(apply ? 'FIX\n' : 'PLAN (dry run: nothing was changed; rerun with --apply)\n');
  steps.forEach((s, i) => {
    const target = s.target ? ` (a link to ${escapeTerminal(s.target)})` : '';
    io.stdout.write(
      `${i + 1}. [${s.status}] ${escapeTerminal(describe(s.action))}${target}${s.detail ? `\n   ${escapeTerminal(s.detail)}` : ''}\n`,
    );
    if (s.diff && !apply) io.stdout.write(escapeTerminalLines(s.diff).replace(/^(?=.)/gm, '   '));
  });
}

async function runFix(values: Values, positionals: string[], io: Io): Promise<number> {
  if (positionals.length > 0)
    throw new UsageError(
      `unexpected argument ${JSON.stringify(positionals[0])} (quote globs: --path '/x/**')`,
    );
  const config = await loadScanConfig(values, io);
  const opts = fixOptions(values, config);
  const fixer = new Fixer(config, opts);
  let release = (): void => undefined;
  if (opts.apply) {
    try {
      release = acquireLock(opts.lockFile, new Date());
    } catch (err) {
      if (err instanceof LockHeld) throw new OperationalError(err.message);
      throw err;
    }
  }
  try {
    const { steps, writes, problems, checked } = await fixer.plan();
    // "Nothing to fix." would claim a healthy node: like scan and audit, say nothing was checked
    const unchecked = !checked && steps.length === 0;
    if (!opts.apply || unchecked) {
      if (values.output === 'json')
        io.stdout.write(JSON.stringify({ kind: 'FixPlan', steps, problems }, null, 2) + '\n');
      else render(steps, false, io, problems, unchecked ? config.hostRoot : undefined);
      if (unchecked) return 3;
      return steps.some((s) => s.status === 'planned' || s.action.kind === 'by-hand') ? 1 : 0;
    }
    for (const step of steps.filter((s) => s.status === 'planned')) {
      const before = fixer.before(step, writes);
      fixer.log({ event: 'start', action: step.action, before });
      try {
        step.detail = await fixer.execute(step, writes);
        step.status = 'done';
        fixer.log({ event: 'done', action: step.action, before, after: fixer.after(step, writes) });
      } catch (err) {
        step.status = 'failed';
        step.detail = err instanceof Error ? err.message : String(err);
        fixer.log({ event: 'failed', action: step.action, before, error: step.detail });
        break;
      }
    }
    if (values.output === 'json')
      io.stdout.write(JSON.stringify({ kind: 'FixResult', steps, problems }, null, 2) + '\n');
    else render(steps, true, io, problems);
    const failed = steps.find((s) => s.status === 'failed');
    if (failed) {
      const done = steps.filter((s) => s.status === 'done').length;
      io.stderr.write(
        `certdrift fix: stopped after ${done} of ${steps.length} actions: ${escapeTerminal(failed.detail)}\n`,
      );
      return 2;
    }
    // What is left to do by hand is still a problem on this node.
    return steps.some((s) => s.action.kind === 'by-hand') ? 1 : 0;
  } finally {
    release();
  }
}

export const fixCommand: CommandDef = {
  name: 'fix',
  summary:
    'repair manifests, recreate stale containers, prune leftovers (plan first, --apply to act)',
  usage: 'certdrift fix [--apply] [--manifests DIR]... [scan options]',
  description: [
    'Runs scan and audit, then plans, in this order: patch manifests that set up drift (single-file',
    'certificate mounts → the parent directory; propagation where it helps), recreate containers',
    'that see or hold a stale certificate (stop; kubelet starts the next attempt; certdrift waits for',
    "it and checks it sees the node's certificate), stop older RUNNING duplicates, remove EXITED",
    'leftovers keeping the newest one. Without --apply nothing changes: the plan and diffs are shown.',
    '',
    'With --apply: one action at a time, a lock so two fixes never run on one node, every action',
    'logged (JSON lines) with before/after, manifests written atomically after a timestamped backup,',
    'refusing any manifest that changed since it was read; the first failure stops the run.',
    '',
    'Exit codes: 0 nothing to do / all done, 1 actions planned (dry run), 2 an action failed,',
    '3 could not run (lock held, no runtime, bad usage).',
  ].join('\n'),
  options: {
    ...scanOptions(DISCOVERY_OPTIONS),
    apply: { type: 'boolean', description: 'carry out the plan (default: show it only)' },
    manifests: {
      type: 'string',
      multiple: true,
      value: 'DIR',
      description: 'static pod manifests to repair',
      shownDefault:
        "the node's static-pod directory: /etc/kubernetes/manifests (kops, kubeadm), /var/lib/rancher/{k3s,rke2}/agent/pod-manifests",
    },
    'backup-dir': {
      type: 'string',
      value: 'DIR',
      description:
        'where manifest backups go (never the manifests directory: kubelet would run them)',
      shownDefault: '<host-root>/var/lib/certdrift/backups',
    },
    'lock-file': {
      type: 'string',
      value: 'FILE',
      description: 'one fix per node at a time',
      shownDefault: '<host-root>/run/certdrift/fix.lock',
    },
    'log-file': {
      type: 'string',
      value: 'FILE',
      description: 'action log, JSON lines',
      shownDefault: '<host-root>/var/log/certdrift/fix.log',
    },
    wait: {
      type: 'string',
      value: 'SECONDS',
      description: 'how long to wait for kubelet to start a recreated container',
      shownDefault: '60',
    },
    grace: {
      type: 'string',
      value: 'SECONDS',
      description: 'stop grace period per container',
      shownDefault: '30',
    },
    'keep-exited': { type: 'boolean', description: 'do not remove EXITED leftovers' },
    output: {
      type: 'string',
      short: 'o',
      value: 'FORMAT',
      description: 'table or json',
      shownDefault: 'table',
    },
  },
  examples: [
    'certdrift fix                 # what would be done, with diffs',
    'certdrift fix --apply         # do it, one action at a time',
  ],
  run: runFix,
};
