// Finds certificate files: walks the directories a set of glob patterns can match, prunes the
// rest, follows symbolic links inside the host root without looping, and reports each file once
// (by canonical path) with every link that led to it.

import { readdir } from 'node:fs/promises';
import type { ItemError } from '../../model/index.js';
import {
  GLOBSTAR,
  canDescend,
  compileGlob,
  initialState,
  isMatch,
  matchesPath,
  step,
  type CompiledGlob,
  type MatchState,
} from '../../model/glob.js';
import type { HostFiles } from './host-files.js';
import type {
  DiscoverPattern,
  DiscoveredFile,
  Discovery,
  DiscoverOptions,
} from '../../node/ports.js';
export type {
  DiscoverPattern,
  DiscoveredFile,
  Discovery,
  DiscoverOptions,
} from '../../node/ports.js';

/** Pseudo file systems never walked into from the root (still readable when named literally). */
const PSEUDO_ROOT_DIRS = new Set(['proc', 'sys', 'dev']);

const CERT_NAME =
  /\.(crt|pem|cer|cert|der|p7b|p7c|p12|pfx|kubeconfig|conf)$|(^|\/)(kubeconfig|k3s\.yaml|rke2\.yaml)$/;

export function nameSuggestsCertificates(path: string): boolean {
  return CERT_NAME.test(path);
}

export async function discover(
  host: HostFiles,
  patterns: DiscoverPattern[],
  opts: DiscoverOptions,
): Promise<Discovery> {
  const excludes = opts.excludes.flatMap((e) => compileGlob(e));
  const files = new Map<string, DiscoveredFile>();
  const errors: ItemError[] = [];
  const add = (path: string, found: string, expect: boolean): void => {
    let f = files.get(path);
    if (!f) files.set(path, (f = { path, links: [], expectCertificates: expect }));
    if (found !== path && !f.links.includes(found)) f.links.push(found);
    f.expectCertificates ||= expect;
  };
  const excluded = (p: string): boolean => excludes.length > 0 && matchesPath(excludes, p);
  const listed = new Set<string>();
  const resolved = new Set<string>();
  const seen = { entries: 0 };
  const progress = opts.onDirectory
    ? (dir: string, entries: number): void => {
        seen.entries += entries;
        opts.onDirectory?.(dir, seen.entries, files.size);
      }
    : undefined;

  const ctx: WalkContext = {
    add,
    excluded,
    errors,
    maxEntries: opts.maxEntries,
    listed,
    resolved,
    ...(progress ? { progress } : {}),
  };
  for (const pattern of patterns)
    for (const g of compileGlob(pattern.glob))
      if (!excluded(g.base)) await discoverGlob(host, g, pattern.origin === '--path', ctx);
  return {
    files: [...files.values()],
    errors: reportedOnce(errors),
    watched: { listed: [...listed], resolved: [...resolved] },
  };
}

/**
 * Several patterns walk the same directories (kubeadm's and the generic preset's globs both reach
 * /etc/kubernetes/pki): a loop or an unreadable directory is one problem, reported once, so
 * certdrift_item_errors_total counts problems, not patterns.
 */
function reportedOnce(errors: ItemError[]): ItemError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.reason}\u0000${e.path}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * One compiled glob: its base resolved inside the root, then a literal file added or a directory
 * walked. A preset path missing on this host is normal; a path the user named is not.
 */
async function discoverGlob(
  host: HostFiles,
  g: CompiledGlob,
  fromUser: boolean,
  ctx: WalkContext,
): Promise<void> {
  const r = await host.resolve(g.base);
  ctx.resolved.add(g.base);
  if (r.ok) for (const q of [r.path, ...(r.via ?? [])]) ctx.resolved.add(q);
  if (!r.ok) {
    if (fromUser || r.reason === 'dangling_symlink' || r.reason === 'symlink_loop') {
      ctx.errors.push({ path: g.base, reason: r.reason, message: r.message });
    }
    return;
  }
  if (g.literal && r.kind === 'file') {
    ctx.add(r.path, g.base, fromUser || nameSuggestsCertificates(g.base));
  } else if (r.kind === 'dir') {
    const glob: CompiledGlob = g.literal ? { ...g, segments: [GLOBSTAR], literal: false } : g;
    await walk(host, glob, r.path, g.base, ctx);
  } else if (fromUser) {
    ctx.errors.push({
      path: g.base,
      reason: 'not_regular_file',
      message: `${g.base} is not a regular file`,
    });
  }
}

interface WalkContext {
  add: (path: string, found: string, expect: boolean) => void;
  excluded: (p: string) => boolean;
  errors: ItemError[];
  maxEntries: number;
  listed: Set<string>;
  resolved: Set<string>;
  /** once per directory listed, with its number of entries */
  progress?: (dir: string, entries: number) => void;
}

async function walk(
  host: HostFiles,
  g: CompiledGlob,
  canonRoot: string,
  logicalRoot: string,
  ctx: WalkContext,
): Promise<void> {
  const visited = new Set<string>([canonRoot]);
  let entries = 0;
  const join = (dir: string, name: string): string => (dir === '/' ? `/${name}` : `${dir}/${name}`);
  let level: { canon: string; logical: string; state: MatchState }[] = [
    { canon: canonRoot, logical: logicalRoot, state: initialState(g) },
  ];
  while (level.length > 0) {
    const next: typeof level = [];
    const listings = await Promise.all(
      level.map(async (d) => {
        ctx.listed.add(d.canon);
        try {
          return { d, list: await readdir(host.real(d.canon), { withFileTypes: true }) };
        } catch (err) {
          const e = err as NodeJS.ErrnoException;
          ctx.errors.push({
            path: d.logical,
            reason: e.code === 'EACCES' ? 'permission_denied' : 'read_error',
            message: `cannot list ${d.logical}: ${e.message}`,
          });
          return { d, list: [] };
        }
      }),
    );
    for (const { d, list } of listings) {
      ctx.progress?.(d.logical, list.length);
      for (const e of list) {
        if (++entries > ctx.maxEntries) {
          ctx.errors.push({
            path: g.source,
            reason: 'walk_limit',
            message: `${g.source}: stopped after ${ctx.maxEntries} entries (raise --max-files)`,
          });
          return;
        }
        if (d.canon === '/' && PSEUDO_ROOT_DIRS.has(e.name)) continue;
        const canon = join(d.canon, e.name);
        const logical = join(d.logical, e.name);
        if (ctx.excluded(logical) || ctx.excluded(canon)) continue;
        const state = step(g, d.state, e.name);
        if (state.length === 0) continue;
        const matched = isMatch(g, state);
        if (e.isDirectory()) {
          if (canDescend(g, state) && !visited.has(canon)) {
            visited.add(canon);
            next.push({ canon, logical, state });
          }
        } else if (e.isFile()) {
          if (matched) ctx.add(canon, logical, nameSuggestsCertificates(logical));
        } else if (e.isSymbolicLink()) {
          const r = await host.resolve(canon);
          if (r.ok) for (const q of [r.path, ...(r.via ?? [])]) ctx.resolved.add(q);
          if (!r.ok) {
            if (matched) ctx.errors.push({ path: logical, reason: r.reason, message: r.message });
          } else if (r.kind === 'dir') {
            if (canDescend(g, state) && !visited.has(r.path)) {
              visited.add(r.path);
              next.push({ canon: r.path, logical, state });
            }
          } else if (r.kind === 'file' && matched) {
            ctx.add(
              r.path,
              logical,
              nameSuggestsCertificates(logical) || nameSuggestsCertificates(r.path),
            );
          }
        }
      }
    }
    level = next;
  }
}
