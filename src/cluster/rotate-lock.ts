// Takes or renews the rotation Lease (<namespace>/certdrift-rotate; the namespace is certdrift's
// own, `certdrift` unless --namespace or the pod's namespace says otherwise): the pure decision
// (rotate/lease-decision.ts), then one write carrying the resourceVersion read, so two runs
// racing for it cannot both win (the loser gets 409 and reads who holds it). leaseEdgeOf gives
// the same Lease to the keeper that holds it over a whole run (rotate/lease-keeper.ts).

import { decideLease, leaseExpiry, leaseSpecFor } from '../rotate/lease-decision.js';
import type { LeaseEdge } from '../rotate/lease-keeper.js';
import type { RotateClient } from './rotate-client.js';

export const LEASE_NAMESPACE = 'certdrift';
export const LEASE_NAME = 'certdrift-rotate';
export const LEASE_SECONDS = 300;

export type LeaseOutcome = { held: true } | { held: false; holder: string; until: string };

export async function acquireLease(
  client: RotateClient,
  me: string,
  now: Date,
  durationSeconds = LEASE_SECONDS,
  namespace = LEASE_NAMESPACE,
): Promise<LeaseOutcome> {
  const current = await client.getLease(namespace, LEASE_NAME);
  const d = decideLease(current, me, now);
  if (d.kind === 'wait') return { held: false, holder: d.holder, until: d.until.toISOString() };
  const spec = leaseSpecFor(d, current, me, durationSeconds, now);
  const won = await client.writeLease(
    namespace,
    LEASE_NAME,
    spec,
    current === null ? null : current.resourceVersion,
  );
  if (won) return { held: true };
  const again = await client.getLease(namespace, LEASE_NAME);
  const until = again ? leaseExpiry(again) : null;
  return { held: false, holder: again?.holder ?? '?', until: until?.toISOString() ?? '?' };
}

/** the rotation Lease as the lease keeper (rotate/lease-keeper.ts) reads and writes it */
export function leaseEdgeOf(client: RotateClient, namespace = LEASE_NAMESPACE): LeaseEdge {
  return {
    read: () => client.getLease(namespace, LEASE_NAME),
    write: (spec, resourceVersion) =>
      client.writeLease(namespace, LEASE_NAME, spec, resourceVersion),
  };
}
