// Glob patterns over paths inside the host root: `*`, `?`, `[abc]`, `{a,b}` and `**` (any number
// of directories). Matching is per path segment so a walk can prune directories that cannot
// match. Pure: no I/O.

export const GLOBSTAR = Symbol('globstar');
export type Segment = RegExp | typeof GLOBSTAR;

export interface CompiledGlob {
  source: string;
  /** the leading segments without wildcards, as an absolute path: where a walk starts */
  base: string;
  /** the segments after `base` */
  segments: Segment[];
  /** true when the pattern has no wildcard at all: a single literal path */
  literal: boolean;
}

/** Expands `{a,b}` alternatives (nested allowed) into plain patterns. */
export function expandBraces(pattern: string): string[] {
  const open = pattern.indexOf('{');
  if (open < 0) return [pattern];
  let depth = 0;
  const commas: number[] = [];
  for (let i = open; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) {
      const cuts = [open, ...commas, i];
      const out: string[] = [];
      for (let k = 0; k + 1 < cuts.length; k++) {
        const alt = pattern.slice((cuts[k] as number) + 1, cuts[k + 1]);
        out.push(...expandBraces(pattern.slice(0, open) + alt + pattern.slice(i + 1)));
      }
      return out;
    } else if (c === ',' && depth === 1) commas.push(i);
  }
  return [pattern]; // unbalanced: literal braces
}

const MAGIC = /[*?[]/;

/** Whether `[body]` is a valid character class (a range out of order, `[z-a]`, is not). */
function isValidClass(body: string): boolean {
  try {
    new RegExp(`[${body}]`, 's');
    return true;
  } catch {
    return false;
  }
}

function segmentRegex(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i] as string;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const close = seg.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        let body = seg.slice(i + 1, close).replace(/\\/g, '\\\\');
        if (body.startsWith('!')) body = '^' + body.slice(1);
        if (isValidClass(body)) {
          re += `[${body}]`;
          i = close;
        } else re += '\\['; // e.g. `["- ]` (a range out of order): the bracket is literal
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

/** Normalises to an absolute, `/`-separated path inside the root ('' and '.' dropped, '..' clamped). */
export function normalizeInRoot(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return '/' + out.join('/');
}

export function compileGlob(pattern: string): CompiledGlob[] {
  return expandBraces(pattern).map((p) => {
    const parts = normalizeInRoot(p)
      .split('/')
      .filter((s) => s !== '');
    const firstMagic = parts.findIndex((s) => s === '**' || MAGIC.test(s));
    const baseParts = firstMagic < 0 ? parts : parts.slice(0, firstMagic);
    const rest = firstMagic < 0 ? [] : parts.slice(firstMagic);
    const segments: Segment[] = [];
    for (const s of rest) {
      if (s === '**') {
        if (segments[segments.length - 1] !== GLOBSTAR) segments.push(GLOBSTAR);
      } else segments.push(segmentRegex(s));
    }
    return { source: pattern, base: '/' + baseParts.join('/'), segments, literal: firstMagic < 0 };
  });
}

/** States of a segment-wise match: indices into `segments` reached so far. */
export type MatchState = readonly number[];

function closure(segments: Segment[], states: Iterable<number>): number[] {
  const set = new Set<number>();
  for (const s of states) {
    let i = s;
    set.add(i);
    while (segments[i] === GLOBSTAR) set.add(++i);
  }
  return [...set];
}

export function initialState(g: CompiledGlob): MatchState {
  return closure(g.segments, [0]);
}

/** Advances the match by one path segment; an empty result means nothing below can match. */
export function step(g: CompiledGlob, state: MatchState, name: string): MatchState {
  const next: number[] = [];
  for (const i of state) {
    const seg = g.segments[i];
    if (seg === undefined) continue;
    if (seg === GLOBSTAR) next.push(i);
    else if (seg.test(name)) next.push(i + 1);
  }
  return next.length === 0 ? next : closure(g.segments, next);
}

export function isMatch(g: CompiledGlob, state: MatchState): boolean {
  return state.includes(g.segments.length);
}

/** Whether a directory in this state may contain matches below it. */
export function canDescend(g: CompiledGlob, state: MatchState): boolean {
  return state.some((i) => i < g.segments.length);
}

/** Whole-path test, for --exclude. */
export function matchesPath(globs: CompiledGlob[], path: string): boolean {
  const parts = normalizeInRoot(path)
    .split('/')
    .filter((s) => s !== '');
  return globs.some((g) => {
    const baseParts = g.base.split('/').filter((s) => s !== '');
    if (baseParts.length > parts.length || baseParts.some((b, i) => parts[i] !== b)) return false;
    let state = initialState(g);
    for (const name of parts.slice(baseParts.length)) {
      state = step(g, state, name);
      if (state.length === 0) return false;
    }
    return isMatch(g, state);
  });
}
