// Reads what names certificate files on the node, for usage/apply-usage.ts: host processes'
// flags (from the workload scan), kubelet's config file (`--config`, else the distributions'
// default paths), and the command lines of static pods (kubelet's staticPodPath, else the
// distributions' manifest directories), with container paths mapped back to node paths through
// the pod's hostPath volumes. Named files the scan has not read yet are read (a flag is evidence
// the file matters); named credentials that cannot be read become MissingCredentials.

import type { DiscoveredFile, NodeFiles } from '../ports.js';
import { STATIC_POD_DIRS, readStaticPodManifests } from './static-pods.js';
import type { ManifestWorkload } from '../../manifests/read-manifests.js';
import type {
  CertUse,
  Inventory,
  KubeletCertSettings,
  MissingCredential,
} from '../../model/index.js';
import {
  fileFlags,
  readKubeletConfigPaths,
  readKubeletRotation,
  splitWords,
  type FlagFile,
  type NamedFile,
} from '../usage/index.js';
import { parseFiles, type ParsedFiles } from './files.js';

/** Where distributions keep kubelet's config when no running kubelet says (`--config`). */
const KUBELET_CONFIGS = [
  '/var/lib/kubelet/config.yaml', // kubeadm
  '/etc/kubernetes/kubelet/config.json', // EKS (AL2023 nodeadm)
  '/etc/kubernetes/kubelet/kubelet-config.json', // EKS (AL2 bootstrap.sh)
  '/home/kubernetes/kubelet-config.yaml', // GKE
  '/etc/default/kubeletconfig.json', // AKS
  '/var/lib/kubelet/kubelet-config.yaml',
];

export interface GatheredUsage {
  named: NamedFile[];
  missing: MissingCredential[];
  /** named files read now because no preset or mount had found them */
  added: ParsedFiles;
  /** kubelet's certificate settings, when a config file was read */
  kubelet?: KubeletCertSettings;
}

/**
 * kubelet's --cert-dir default: where it keeps kubelet-client-current.pem and, with
 * serverTLSBootstrap, kubelet-server-current.pem. A --cert-dir flag elsewhere is not followed.
 */
const KUBELET_CERT_DIR = '/var/lib/kubelet/pki';
const KUBELET_PORT = 10250;

interface Naming {
  /** path as named, absolute on the node */
  path: string;
  use: CertUse;
  /** the file the naming was read from (or `pid N`) */
  namedIn: string;
  /** `--config` and such: a file, but not a credential */
  credential: boolean;
}

const dirOf = (p: string): string => p.slice(0, p.lastIndexOf('/')) || '/';
const absolute = (p: string, base: string): string => (p.startsWith('/') ? p : `${base}/${p}`);

export async function gatherUsage(
  files: NodeFiles,
  inv: Inventory,
  maxFileSize: number,
): Promise<GatheredUsage> {
  // In this order: running processes' flags, kubelet's config file, static pods' command lines.
  const flags = flagNamings(inv);
  const config = await kubeletConfigNamings(files, flags.kubeletConfig, maxFileSize);
  const namings = [
    ...flags.namings,
    ...config.namings,
    ...(await staticPodNamings(files, config.staticPodPath, maxFileSize)),
  ];
  const known = new Set(inv.files.map((f) => f.path));
  const { named, missing, toRead } = await resolveNamings(files, namings, known);
  const added = await parseFiles(files, toRead, known, maxFileSize);
  // Keep only what held certificates or keys: a flag may name a key file or a token.
  const held = new Set(
    added.files.filter((f) => f.certificates > 0 || f.privateKeys > 0).map((f) => f.path),
  );
  added.files = added.files.filter((f) => held.has(f.path));
  added.errors = added.errors.filter((e) => held.has(e.path));
  const kubelet = config.kubelet;
  return { named, missing, added, ...(kubelet ? { kubelet } : {}) };
}

/** Files running host processes name by flag, and the kubelet's `--config` when it has one. */
function flagNamings(inv: Inventory): { namings: Naming[]; kubeletConfig: string | undefined } {
  const namings: Naming[] = [];
  let kubeletConfig: string | undefined;
  for (const w of inv.workloads) {
    if (w.kind !== 'process' || w.state !== 'running') continue;
    for (const f of w.fileFlags ?? []) {
      if (!f.path.startsWith('/')) continue; // relative to the process's working directory
      if (w.name === 'kubelet' && f.flag === '--config') kubeletConfig ??= f.path;
      namings.push({
        path: f.path,
        use: { by: w.name, via: 'flag', detail: `pid ${w.pid ?? '?'} ${f.flag}` },
        namedIn: `pid ${w.pid ?? '?'}`,
        credential: f.flag !== '--config',
      });
    }
  }
  return { namings, kubeletConfig };
}

/**
 * The first kubelet config file that reads (`--config`, else the distributions' defaults): the
 * files it names, its staticPodPath, and kubelet's certificate settings.
 */
