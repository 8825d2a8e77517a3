// The rotation lock as a coordination.k8s.io/v1 Lease, decided purely: given the Lease as read
// (or none), who we are, and how long ago (on OUR monotonic clock) we first saw this exact
// record, what to do. As client-go's leaderelection (tryAcquireOrRenew): another holder's Lease
// counts as expired only when observedTime + leaseDurationSeconds has passed, where observedTime
// is the LOCAL time this candidate last saw the record change — never the server's renewTime
// against the local clock, which another machine's clock wrote (a holder whose clock runs an
// hour behind writes a renewTime "an hour ago" at every renewal) — and the local time is a
// monotonic reading, so our own wall clock jumping forward cannot pass the expiry early either.
// So a holder that vanished (node deleted, process killed) blocks nobody for longer than one
// lease duration after it was first seen, and a live holder — whose every renewal changes the
// record — is never overrun (kured's DaemonSet-annotation lock stays held forever in that case:
// kured #137, #822, #847).
// Like client-go's leaderelection, writes carry the resourceVersion read, so two runs racing
// for an expired Lease cannot both win: the server answers the loser 409, and the loser reads
// the Lease again and decides again (lease-keeper.ts) — it never re-applies its write.

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
  /** `remainingMs`: until the record, unchanged, expires for us (monotonic) */
  | { kind: 'wait'; holder: string; remainingMs: number };

/** what makes two reads the same record (client-go compares the raw record) */
export function leaseRecordKey(l: LeaseView): string {
  return JSON.stringify([
    l.holder,
    l.durationSeconds,
    l.renewTime?.toISOString() ?? null,
    l.acquireTime?.toISOString() ?? null,
    l.transitions,
  ]);
}

/**
 * Whether the record LOOKS abandoned by its own renewTime against our clock. Never a reason to
 * take it (clocks differ); only a reason to keep watching it instead of giving up at once.
 */
export function looksAbandoned(l: LeaseView, now: Date): boolean {
  return l.renewTime === null || l.renewTime.getTime() + l.durationSeconds * 1000 <= now.getTime();
}

/**
 * `seenForMs`: how long (monotonic) this candidate has seen the current record unchanged
 * (0: first sight now).
 */
export function decideLease(current: LeaseView | null, me: string, seenForMs = 0): LeaseDecision {
  if (current === null) return { kind: 'create' };
  if (current.holder === me) return { kind: 'renew' };
  if (current.holder === '') return { kind: 'take-over', previous: '' };
  const remainingMs = current.durationSeconds * 1000 - Math.max(0, seenForMs);
  if (remainingMs <= 0) return { kind: 'take-over', previous: current.holder };
  return { kind: 'wait', holder: current.holder, remainingMs };
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
