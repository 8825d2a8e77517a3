// The file half of a node scan: presets + --path → discovery → read → parse → certificates,
// with kubeconfig file references followed inside the host root. Every problem becomes an
// ItemError (or, for a credential something names, a MissingCredential); nothing here throws for
// bad data.

import { classifyComponent, type FileParse } from '../../certs/index.js';
import type {
  DirectoryProgress,
  DiscoveredFile,
  Discovery,
  NodeFiles,
  ReadParsed,
} from '../ports.js';
import type { Preset } from '../presets.js';
import { presetByName } from '../presets.js';
import { normalizeInRoot } from '../../model/glob.js';
import type {
  Certificate,
  Inventory,
  ItemError,
  KubeconfigRef,
  MissingCredential,
  ScannedFile,
} from '../../model/index.js';

export interface FileScanConfig {
  /** preset names, or 'auto' to detect from the host; `none` in the list disables presets */
  presets: 'auto' | readonly string[];
  paths: readonly string[];
  excludes: readonly string[];
  maxFileSize: number;
  maxEntries: number;
  /** discovery's progress, per directory (DiscoverOptions.onDirectory) */
  onDirectory?: DirectoryProgress;
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
    ...(config.onDirectory ? { onDirectory: config.onDirectory } : {}),
  });
  const part = await parseFiles(files, found.files, new Set(), config.maxFileSize);
  if (watched) {
    const w = found.watched ?? { listed: [], resolved: [] };
    watched({ listed: w.listed, resolved: [...w.resolved, ...(part.via ?? [])] });
  }
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
  /** symbolic links followed to kubeconfig references (for a change watch) */
  via?: string[];
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
  const refsToFollow: { from: DiscoveredFile; ref: Referenced }[] = [];
  // each file recorded as soon as it is parsed: its parse dies young (issue #25)
  const take = (item: ReadParsed): void => {
    const { file } = item;
    byPath.add(file.path);
    if (!item.ok) {
      out.errors.push(item.error);
      return;
    }
    record(out, file.path, file.links, item.parse);
    for (const r of item.parse.refs)
      refsToFollow.push({ from: file, ref: { ...r.ref, path: r.path } });
  };
  for (const item of await files.readAndParse(todo, maxFileSize, take)) take(item);

  const referencedBy = new Map<string, Referenced[]>();
  for (const { from, ref } of refsToFollow)
    await followReference(files, from, ref, { out, byPath, referencedBy }, maxFileSize);
  out.certificates = withReferences(out.certificates, referencedBy);
  return out;
}

/** What following references adds to: the parse so far, the paths read, who names each file. */
interface Following {
  out: ParsedFiles;
  byPath: Set<string>;
  referencedBy: Map<string, Referenced[]>;
}

/**
 * One kubeconfig file reference, resolved inside the host root (relative to the kubeconfig as
 * found): remembered as a use of a file already read, else read and parsed; a MissingCredential
 * when it cannot be.
 */
async function followReference(
  files: NodeFiles,
  from: DiscoveredFile,
  ref: Referenced,
  f: Following,
  maxFileSize: number,
): Promise<void> {
  const { out, byPath, referencedBy } = f;
  const kubeconfigPath = from.links[0] ?? from.path;
  const dir = kubeconfigPath.slice(0, kubeconfigPath.lastIndexOf('/')) || '/';
  const target = normalizeInRoot(ref.path.startsWith('/') ? ref.path : `${dir}/${ref.path}`);
  const use: Referenced = { entry: ref.entry, name: ref.name, field: ref.field, path: from.path };
  const missing = (reason: MissingCredential['reason'], message: string): void => {
    out.missing.push({
      path: target,
      reason,
      message,
      namedBy: `${from.path} (${ref.entry} ${ref.name} ${ref.field})`,
      namedIn: from.path,
    });
  };
  const r = await files.resolve(target);
  if (r.ok && r.via) (out.via ??= []).push(...r.via);
  if (!r.ok) {
    missing(r.reason, r.message);
    return;
  }
  const canonical = r.path;
  if (byPath.has(canonical)) {
    referencedBy.set(canonical, [...(referencedBy.get(canonical) ?? []), use]);
    return;
  }
  // read like every other file: through the parse cache the agent keeps
  const links = canonical === target ? [] : [target];
  const [item] = await files.readAndParse(
    [{ path: canonical, links, expectCertificates: true }],
    maxFileSize,
  );
  if (!item?.ok) {
    if (item) missing(item.error.reason, item.error.message);
    return;
  }
  referencedBy.set(canonical, [...(referencedBy.get(canonical) ?? []), use]);
  byPath.add(canonical);
  record(out, canonical, links, item.parse);
}

/**
 * The certificates with the kubeconfig entries that name their files. New objects, never a change
 * to recorded ones: those may be the same objects as at the last scan (recordMemo), which the
 * agent compares by identity.
 */
function withReferences(
  certificates: readonly Certificate[],
  referencedBy: ReadonlyMap<string, Referenced[]>,
): Certificate[] {
  return certificates.map((c) => {
    const uses = referencedBy.get(c.location.path);
    if (!uses) return c;
    const refKey = JSON.stringify(uses);
    const kept = referencedMemo.get(c);
    if (kept?.refKey === refKey) return kept.out;
    const withRefs = { ...c, location: { ...c.location, referencedBy: uses } };
    referencedMemo.set(c, { refKey, out: withRefs });
    return withRefs;
  });
}

/**
 * The certificates recorded for a parse (the same FileParse object comes back from the agent's
 * parse cache for an unchanged file): the same path and links give the very same objects, so a
 * rescan that changed nothing hands the same certificates on, and the agent's worker sees
 * "unchanged" by identity. Weak: a parse nobody holds any more takes its entry with it.
 */
const recordMemo = new WeakMap<FileParse, { at: string; certs: Certificate[] }>();
const referencedMemo = new WeakMap<Certificate, { refKey: string; out: Certificate }>();

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
  const at = `${path}\u0000${links.join('\u0000')}`;
  const kept = recordMemo.get(parse);
  if (kept?.at === at) {
    for (const c of kept.certs) out.certificates.push(c);
    return;
  }
  const certs = parse.certs.map((c): Certificate => ({
    ...c.facts,
    component: classifyComponent(c.facts, path),
    location: {
      path,
      links,
      index: c.index,
      ...(c.kubeconfig ? { kubeconfig: c.kubeconfig } : {}),
    },
    usedBy: [],
  }));
  recordMemo.set(parse, { at, certs });
  for (const c of certs) out.certificates.push(c);
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
