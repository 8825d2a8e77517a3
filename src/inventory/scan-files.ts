// The file half of a node scan: presets + --path → discovery → read → parse → certificates,
// with kubeconfig file references followed inside the host root. Every problem becomes an
// ItemError (or, for a credential something names, a MissingCredential); nothing here throws for
// bad data.

import { classifyComponent, parseCertificateFile, type FileParse } from '../certs/index.js';
import type { DiscoveredFile, Discovery, NodeFiles, Preset } from '../host/index.js';
import { presetByName } from '../host/presets.js';
import { normalizeInRoot } from '../host/glob.js';
import type {
  Certificate,
  Inventory,
  ItemError,
  KubeconfigRef,
  MissingCredential,
  ScannedFile,
} from '../model.js';

export interface FileScanConfig {
  /** preset names, or 'auto' to detect from the host; `none` in the list disables presets */
  presets: 'auto' | readonly string[];
  paths: readonly string[];
  excludes: readonly string[];
  maxFileSize: number;
  maxEntries: number;
}

type Referenced = KubeconfigRef & { path: string };

/**
 * `watched` receives what the walk listed and resolved (Discovery.watched), for a change watch
 * that lets the agent reuse this result while nothing changes (file-scan-memo.ts).
 */
export async function scanFiles(
  files: NodeFiles,
  config: FileScanConfig,
  watched?: (w: NonNullable<Discovery['watched']>) => void,
): Promise<Inventory> {
  const presets = await choosePresets(files, config.presets);
  const patterns = [
    ...presets.flatMap((p) => p.paths.map((glob) => ({ glob, origin: `preset:${p.name}` }))),
    ...config.paths.map((glob) => ({
      glob: glob.startsWith('/') ? glob : `/${glob}`,
      origin: '--path',
    })),
  ];
  const found = await files.discover(patterns, {
    excludes: [...config.excludes],
    maxEntries: config.maxEntries,
  });
  if (watched) watched(found.watched ?? { listed: [], resolved: [] });
  const part = await parseFiles(files, found.files, new Set(), config.maxFileSize);
  const errors = [...found.errors, ...part.errors];
  return sortInventory({
    hostRoot: files.root,
    presets: presets.map((p) => p.name),
    files: part.files,
    certificates: part.certificates,
    errors,
    missing: part.missing,
    incomplete: found.errors.filter((e) => e.reason === 'walk_limit').map((e) => e.path),
    workloads: [],
    sources: [{ source: 'files', up: true }],
  });
}

/** What reading and parsing a set of files adds to an inventory. */
export interface ParsedFiles {
  files: ScannedFile[];
  certificates: Certificate[];
  errors: ItemError[];
  missing: MissingCredential[];
}

/**
 * Reads and parses files (skipping paths in `known`), then follows their kubeconfigs' file
 * references inside the host root, remembering which kubeconfig entry names each file. A
 * reference that cannot be read is a MissingCredential, not an item error: something needs it.
 */
export async function parseFiles(
  files: NodeFiles,
  found: readonly DiscoveredFile[],
  known: ReadonlySet<string>,
  maxFileSize: number,
): Promise<ParsedFiles> {
  const out: ParsedFiles = { files: [], certificates: [], errors: [], missing: [] };
  const byPath = new Set<string>(known);
  const todo = found.filter((f) => !byPath.has(f.path));
  const parsed = await files.readAndParse(todo, maxFileSize);

  const refsToFollow: { from: DiscoveredFile; ref: Referenced }[] = [];
  for (const item of parsed) {
    const { file } = item;
    byPath.add(file.path);
    if (!item.ok) {
      out.errors.push(item.error);
      continue;
    }
    record(out, file.path, file.links, item.parse);
    for (const r of item.parse.refs)
      refsToFollow.push({ from: file, ref: { ...r.ref, path: r.path } });
  }

  const referencedBy = new Map<string, Referenced[]>();
  for (const { from, ref } of refsToFollow) {
    const kubeconfigPath = from.links[0] ?? from.path;
    const dir = kubeconfigPath.slice(0, kubeconfigPath.lastIndexOf('/')) || '/';
    const target = normalizeInRoot(ref.path.startsWith('/') ? ref.path : `${dir}/${ref.path}`);
    const res = await files.resolveAndRead(target, maxFileSize);
    const use: Referenced = { entry: ref.entry, name: ref.name, field: ref.field, path: from.path };
    if (!res.ok) {
      out.missing.push({
        path: target,
        reason: res.error.reason,
        message: res.error.message,
        namedBy: `${from.path} (${ref.entry} ${ref.name} ${ref.field})`,
        namedIn: from.path,
      });
      continue;
    }
    const canonical = res.path ?? target;
    referencedBy.set(canonical, [...(referencedBy.get(canonical) ?? []), use]);
    if (byPath.has(canonical)) continue;
    const parse = parseCertificateFile(res.bytes, { expectCertificates: true });
    const links = canonical === target ? [] : [target];
    byPath.add(canonical);
    record(out, canonical, links, parse);
  }
  for (const c of out.certificates) {
    const uses = referencedBy.get(c.location.path);
    if (uses) c.location.referencedBy = uses;
  }
  return out;
}

function record(out: ParsedFiles, path: string, links: string[], parse: FileParse): void {
  out.files.push({
    path,
    links,
    format: parse.format,
    certificates: parse.certs.length,
    privateKeys: parse.privateKeys,
  });
  for (const p of parse.problems)
    out.errors.push({
      path,
      reason: p.reason,
      message: p.message,
      ...(p.detail ? { detail: p.detail } : {}),
    });
  for (const c of parse.certs) {
    out.certificates.push({
      ...c.facts,
      component: classifyComponent(c.facts, path),
      location: {
        path,
        links,
        index: c.index,
        ...(c.kubeconfig ? { kubeconfig: c.kubeconfig } : {}),
      },
      usedBy: [],
    });
  }
}

/** Inventory lists in a stable order (paths, then kubeconfig entry, then position). */
export function sortInventory(inv: Inventory): Inventory {
  inv.files.sort((a, b) => cmp(a.path, b.path));
  inv.certificates.sort(
    (a, b) =>
      cmp(a.location.path, b.location.path) ||
      cmp(a.location.kubeconfig?.name ?? '', b.location.kubeconfig?.name ?? '') ||
      a.location.index - b.location.index,
  );
  inv.errors.sort((a, b) => cmp(a.path, b.path) || cmp(a.detail ?? '', b.detail ?? ''));
  inv.missing.sort((a, b) => cmp(a.path, b.path) || cmp(a.namedBy, b.namedBy));
  return inv;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

async function choosePresets(
  files: NodeFiles,
  wanted: FileScanConfig['presets'],
): Promise<Preset[]> {
  if (wanted === 'auto') return files.detectPresets();
  if (wanted.includes('none')) return [];
  return wanted.map((n) => presetByName(n)).filter((p): p is Preset => p !== undefined);
}
