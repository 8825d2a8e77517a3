// The rotation Lease (<namespace>/certdrift-rotate; the namespace is certdrift's own, `certdrift`
// unless --namespace or the pod's namespace says otherwise) as the one lease path reads and writes it: the
// keeper (rotate/lease/lease-keeper.ts) decides purely (lease-decision.ts) and every write carries
// the resourceVersion read, so two runs racing for it cannot both win (the loser gets 409).

import type { LeaseEdge } from '../../rotate/lease/lease-keeper.js';
import type { RotateClient } from './rotate-client.js';

export const LEASE_NAMESPACE = 'certdrift';
export const LEASE_NAME = 'certdrift-rotate';
export const LEASE_SECONDS = 300;

/** the rotation Lease as the lease keeper (rotate/lease-keeper.ts) reads and writes it */
export function leaseEdgeOf(client: RotateClient, namespace = LEASE_NAMESPACE): LeaseEdge {
  return {
    read: () => client.getLease(namespace, LEASE_NAME),
    write: (spec, resourceVersion) =>
      client.writeLease(namespace, LEASE_NAME, spec, resourceVersion),
  };
}
