// The file half of a node scan: presets + --path → discovery → read → parse → certificates,
// with kubeconfig file references followed inside the host root. Every problem becomes an
// ItemError; nothing here throws for bad data.

import { classifyComponent, parseCertificateFile, type FileParse } from '../certs/index.js';
import type { DiscoveredFile, NodeFiles, Preset } from '../host/index.js';
import { presetByName } from '../host/presets.js';
import { normalizeInRoot } from '../host/glob.js';
import type { Certificate, Inventory, ItemError, KubeconfigRef, ScannedFile } from '../model.js';

export interface FileScanConfig {
  /** preset names, or 'auto' to detect from the host; `none` in the list disables presets */
  presets: 'auto' | readonly string[];
  paths: readonly string[];
  excludes: readonly string[];
  maxFileSize: number;
  maxEntries: number;
}

type Referenced = KubeconfigRef & { path: string };

export async function scanFiles(files: NodeFiles, config: FileScanConfig): Promise<Inventory> {
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
  const errors: ItemError[] = [...found.errors];
  const scanned: ScannedFile[] = [];
  const certificates: Certificate[] = [];
  const byPath = new Set<string>();

  const parsed = await files.readAndParse(found.files, config.maxFileSize);

  const refsToFollow: { from: DiscoveredFile; ref: Referenced }[] = [];
  for (const item of parsed) {
    const { file } = item;
    byPath.add(file.path);
    if (!item.ok) {
      errors.push(item.error);
      continue;
    }
    record(file.path, file.links, item.parse);
    for (const r of item.parse.refs)
      refsToFollow.push({ from: file, ref: { ...r.ref, path: r.path } });
  }

  // Certificates a kubeconfig refers to by file name: read them (inside the root) unless
  // discovery already did, and remember which kubeconfig entry uses them.
  const referencedBy = new Map<string, Referenced[]>();
  for (const { from, ref } of refsToFollow) {
    const kubeconfigPath = from.links[0] ?? from.path;
    const dir = kubeconfigPath.slice(0, kubeconfigPath.lastIndexOf('/')) || '/';
    const target = normalizeInRoot(ref.path.startsWith('/') ? ref.path : `${dir}/${ref.path}`);
    const res = await files.resolveAndRead(target, config.maxFileSize);
    const use: Referenced = { entry: ref.entry, name: ref.name, field: ref.field, path: from.path };
    if (!res.ok) {
      errors.push({
        path: from.path,
        reason: 'kubeconfig_ref_missing',
        message: `${ref.entry} ${ref.name} ${ref.field} refers to ${target}: ${res.error.message}`,
        detail: `${ref.entry}:${ref.name}`,
      });
      continue;
    }
    const canonical = res.path ?? target;
    referencedBy.set(canonical, [...(referencedBy.get(canonical) ?? []), use]);
    if (byPath.has(canonical)) continue;
    const parse = parseCertificateFile(res.bytes, { expectCertificates: true });
    const links = canonical === target ? [] : [target];
    byPath.add(canonical);
    record(canonical, links, parse);
  }
  for (const c of certificates) {
    const uses = referencedBy.get(c.location.path);
    if (uses) c.location.referencedBy = uses;
  }

  function record(path: string, links: string[], parse: FileParse): void {
    scanned.push({
      path,
      links,
      format: parse.format,
      certificates: parse.certs.length,
      privateKeys: parse.privateKeys,
    });
    for (const p of parse.problems)
      errors.push({
        path,
        reason: p.reason,
        message: p.message,
        ...(p.detail ? { detail: p.detail } : {}),
      });
    for (const c of parse.certs) {
      certificates.push({
        ...c.facts,
        component: classifyComponent(c.facts, path),
        location: {
          path,
          links,
          index: c.index,
          ...(c.kubeconfig ? { kubeconfig: c.kubeconfig } : {}),
        },
      });
    }
  }

  scanned.sort((a, b) => cmp(a.path, b.path));
  certificates.sort(
    (a, b) =>
      cmp(a.location.path, b.location.path) ||
      cmp(a.location.kubeconfig?.name ?? '', b.location.kubeconfig?.name ?? '') ||
      a.location.index - b.location.index,
  );
  errors.sort((a, b) => cmp(a.path, b.path) || cmp(a.detail ?? '', b.detail ?? ''));
  return {
    hostRoot: files.root,
    presets: presets.map((p) => p.name),
    files: scanned,
    certificates,
    errors,
    workloads: [],
    sources: [{ source: 'files', up: true }],
  };
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
