// Drift follows the mounts: every bind mount a running container has from the node — a file or a
// directory — is followed to the node's files, whether or not a preset knows the path. Files
// that hold certificates join the inventory (found via a mount), so a kubeconfig kept in a
// directory no preset names is still compared with what the container sees. Bounded: directory
// depth, entries per mount, files per scan and file size; trust stores and noisy system
// directories are not walked (mount-paths.ts).

import type { DiscoveredFile, NodeFiles } from '../ports.js';
import type { Certificate, Inventory } from '../../model/index.js';
import type { RuntimeContainer } from '../ports.js';
import { parseFiles, sortInventory } from './files.js';
import { shouldFollow } from './mount-paths.js';

export interface FollowLimits {
  maxFileSize: number;
  /** directory levels entered below a mounted directory */
  maxDepth: number;
  /** directory entries looked at per mounted directory */
  maxEntriesPerMount: number;
  /** files read through mounts per scan, all containers together */
  maxFiles: number;
}

export const FOLLOW_DEFAULTS: Omit<FollowLimits, 'maxFileSize'> = {
  maxDepth: 3,
  maxEntriesPerMount: 2000,
  maxFiles: 2000,
};

export interface Followed {
  inventory: Inventory;
  /** each mount host path → its canonical in-root path (symbolic links resolved) */
  canonical: Map<string, string>;
}

/** What the running containers' mounts lead to that the file scan did not already find. */
interface MountCandidates {
  canonical: Map<string, string>;
  candidates: Map<string, DiscoveredFile>;
  incomplete: string[];
}

async function collectCandidates(
  files: NodeFiles,
  containers: readonly RuntimeContainer[],
  known: ReadonlySet<string>,
  limits: FollowLimits,
): Promise<MountCandidates> {
  const out: MountCandidates = { canonical: new Map(), candidates: new Map(), incomplete: [] };
  const walked = new Set<string>();
  for (const c of containers) {
    if (c.state !== 'running') continue;
    for (const m of c.mounts) {
      if (out.canonical.has(m.hostPath)) continue;
      const r = await files.resolve(m.hostPath);
      if (!r.ok) continue; // a mount whose source is gone: the drift comparison says so
      out.canonical.set(m.hostPath, r.path);
      if (!shouldFollow(r.path) || known.has(r.path)) continue;
      if (r.kind === 'file') {
        if (!out.candidates.has(r.path))
          out.candidates.set(r.path, {
            path: r.path,
            links: r.path === m.hostPath ? [] : [m.hostPath],
            expectCertificates: false,
          });
      } else if (r.kind === 'dir' && !walked.has(r.path)) {
        walked.add(r.path);
        const w = await files.walkForCertificates(r.path, {
          maxDepth: limits.maxDepth,
          maxEntries: limits.maxEntriesPerMount,
          // the same policy below a mounted directory as for the mount itself
          // (e.g. /var/lib/kubelet mounted by a CSI driver: not its pods/ volumes)
          enter: shouldFollow,
        });
        if (w.truncated) out.incomplete.push(`${r.path} (mounted by ${c.pod.name}/${c.name})`);
        for (const f of w.files) if (!known.has(f.path)) out.candidates.set(f.path, f);
      }
    }
  }
  return out;
}

export async function followMounts(
  files: NodeFiles,
  containers: readonly RuntimeContainer[],
  inv: Inventory,
  limits: FollowLimits,
): Promise<Followed> {
  const known = new Set(inv.files.map((f) => f.path));
  const { canonical, candidates, incomplete } = await collectCandidates(
    files,
    containers,
    known,
    limits,
  );
  let todo = [...candidates.values()];
  if (todo.length > limits.maxFiles) {
    incomplete.push(`${todo.length - limits.maxFiles} mounted files over the per-scan limit`);
    todo = todo.slice(0, limits.maxFiles);
  }
  const part = await parseFiles(files, todo, known, limits.maxFileSize);
  // A mounted file that is neither a certificate nor a kubeconfig is not an error: containers
  // mount config files of every kind. Only files that held something, or failed as certificates
  // would, are kept.
  const held = new Set(
    part.files.filter((f) => f.certificates > 0 || f.privateKeys > 0).map((f) => f.path),
  );
  const inventory = sortInventory({
    ...inv,
    files: [...inv.files, ...part.files.filter((f) => held.has(f.path))],
    certificates: [...inv.certificates, ...part.certificates.map(viaMount)],
    errors: [
      ...inv.errors,
      ...part.errors.filter((e) => held.has(e.path) && e.reason !== 'unrecognized_format'),
    ],
    missing: [...inv.missing, ...part.missing],
    incomplete: [...inv.incomplete, ...incomplete],
  });
  return { inventory, canonical };
}

/**
 * The mount-found copy of a certificate, the same object for the same input (an unchanged file
 * comes back from the parse cache as the same certificate): the agent's worker tells "nothing
 * changed" by identity, on nodes whose containers mount certificates too.
 */
const mountCopies = new WeakMap<Certificate, Certificate>();
function viaMount(c: Certificate): Certificate {
  let out = mountCopies.get(c);
  if (!out) mountCopies.set(c, (out = { ...c, foundVia: 'mount' }));
  return out;
}
