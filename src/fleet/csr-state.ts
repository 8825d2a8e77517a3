// Where a CertificateSigningRequest stands, and whose node it is for. The states follow the CSR
// API's conditions (certificates.k8s.io/v1): Denied and Failed are final; Approved without
// status.certificate is waiting for the signer; with one it was issued; none of them: Pending.

import type { CsrFacts } from './types.js';

export type CsrState = 'pending' | 'approved' | 'issued' | 'denied' | 'failed';
export const CSR_STATES: readonly CsrState[] = [
  'pending',
  'approved',
  'issued',
  'denied',
  'failed',
];

const has = (c: CsrFacts, type: string): boolean =>
  c.conditions.some((x) => x.type === type && x.status === 'True');

export function csrState(c: CsrFacts): CsrState {
  if (has(c, 'Denied')) return 'denied';
  if (has(c, 'Failed')) return 'failed';
  if (has(c, 'Approved')) return c.issued ? 'issued' : 'approved';
  return 'pending';
}

const NODE_USER = /^system:node:(.+)$/;

/**
 * The node a kubelet CSR is for: its requestor's node identity (`system:node:<name>`, how a
 * kubelet renews), else the request's CN (a bootstrap-token requestor asks for its first client
 * certificate under that name). null when neither names a node.
 */
export function csrNode(c: CsrFacts): string | null {
  const byUser = NODE_USER.exec(c.username)?.[1];
  if (byUser !== undefined) return byUser;
  if (!c.request.ok) return null;
  const cns = c.request.facts.commonNames;
  return cns.length === 1 ? (NODE_USER.exec(cns[0] ?? '')?.[1] ?? null) : null;
}

/** whole seconds from creation to `now`; null when the timestamp is unreadable */
export function ageSeconds(createdAt: string, now: Date): number | null {
  const t = Date.parse(createdAt);
  return Number.isNaN(t) ? null : Math.max(0, Math.floor((now.getTime() - t) / 1000));
}
