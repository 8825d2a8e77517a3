// The rotation lock as a coordination.k8s.io/v1 Lease, decided purely: given the Lease as read
// (or none), who we are and `now`, what to do. Taken over only after it expired — renewTime +
// leaseDurationSeconds in the past — so a holder that vanished (node deleted, process killed)
// blocks nobody for longer than one lease duration, and a live holder is never overrun
// (kured's DaemonSet-annotation lock stays held forever in that case: kured #137, #822, #847).
// Like client-go's leaderelection, writes carry the resourceVersion read, so two runs racing
// for an expired Lease cannot both win: the server answers the loser 409.

export interface LeaseView {
  /** '' when released */
  holder: string;
  durationSeconds: number;
  renewTime: Date | null;
  acquireTime: Date | null;
  transitions: number;
  resourceVersion: string;
}

export type LeaseDecision =
  | { kind: 'create' }
  | { kind: 'renew' }
  | { kind: 'take-over'; previous: string }
  | { kind: 'wait'; holder: string; until: Date };

export function leaseExpiry(l: LeaseView): Date | null {
  if (l.renewTime === null) return null;
  return new Date(l.renewTime.getTime() + l.durationSeconds * 1000);
}

export function decideLease(current: LeaseView | null, me: string, now: Date): LeaseDecision {
  if (current === null) return { kind: 'create' };
  if (current.holder === me) return { kind: 'renew' };
  if (current.holder === '') return { kind: 'take-over', previous: '' };
  const until = leaseExpiry(current);
  // A Lease without renewTime was never renewed: treat it as expired, as client-go does with a
  // zero time.
  if (until === null || until.getTime() <= now.getTime())
    return { kind: 'take-over', previous: current.holder };
  return { kind: 'wait', holder: current.holder, until };
}

/** the spec we write for a decision (renewTime in RFC 3339 with microseconds: MicroTime) */
export function leaseSpecFor(
  d: LeaseDecision,
  current: LeaseView | null,
  me: string,
  durationSeconds: number,
  now: Date,
): Record<string, unknown> {
  const micro = now.toISOString().replace('Z', '000Z');
  const acquired = d.kind === 'renew' && current?.acquireTime ? current.acquireTime : now;
  return {
    holderIdentity: me,
    leaseDurationSeconds: durationSeconds,
    acquireTime: acquired.toISOString().replace('Z', '000Z'),
    renewTime: micro,
    leaseTransitions: (current?.transitions ?? 0) + (d.kind === 'take-over' ? 1 : 0),
  };
}
