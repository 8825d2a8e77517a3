// Shared wording for drift findings: how a workload and a certificate are named in evidence.

import type { CertSummary, FileView, Workload } from '../../model/index.js';

export function workloadName(w: Workload): string {
  const pod = w.pod ? `${w.pod.namespace}/${w.pod.name} ` : '';
  const id =
    w.kind === 'container'
      ? ` (${w.id.slice(0, 13)}, attempt ${w.attempt ?? 0})`
      : ` (pid ${w.pid ?? '?'})`;
  return `${pod}${w.kind} ${w.name}${id}`;
}

export function certText(c: CertSummary | undefined): string {
  if (!c) return 'no certificate';
  return `serial ${c.serial}, not after ${c.notAfter.toISOString()}`;
}

/** The certificate a file is about: its first non-CA certificate (kubeconfigs list the CA first). */
export function mainCert(v: FileView | null): CertSummary | undefined {
  if (!v) return undefined;
  return v.certificates.find((c) => !c.isCA) ?? v.certificates[0];
}