async function kubeletConfigNamings(
  files: NodeFiles,
  kubeletConfig: string | undefined,
  maxFileSize: number,
): Promise<{ namings: Naming[]; staticPodPath?: string; kubelet?: KubeletCertSettings }> {
  for (const path of kubeletConfig ? [kubeletConfig] : KUBELET_CONFIGS) {
    const r = await files.resolveAndRead(path, maxFileSize);
    if (!r.ok) continue;
    const text = r.bytes.toString('utf8');
    const kubelet = await kubeletSettings(files, path, text);
    const cfg = readKubeletConfigPaths(text);
    const base = dirOf(path);
    const namings: Naming[] = [];
    for (const [field, value] of [
      ['tlsCertFile', cfg.tlsCertFile],
      ['authentication.x509.clientCAFile', cfg.clientCAFile],
    ] as const) {
      if (value)
        namings.push({
          path: absolute(value, base),
          use: { by: 'kubelet', via: 'kubelet-config', detail: `${path} ${field}` },
          namedIn: path,
          credential: true,
        });
    }
    return {
      namings,
      kubelet,
      ...(cfg.staticPodPath ? { staticPodPath: absolute(cfg.staticPodPath, base) } : {}),
    };
  }
  return { namings: [] };
}

/**
 * Every named path resolved inside the root: the files with their uses, the credentials that
 * cannot be resolved, and the credentials the scan has not read yet (to read now, once each).
 */
async function resolveNamings(
  files: NodeFiles,
  namings: readonly Naming[],
  known: ReadonlySet<string>,
): Promise<{ named: NamedFile[]; missing: MissingCredential[]; toRead: DiscoveredFile[] }> {
  const named: NamedFile[] = [];
  const missing: MissingCredential[] = [];
  const toRead = new Map<string, DiscoveredFile>();
  for (const n of namings) {
    const r = await files.resolve(n.path);
    if (!r.ok) {
      if (n.credential)
        missing.push({
          path: n.path,
          reason: r.reason,
          message: r.message,
          namedBy: `${n.use.by} (${n.use.detail})`,
          namedIn: n.namedIn,
        });
      continue;
    }
    if (r.kind !== 'file') continue;
    named.push({ path: r.path, use: n.use });
    if (n.credential && !known.has(r.path) && !toRead.has(r.path))
      toRead.set(r.path, {
        path: r.path,
        links: r.path === n.path ? [] : [n.path],
        expectCertificates: false,
      });
  }
  return { named, missing, toRead: [...toRead.values()] };
}

/** The rotation settings of a kubelet config file, and whether the serving link it implies resolves. */
async function kubeletSettings(
  files: NodeFiles,
  config: string,
  text: string,
): Promise<KubeletCertSettings> {
  const f = readKubeletRotation(text);
  const out: KubeletCertSettings = {
    config,
    serverTLSBootstrap: f.serverTLSBootstrap,
    ...(f.rotateCertificates !== undefined ? { rotateCertificates: f.rotateCertificates } : {}),
    port: f.port ?? KUBELET_PORT,
  };
  if (!f.serverTLSBootstrap) return out;
  const path = `${KUBELET_CERT_DIR}/kubelet-server-current.pem`;
  const r = await files.resolve(path);
  const problem = !r.ok
    ? { reason: r.reason, message: r.message }
    : r.kind !== 'file'
      ? { reason: 'not_regular_file' as const, message: `${path}: not a regular file` }
      : undefined;
  return { ...out, servingCurrent: { path, ...(problem ? { problem } : {}) } };
}

async function staticPodNamings(
  files: NodeFiles,
  configured: string | undefined,
  maxFileSize: number,
): Promise<Naming[]> {
  const found = await readStaticPodManifests(
    files,
    configured ? [configured] : STATIC_POD_DIRS,
    maxFileSize,
  );
  if (found.length === 0) return [];
  // The YAML reader loads only on nodes that have static pods.
  const { readManifests } = await import('../../manifests/read-manifests.js');
  const out: Naming[] = [];
  for (const f of found) {
    for (const w of readManifests(f.text).workloads)
      for (const c of w.containers) {
        const words = c.args.flatMap((a) => (/\s/.test(a) ? splitWords(a) : [a]));
        for (const flag of fileFlags(words)) {
          if (flag.flag === '--config') continue;
          const node = nodePathOf(w, c.name, flag);
          if (!node) continue;
          out.push({
            path: node,
            use: { by: c.name, via: 'flag', detail: `${f.path} ${flag.flag}` },
            namedIn: f.path,
            credential: true,
          });
        }
      }
  }
  return out;
}

/**
 * The node path behind a path a static pod's container names: through the hostPath volume whose
 * mountPath is its longest prefix. Undefined when no hostPath covers it (the file is in the
 * image, or in a volume kubelet manages).
 */
function nodePathOf(w: ManifestWorkload, container: string, flag: FlagFile): string | undefined {
  const c = w.containers.find((x) => x.name === container);
  if (!c || !flag.path.startsWith('/')) return undefined;
  let best: { mountPath: string; hostPath: string } | undefined;
  for (const m of c.mounts) {
    const v = w.volumes.find((x) => x.name === m.name);
    if (!v?.hostPath || m.subPath) continue;
    const mp = m.mountPath.replace(/\/+$/, '') || '/';
    const covers = flag.path === mp || flag.path.startsWith(mp === '/' ? '/' : `${mp}/`);
    if (covers && (!best || mp.length > best.mountPath.length))
      best = { mountPath: mp, hostPath: v.hostPath.path.replace(/\/+$/, '') || '/' };
  }
  if (!best) return undefined;
  const rest = flag.path.slice(best.mountPath.length);
  return best.hostPath === '/' ? rest || '/' : best.hostPath + rest;
}
