// The parts of `certdrift rotate` that wait: the flags (--wait, timeouts, --force-after,
// --defer-while) and the progress of the multi-step run (rotate/drive.ts, driven under the
// Lease by rotate-session.ts) —
// a line redrawn in place on a terminal, JSON lines otherwise, always on stderr so stdout keeps
// the final report (text or -o json) whole. Kept apart from commands/rotate.ts, which only wires
// these in.

import { parseDuration } from '../model/duration.js';
import { escapeTerminal } from '../model/escape.js';
import type { OptionDef, Values } from './command.js';
import { UsageError, type Io } from './command.js';
import type { GateAnswer } from '../rotate/run-step.js';
import type { DriveResult } from '../rotate/drive/drive.js';
import type { Progress } from '../rotate/drive/progress.js';

export const WAIT_OPTIONS: Record<string, OptionDef> = {
  wait: {
    type: 'boolean',
    description:
      'with --apply: keep stepping until the due nodes are finished or stuck, waiting for each effect (drained; node gone and its replacement Ready)',
  },
  'poll-interval': {
    type: 'string',
    value: 'DURATION',
    description: 'with --wait: pause between steps',
    shownDefault: '15s',
  },
  'replace-timeout': {
    type: 'string',
    value: 'DURATION',
    description:
      'a node handed over (kops, capi, karpenter) and still present after this is recorded stuck; with --wait also the wait for a replacement to turn Ready',
    shownDefault: '1h',
  },
  'force-after': {
    type: 'string',
    value: 'DURATION',
    description:
      'a drain still not done this long after its cordon deletes the remaining pods (bypasses PodDisruptionBudgets); must be shorter than --drain-timeout',
    shownDefault: 'never',
  },
  'defer-while': {
    type: 'string',
    value: 'QUERY',
    description:
      'PromQL: before starting nodes, wait while it returns any series (e.g. ALERTS{severity="critical"}); needs --prometheus-url',
  },
  'prometheus-url': {
    type: 'string',
    value: 'URL',
    description: 'Prometheus for --defer-while (GET URL/api/v1/query)',
  },
  'defer-timeout': {
    type: 'string',
    value: 'DURATION',
    description: 'with --wait: total time deferred by --defer-while before the run stops',
    shownDefault: '1h',
  },
};

/** A duration flag in the policy file's grammar (model/duration.ts: `90s`, `30m`, `1h30m`, `2d`). */
export function durationFlag(v: unknown, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const ms = typeof v === 'string' ? parseDuration(v) : null;
  if (ms === null) throw new UsageError(`${flag}: expected a duration like 30m, 1h or 90s`);
  return ms;
}

export interface WaitFlags {
  wait: boolean;
  pollMs: number;
  deferTimeoutMs: number;
  replaceTimeoutMs?: number;
  forceAfterMs?: number;
  defer?: { query: string; url: string };
}

export function waitFlagsOf(values: Values, drainTimeoutMs: number, apply: boolean): WaitFlags {
  const wait = values.wait === true;
  if (wait && !apply) throw new UsageError('--wait acts: it needs --apply');
  if (wait && values.at !== undefined) throw new UsageError('--wait runs now: drop --at');
  if (wait && values.watch === true)
    throw new UsageError(
      '--wait or --watch: --wait ends once the due work is settled, --watch never ends',
    );
  const force = durationFlag(values['force-after'], '--force-after');
  if (force !== undefined && force >= drainTimeoutMs)
    throw new UsageError('--force-after must be shorter than --drain-timeout');
  const q = values['defer-while'];
  const url = values['prometheus-url'];
  if ((typeof q === 'string') !== (typeof url === 'string'))
    throw new UsageError('--defer-while and --prometheus-url go together');
  if (typeof url === 'string' && !/^https?:\/\//.test(url))
    throw new UsageError('--prometheus-url: expected an http:// or https:// URL');
  const replace = durationFlag(values['replace-timeout'], '--replace-timeout');
  return {
    wait,
    pollMs: durationFlag(values['poll-interval'], '--poll-interval') ?? 15_000,
    deferTimeoutMs: durationFlag(values['defer-timeout'], '--defer-timeout') ?? 3_600_000,
    ...(replace !== undefined ? { replaceTimeoutMs: replace } : {}),
    ...(force !== undefined ? { forceAfterMs: force } : {}),
    ...(typeof q === 'string' && typeof url === 'string' ? { defer: { query: q, url } } : {}),
  };
}

export async function gateOf(flags: WaitFlags): Promise<(() => Promise<GateAnswer>) | undefined> {
  if (!flags.defer) return undefined;
  const { prometheusGate } = await import('../adapters/prometheus/prometheus-query.js');
  return prometheusGate(flags.defer.url, flags.defer.query);
}

export const EXIT_OF_END: Record<DriveResult['end'], number> = {
  finished: 0,
  stuck: 1,
  halted: 1,
  'validate-timeout': 1,
  'defer-timeout': 1,
  failed: 1,
  stopped: 1,
  refused: 3,
};

export interface ProgressWriter {
  onProgress: (p: Progress) => void;
  /** a message line (already escaped) between progress lines */
  log: (message: string) => void;
  end: () => void;
}

/**
 * --wait's progress on stderr: a line redrawn in place on a terminal (messages above it), JSON
 * lines otherwise (messages as `message` events, so the stream stays JSON lines)
 */
export async function progressWriter(io: Io): Promise<ProgressWriter> {
  const { messageEvent, progressEvent, ttyFrame } = await import('../rotate/index.js');
  const tty = io.stderr.isTTY === true;
  const width = Math.max(40, ((io.stderr as { columns?: number }).columns ?? 100) - 1);
  let drawn = false;
  return {
    onProgress: (p) => {
      drawn = true;
      io.stderr.write(tty ? ttyFrame(p, width) : progressEvent(p));
    },
    log: (message) => {
      drawn = false;
      io.stderr.write(
        tty
          ? `\r\x1b[Kcertdrift rotate: ${message}\n`
          : messageEvent(new Date(), `certdrift rotate: ${message}`),
      );
    },
    end: () => {
      if (tty && drawn) io.stderr.write('\n');
    },
  };
}

/** the run's end as text, after the last step's report */
export function runSummaryText(r: DriveResult): string {
  const lines = [
    '',
    `run: ${r.end} after ${r.steps} step(s): ${r.message}`,
    `finished: ${r.done.length === 0 ? 'none' : r.done.join(', ')}`,
  ];
  if (r.stuck.length > 0) lines.push(`stuck: ${r.stuck.join(', ')}`);
  if (r.deferredMs > 0) lines.push(`deferred: ${Math.round(r.deferredMs / 1000)}s`);
  return lines.map(escapeTerminal).join('\n') + '\n';
}

export function runSummaryJson(r: DriveResult): object {
  return {
    end: r.end,
    message: r.message,
    steps: r.steps,
    finished: r.done,
    stuck: r.stuck,
    deferredSeconds: Math.round(r.deferredMs / 1000),
  };
}
