// Who uses each certificate, from evidence on the node only: files that flags, kubelet's config
// or static pods name; files running containers mount; the targets of kubelet's `*-current.pem`
// links; and, through kubeconfigs, everything a used kubeconfig embeds or names. A certificate
// nothing uses whose name says it was replaced becomes `superseded`. Pure.

import type { CertUse, Certificate, Inventory } from '../../model/index.js';
import { supersededByName } from './superseded.js';

/** A file something names, already resolved to its canonical path inside the host root. */
export interface NamedFile {
  path: string;
  use: CertUse;
}

export interface UsageFacts {
  /** files named by host processes' flags, static pod flags and kubelet's config */
  named: readonly NamedFile[];
}

const key = (u: CertUse): string => `${u.by}|${u.via}|${u.detail}`;

function addUse(map: Map<string, CertUse[]>, path: string, use: CertUse): void {
  const list = map.get(path);
  if (!list) map.set(path, [use]);
  else if (!list.some((u) => key(u) === key(use))) list.push(use);
}

/**
 * The certificates applyUsage returned for an input certificate object, by its uses: a rescan
 * that hands in the same objects with the same uses gets the same objects back, so everything
 * after (renders, the ledger) can tell "unchanged" by identity (the agent's worker).
 */
export type UsageMemo = WeakMap<Certificate, { uses: string; out: Certificate }>;

/** Returns a new inventory whose certificates carry `usedBy` and, where it applies, `superseded`. */
export function applyUsage(inv: Inventory, facts: UsageFacts, memo?: UsageMemo): Inventory {
  const uses = new Map<string, CertUse[]>();
  for (const n of facts.named) addUse(uses, n.path, n.use);

  for (const w of inv.workloads) {
    if (w.state !== 'running') continue;
    const by =
      w.kind === 'container' && w.pod ? `${w.pod.namespace}/${w.pod.name}/${w.name}` : w.name;
    for (const m of w.mounts)
      for (const f of m.files)
        addUse(uses, f.hostPath, { by, via: 'mount', detail: f.containerPath });
  }

  for (const c of inv.certificates)
    for (const link of c.location.links)
      if (link.endsWith('-current.pem'))
        addUse(uses, c.location.path, { by: 'kubelet', via: 'current-link', detail: link });

  // A kubeconfig passes its users on to the files it names; one nothing is known to use still
  // names them (the file is referenced by a live config), unless it is itself a backup.
  for (const c of inv.certificates) {
    for (const ref of c.location.referencedBy ?? []) {
      const users = uses.get(ref.path);
      const detail = `${ref.path} (${ref.entry} ${ref.name} ${ref.field})`;
      if (users && users.length > 0) {
        for (const u of users)
          addUse(uses, c.location.path, { by: u.by, via: 'kubeconfig', detail });
      } else if (!supersededByName(ref.path, [])) {
        addUse(uses, c.location.path, { by: `kubeconfig ${ref.path}`, via: 'kubeconfig', detail });
      }
    }
  }

  const certificates = inv.certificates.map((c): Certificate => {
    const list = uses.get(c.location.path);
    const usesKey = memo && list ? list.map(key).join('\n') : '';
    const kept = memo?.get(c);
    if (kept && kept.uses === usesKey) return kept.out;
    const usedBy = list ? [...list] : [];
    // Nothing to add (no users, no superseded name, none recorded before): the certificate as it
    // came — no copy kept for each of thousands of unused certificates.
    if (
      usedBy.length === 0 &&
      c.usedBy.length === 0 &&
      c.superseded === undefined &&
      supersededByName(c.location.path, c.location.links) === undefined
    )
      return c;
    const out: Certificate = { ...c, usedBy };
    delete out.superseded;
    if (usedBy.length === 0) {
      const why = supersededByName(c.location.path, c.location.links);
      if (why) out.superseded = why;
    }
    memo?.set(c, { uses: usesKey, out });
    return out;
  });
  return { ...inv, certificates };
}
