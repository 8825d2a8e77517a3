// `certdrift fix`: repair what scan and audit found — manifests, stale containers, leftovers.
// Plans by default; acts only with --apply, one action at a time, each logged with before/after,
// stopping at the first failure with the progress so far. The work is fix/'s (plan-steps.ts,
// apply-fix.ts); this file reads the flags, takes the lock, composes the real edges and maps the
// outcome to an exit code.

import { acquireLock, LockHeld } from '../../adapters/host/lock.js';
import { appendJsonLine, hostManifestFiles } from '../../adapters/host/fix-files.js';
import {
  applyFixPlan,
  planFixSteps,
  renderFixSteps,
  type FixEdges,
  type FixSettings,
} from '../../fix/index.js';
import { systemClock } from '../../model/clock.js';
import { escapeTerminal } from '../../model/escape.js';
import type { ScanConfig } from '../config/scan-config.js';
import type { CommandDef, Io, Values } from '../command.js';
import { TABLE_OR_JSON_OPTION, UsageError } from '../command.js';
import { OperationalError } from '../errors.js';
import { assessThisNode, chooseRuntime } from '../node-scan.js';
import { loadScanConfig, DISCOVERY_OPTIONS, scanOptions } from '../scan-options.js';

interface FixOptions extends FixSettings {
  apply: boolean;
  lockFile: string;
  logFile: string;
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

/** The real edges: this node's scan, its manifests under --host-root, its CRI runtime. */
function fixEdges(config: ScanConfig, opts: FixOptions): FixEdges {
  return {
    inspect: async () => {
      const { inventory, assessment } = await assessThisNode(config, systemClock.now());
      // exit code 3 from assess: no certificate found and nothing found wrong, i.e. nothing checked
      return {
        inventory,
        findings: assessment.findings,
        checked: assessment.exitCode !== 3,
      };
    },
    manifests: hostManifestFiles(config.hostRoot),
    containers: async (deadlineMs) => {
      const runtime = await chooseRuntime(config);
      if (!runtime)
        throw new OperationalError(
          'no CRI runtime socket: containers cannot be recreated here (use --runtime-endpoint)',
        );
      runtime.close();
      // gRPC loads only when a container is acted on.
      const { CriActions } = await import('../../adapters/runtime/cri-actions.js');
      return new CriActions(runtime.endpoint, deadlineMs);
    },
    log: (entry) => {
      appendJsonLine(opts.logFile, entry);
    },
    clock: systemClock,
  };
}

/** Holds the node's fix lock (with --apply only); a held lock is an operational error (exit 3). */
function lockIfApplying(opts: FixOptions): () => void {
  if (!opts.apply) return () => undefined;
  try {
    return acquireLock(opts.lockFile, systemClock.now());
  } catch (err) {
    if (err instanceof LockHeld) throw new OperationalError(err.message);
    throw err;
  }
}

async function runFix(values: Values, positionals: string[], io: Io): Promise<number> {
  if (positionals.length > 0)
    throw new UsageError(
      `unexpected argument ${JSON.stringify(positionals[0])} (quote globs: --path '/x/**')`,
    );
  const config = await loadScanConfig(values, io);
  const opts = fixOptions(values, config);
  const edges = fixEdges(config, opts);
  const release = lockIfApplying(opts);
  try {
    const plan = await planFixSteps(edges, opts);
    const { steps, problems } = plan;
    // "Nothing to fix." would claim a healthy node: like scan and audit, say nothing was checked
    const unchecked = !plan.checked && steps.length === 0;
    const apply = opts.apply && !unchecked;
    if (apply) await applyFixPlan(edges, plan, opts);
    if (values.output === 'json')
      io.stdout.write(
        JSON.stringify({ kind: apply ? 'FixResult' : 'FixPlan', steps, problems }, null, 2) + '\n',
      );
    else
      io.stdout.write(
        renderFixSteps(steps, apply, problems, unchecked ? config.hostRoot : undefined),
      );
    if (unchecked) return 3;
    if (!apply)
      return steps.some((s) => s.status === 'planned' || s.action.kind === 'by-hand') ? 1 : 0;
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
    output: TABLE_OR_JSON_OPTION,
  },
  examples: [
    'certdrift fix                 # what would be done, with diffs',
    'certdrift fix --apply         # do it, one action at a time',
  ],
  run: runFix,
};
