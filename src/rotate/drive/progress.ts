// Progress of a multi-step run (`certdrift rotate --apply --wait`), pure: the counts and ETA from
// what the run observed, one line for a terminal (redrawn in place by the caller: a carriage
// return and erase-to-end-of-line around the escaped text) and one JSON object per event for
// everything else. Node names come from the cluster: the line escapes control characters.

import { escapeTerminal } from '../../model/escape.js';

export interface Progress {
  at: Date;
  /** nodes this run found due (started, waiting their turn, stuck or finished) */
  total: number;
  done: number;
  stuck: number;
  /** what the run does now, one line */
  current: string;
  /** from the nodes finished by this run: mean duration × remaining waves; null before one */
  etaMs: number | null;
}

export function etaOf(
  finishedMs: readonly number[],
  remaining: number,
  parallel: number,
): number | null {
  if (finishedMs.length === 0 || remaining <= 0) return remaining <= 0 ? 0 : null;
  const mean = finishedMs.reduce((a, b) => a + b, 0) / finishedMs.length;
  return Math.round(mean * Math.ceil(remaining / Math.max(1, parallel)));
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** the progress line's text, escaped, at most `width` characters */
export function progressLine(p: Progress, width = 100): string {
  const eta = p.etaMs === null ? 'ETA ?' : `ETA ${formatDuration(p.etaMs)}`;
  const stuck = p.stuck > 0 ? ` ${p.stuck} stuck` : '';
  const line = escapeTerminal(`[${p.done}/${p.total}]${stuck} ${eta}  ${p.current}`);
  return line.length <= width ? line : `${line.slice(0, Math.max(0, width - 1))}…`;
}

/** the line redrawn in place on a terminal: CR, the text, erase to the end of the line */
export function ttyFrame(p: Progress, width = 100): string {
  return `\r${progressLine(p, width)}\x1b[K`;
}

// JSON.stringify escapes C0 only; DEL, C1 and bidi/line-separator characters become \u escapes
// too (still the same JSON string), so a log viewer shows them instead of obeying them.
const RAW = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const jsonSafe = (text: string): string =>
  text.replace(RAW, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** one JSON-lines event; no raw control characters */
export function progressEvent(p: Progress): string {
  return jsonSafe(
    JSON.stringify({
      event: 'progress',
      at: p.at.toISOString(),
      done: p.done,
      total: p.total,
      stuck: p.stuck,
      current: p.current,
      etaSeconds: p.etaMs === null ? null : Math.round(p.etaMs / 1000),
    }) + '\n',
  );
}

/** a message beside the progress (the Lease taken, lost, released) as a JSON-lines event */
export function messageEvent(at: Date, message: string): string {
  return jsonSafe(JSON.stringify({ event: 'message', at: at.toISOString(), message }) + '\n');
}
