// API-server log text → certificate failures, line by line (so `--follow` can feed a stream).
// Lines that are not authentication failures are skipped; nothing here throws. A line (or a CRI
// partial line joined) longer than MAX_LOG_LINE_BYTES is not read: it is counted in
// `skippedLines`, so the caller can say so, and memory stays bounded whatever the log holds.

import { MAX_LOG_LINE_BYTES } from './bounded-lines.js';
import { readAuthFailure, unwrapLine, type Envelope } from './log-envelope.js';
import type { CertFailure } from './types.js';
import { parseX509Errors } from './x509-errors.js';

export interface LogScanOptions {
  /** name of the source, for evidence (a path, or `-` for stdin) */
  source: string;
  /**
   * Year for klog text headers (`E0712 18:20:27…` has none) when the line carries no other full
   * date; the x509 message's "current time" is preferred when present.
   */
  year?: number;
  /** without `year`: headers are dated in the latest year that does not put them after `now` */
  now?: Date;
}

/**
 * The longest line read, in UTF-16 units: the byte cap, so a line the stream reader kept (at most
 * that many bytes, so at most that many units) is never refused here, and a joined one is bounded.
 */
const MAX_LINE = MAX_LOG_LINE_BYTES;

function klogDate(t: NonNullable<Envelope['klogTime']>, year: number): Date | undefined {
  const d = new Date(Date.UTC(year, t.month - 1, t.day, t.h, t.m, t.s, Math.floor(t.us / 1000)));
  return Number.isNaN(d.getTime()) || d.getUTCMonth() !== t.month - 1 ? undefined : d;
}

/** The klog header's date in the year that puts it closest to `near` (handles New Year). */
function klogDateNear(t: NonNullable<Envelope['klogTime']>, near: Date): Date | undefined {
  const y = near.getUTCFullYear();
  let best: Date | undefined;
  for (const year of [y - 1, y, y + 1]) {
    const d = klogDate(t, year);
    if (
      d &&
      (!best || Math.abs(d.getTime() - near.getTime()) < Math.abs(best.getTime() - near.getTime()))
    )
      best = d;
  }
  return best;
}

/** The latest year in which the header's date is not after `now` (a day of clock skew allowed). */
function klogDateUntil(t: NonNullable<Envelope['klogTime']>, now: Date): Date | undefined {
  const y = now.getUTCFullYear();
  const limit = now.getTime() + 86_400_000;
  for (const year of [y + 1, y, y - 1]) {
    const d = klogDate(t, year);
    if (d && d.getTime() <= limit) return d;
  }
  return undefined;
}

export class LogScanner {
  private lineNo = 0;
  private pending = '';
  private pendingAt: Date | undefined;
  /** the CRI partial lines being joined went past the cap: the whole joined line is skipped */
  private pendingOver = false;
  private skipped = 0;

  constructor(private readonly opts: LogScanOptions) {}

  /** Lines not read because they were longer than the cap (a joined CRI line counts once). */
  get skippedLines(): number {
    return this.skipped;
  }

  /**
   * A line the reader did not keep (over the cap). It counts as one skipped line; CRI partial
   * lines being joined before it are dropped with it, since the joined line cannot be whole.
   */
  skip(): void {
    this.lineNo++;
    this.skipped++;
    this.pending = '';
    this.pendingAt = undefined;
    this.pendingOver = false;
  }

  /** One line (without its newline) → the certificate failures it reports (usually 0 or 1). */
  feed(line: string): CertFailure[] {
    if (line.length > MAX_LINE) {
      this.skip();
      return [];
    }
    this.lineNo++;
    const env = unwrapLine(line);
    if (env.partial) {
      // kubelet splits long lines into P … P F records; join them before reading
      if (this.pendingOver || this.pending.length + env.text.length > MAX_LINE) {
        this.pendingOver = true;
        this.pending = '';
      } else this.pending += env.text;
      this.pendingAt ??= env.at;
      return [];
    }
    if (this.pendingOver || this.pending.length + env.text.length > MAX_LINE) {
      this.pending = '';
      this.pendingAt = undefined;
      this.pendingOver = false;
      this.skipped++;
      return [];
    }
    let text = env.text;
    let at = env.at;
    if (this.pending !== '') {
      text = this.pending + text;
      at = this.pendingAt ?? at;
      this.pending = '';
      this.pendingAt = undefined;
    }
    const hit = readAuthFailure(text, at);
    if (!hit) return [];
    return parseX509Errors(hit.err).map((f) => {
      let when = hit.at;
      if (!when && hit.klogTime) {
        when = f.serverTime
          ? klogDateNear(hit.klogTime, f.serverTime)
          : this.opts.year !== undefined
            ? klogDate(hit.klogTime, this.opts.year)
            : this.opts.now
              ? klogDateUntil(hit.klogTime, this.opts.now)
              : undefined;
      }
      when ??= f.serverTime;
      return { ...f, ...(when ? { at: when } : {}), line: this.lineNo, source: this.opts.source };
    });
  }
}

/** A whole log text → its certificate failures. */
export function parseApiServerLog(text: string, opts: LogScanOptions): CertFailure[] {
  const scanner = new LogScanner(opts);
  const out: CertFailure[] = [];
  for (const line of text.split('\n')) for (const f of scanner.feed(line)) out.push(f);
  return out;
}
