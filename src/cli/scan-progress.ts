// `certdrift scan` progress on a terminal (issue #24 item 6): one status line on stderr while the
// walk runs — directory entries seen, certificate files found, the directory being listed —
// shown only once the scan has taken more than a second, redrawn at most ten times a second,
// fitted to the terminal's width, and erased at the end. Directory names are attacker-chosen:
// escaped (model/escape.ts) before they are shortened, so no control character reaches the
// terminal. The walk reports per directory (DiscoverOptions.onDirectory); this keeps only the
// latest numbers, and a timer draws them.

import { escapeTerminal } from '../model/escape.js';
import { clip } from '../model/text-table.js';
import type { DirectoryProgress } from '../node/ports.js';
import { UsageError } from './command.js';
import type { Io, OptionDef, Values } from './command.js';

export const PROGRESS_OPTIONS: Record<string, OptionDef> = {
  progress: {
    type: 'boolean',
    description: 'show the walk’s progress on stderr even when it is not a terminal',
    shownDefault: 'on when stderr is a terminal, unless -o json/yaml goes to a pipe',
  },
  'no-progress': {
    type: 'boolean',
    description: 'never show progress',
  },
};

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** --progress, --no-progress, else on when stderr is a terminal and output is not a piped document. */
export function wantProgress(values: Values, io: Io, output: string): boolean {
  if (values.progress === true && values['no-progress'] === true)
    throw new UsageError('--progress and --no-progress contradict each other');
  if (values.progress === true) return true;
  if (values['no-progress'] === true) return false;
  const err = io.stderr as ProgressStream;
  if (err.isTTY !== true || io.env.TERM === 'dumb') return false;
  return output === 'table' || io.stdout.isTTY === true;
}

export interface ProgressTiming {
  /** nothing is shown before the scan has run this long */
  afterMs: number;
  /** the line is redrawn at most this often */
  everyMs: number;
}

export const PROGRESS_TIMING: ProgressTiming = { afterMs: 1000, everyMs: 100 };

/** One status line, at most `width` columns (escaped, the directory shortened in the middle). */
export function progressLine(dir: string, entries: number, matched: number, width: number): string {
  const head = `scanning: ${entries.toLocaleString('en-US')} files seen, ${matched.toLocaleString('en-US')} certificate files`;
  const room = width - 1 - head.length - 3;
  if (room < 8) return clip(head, Math.max(width - 1, 2));
  return `${head} · ${clip(escapeTerminal(dir), room)}`;
}

export class TerminalProgress {
  private dir = '';
  private entries = 0;
  private matched = 0;
  private changed = false;
  private drawn = false;
  private readonly started: number;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly out: ProgressStream,
    private readonly timing: ProgressTiming = PROGRESS_TIMING,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
    this.timer = setInterval(() => {
      this.draw();
    }, timing.everyMs);
    this.timer.unref();
  }

  /** The walk's per-directory callback: stores the numbers, nothing else. */
  readonly onDirectory: DirectoryProgress = (dir, entries, matched) => {
    this.dir = dir;
    this.entries = entries;
    this.matched = matched;
    this.changed = true;
  };

  private draw(): void {
    if (!this.changed || this.now() - this.started < this.timing.afterMs) return;
    this.changed = false;
    const width = this.out.columns !== undefined && this.out.columns > 0 ? this.out.columns : 80;
    // CR, the line, erase to the end of the line: a shorter line leaves nothing behind.
    this.out.write(`\r${progressLine(this.dir, this.entries, this.matched, width)}\x1b[K`);
    this.drawn = true;
  }

  /** Stops drawing and erases the line, before anything else is printed. */
  stop(): void {
    clearInterval(this.timer);
    if (this.drawn) this.out.write('\r\x1b[2K');
    this.drawn = false;
  }
}
