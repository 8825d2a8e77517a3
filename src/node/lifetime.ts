// The node's certificate deadline: the earliest not-after of the node's own leaf certificates
// (kubelet, kube-proxy and, on control-plane nodes, the components' certificates; CAs and
// admin credentials excluded). On kops, node certificates are issued for 455–485 days
// (validHours = 455*24 + hash % (30*24)) with NotBefore = issue − 48 h and are never renewed in
// place, so the deadline is the node's end of life and the issue time tells the node's age.

import { DAY_MS, type Certificate, type Component, type Thresholds } from '../model/index.js';
import { warningFrom } from '../model/thresholds.js';

export const KOPS_BACKDATE_MS = 48 * 3_600_000;
export const KOPS_MIN_DAYS = 455;
export const KOPS_MAX_DAYS = 485;

export interface NodeLifetime {
  deadline: Date;
  /** the certificate that sets the deadline */
  by: { component: Component; path: string; commonName: string };
  /** whether the deadline certificate carries the kops 455–485-day validity signature */
  kopsRule: boolean;
  /** kops: when the certificate (and so, on a worker, the node) was issued */
  issuedAt?: Date;
  /** kops: days since issue */
  ageDays?: number;
  /** the deadline certificate's notBefore: with the deadline, its lifetime (for --warn-ratio) */
  notBefore: Date;
  /**
   * when the deadline certificate reaches `warning` — deadline minus the warning days, or earlier
   * when --warn-ratio says so (model/thresholds.ts warningFrom): the date by which to replace (or renew)
   */
  replaceBy: Date;
  daysLeft: number;
}

const NOT_NODE: ReadonlySet<Component> = new Set(['ca', 'admin', 'other']);

export function isKopsValidity(c: Certificate): boolean {
  const issued = c.notBefore.getTime() + KOPS_BACKDATE_MS;
  const validDays = (c.notAfter.getTime() - issued) / DAY_MS;
  return validDays >= KOPS_MIN_DAYS - 0.5 && validDays <= KOPS_MAX_DAYS + 0.5;
}

export function nodeLifetime(
  certs: readonly Certificate[],
  now: Date,
  t: Pick<Thresholds, 'warnMs' | 'warnRatio'>,
): NodeLifetime | null {
  let first: Certificate | undefined;
  for (const c of certs) {
    if (NOT_NODE.has(c.component)) continue;
    if (!first || c.notAfter.getTime() < first.notAfter.getTime()) first = c;
  }
  if (!first) return null;
  const kopsRule = isKopsValidity(first);
  const out: NodeLifetime = {
    deadline: first.notAfter,
    by: { component: first.component, path: first.location.path, commonName: first.commonName },
    kopsRule,
    notBefore: first.notBefore,
    replaceBy: warningFrom(first.notBefore, first.notAfter, { criticalMs: 0, ...t }),
    daysLeft: Math.floor((first.notAfter.getTime() - now.getTime()) / DAY_MS),
  };
  if (kopsRule) {
    out.issuedAt = new Date(first.notBefore.getTime() + KOPS_BACKDATE_MS);
    out.ageDays = Math.floor((now.getTime() - out.issuedAt.getTime()) / DAY_MS);
  }
  return out;
}
