// Failing client certificates from the API server's log → who presents them. Pure: the
// failures and the knowledge come in, one row per failing certificate comes out. Serial numbers
// are unique only per issuing CA (RFC 5280 4.1.2.2): a known certificate with the logged serial
// but another authority (or subject) key identifier is a different certificate and is never
// blamed — it is named as such. Where the knowledge has no key identifiers (scans before they
// were recorded) the serial alone matches, and a serial known on several nodes is shown with
// every place, marked ambiguous, never silently picked.

import type { Cause, KnownCertificate, Residence } from './knowledge.js';
import type { CertFailure, FailureKind } from './types.js';

export interface Place {
  node: string;
  component: string;
  residence: Residence;
  location: string;
  source: string;
  seenAt?: Date;
}

export interface Attribution {
  /** certdrift's serial form (hex); absent when the API server does not log serials */
  serialHex?: string;
  serialDecimal?: string;
  skid: string;
  akid: string;
  kind: FailureKind;
  count: number;
  first?: Date;
  last?: Date;
  /** from the x509 message: NotAfter of an expired certificate, NotBefore of a future one */
  certNotAfter?: Date;
  certNotBefore?: Date;
  attributed: boolean;
  node?: string;
  component?: string;
  /** every place certdrift saw this certificate, the most likely holder first */
  places: Place[];
  cause?: Cause;
  /** unattributed: what would identify the client */
  identify?: string;
  /** how the places matched: serial and key identifiers, or the serial alone (knowledge without key ids) */
  match?: 'serial+key-ids' | 'serial';
  /** the places are on more than one node: the first is a guess */
  ambiguous?: boolean;
  /** certificates with the same serial from another CA (key identifiers differ): not this one */
  otherCa?: (Place & { authorityKeyId?: string; subjectKeyId?: string })[];
  /** where in the logs it was first seen, e.g. `apiserver.log:12` */
  firstSeenIn: string;
  message: string;
}

/**
 * A live holder (a container's view, a process) presents the certificate; files only hold it. A
 * stale container view comes before the process reading it: restarting the process in the same
 * mount namespace would read the same old inode again, so the view is the cause to fix.
 */
const RANK: Readonly<Record<Residence, number>> = {
  'container-view': 0,
  'process-memory': 1,
  'file-history': 2,
  file: 3,
};

function keyOf(f: CertFailure): string {
  return f.serialHex !== undefined
    ? `${f.serialHex}|${f.akid}|${f.kind}`
    : `?|${f.kind}|${f.message}`;
}

/** A place with a diagnosed cause first, then live holders before files, then the latest seen. */
function rank(a: KnownCertificate, b: KnownCertificate): number {
  if ((a.cause ? 0 : 1) !== (b.cause ? 0 : 1)) return a.cause ? -1 : 1;
  const r = RANK[a.residence] - RANK[b.residence];
  if (r !== 0) return r;
  return (b.seenAt?.getTime() ?? 0) - (a.seenAt?.getTime() ?? 0);
}

function dedupe(known: KnownCertificate[]): KnownCertificate[] {
  const seen = new Set<string>();
  return known.filter((k) => {
    const key = `${k.node}|${k.residence}|${k.location}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function derivedCause(row: Attribution, top: KnownCertificate): Cause | undefined {
  if (top.cause) return top.cause;
  if (row.kind === 'unknown-authority')
    return {
      code: 'untrusted-issuer',
      text: `The API server does not trust the CA that signed this certificate${row.akid ? ` (AKID ${row.akid})` : ''}: it was issued by another or a rotated CA.`,
      remedy:
        'Compare the certificate’s issuer with the API server’s --client-ca-file; re-issue the client certificate from the cluster CA, or add the issuing CA to the client CA bundle during a CA rotation.',
    };
  const failedAt = row.last?.getTime();
  if (
    top.residence === 'file' &&
    row.kind === 'expired' &&
    top.notAfter &&
    failedAt !== undefined &&
    top.notAfter.getTime() <= failedAt
  )
    return {
      code: 'expired-on-disk',
      text: `The certificate in ${top.location} has expired (not after ${top.notAfter.toISOString()}).`,
      remedy: 'Renew the certificate or replace the node, then restart the components that use it.',
    };
  return undefined;
}

/**
 * Whether a known certificate can be the logged one, by key identifiers: the log prints both
 * (empty when the certificate has none); knowledge without them (undefined) cannot say.
 */
export function keyIdVerdict(
  row: { skid: string; akid: string },
  k: { subjectKeyId?: string; authorityKeyId?: string },
): 'same' | 'differs' | 'unknown' {
  let compared = false;
  for (const [logged, known] of [
    [row.akid, k.authorityKeyId],
    [row.skid, k.subjectKeyId],
  ] as const) {
    if (known === undefined) continue;
    if (known.toUpperCase() !== logged.toUpperCase()) return 'differs';
    compared = true;
  }
  return compared ? 'same' : 'unknown';
}

function identifyText(row: Attribution): string {
  const window =
    row.first && row.last
      ? ` between ${row.first.toISOString()} and ${row.last.toISOString()}`
      : '';
  const audit = `In the API server's audit log, 401 responses with "Authentication failed, attempted: x509"${window} carry the client's sourceIPs and userAgent.`;
  if (row.serialHex === undefined)
    return `This API server does not log the failing certificate's serial (Kubernetes before 1.19). ${audit}`;
  const other = row.otherCa?.[0];
  if (other)
    return `Serial ${row.serialHex} is known on ${other.node} (${other.component}, ${other.location}) but that certificate has AKID ${other.authorityKeyId ?? '?'}${other.subjectKeyId !== undefined ? `, SKID ${other.subjectKeyId}` : ''} — the failing one was issued by another CA (AKID ${row.akid || 'empty'}), so it is not that certificate. Serials are unique only per CA. ${audit}`;
  return `No scan or ledger knows serial ${row.serialHex} (SN=${row.serialDecimal ?? '?'}). Run certdrift on every node — the agent DaemonSet publishes each node's ledger in its NodeCertificateReport (--kubernetes) and keeps it on the node (--ledger) — or collect \`certdrift scan -o json --node-name <node>\` from each node (--scan) — or: ${audit}`;
}

/**
 * How many failing certificates a run keeps: a log with more distinct serials than any cluster
 * has clients (a hostile or looping client) must not grow memory without bound. Past it, the
 * certificate seen least recently is dropped and counted (`evictedCertificates`): the ones still
 * failing stay, and under `--follow` a dropped one that fails again is printed again as new.
 */
export const MAX_CERTIFICATES_KEPT = 10_000;

/** Known certificates by serial, built once per knowledge list (matching is then one lookup). */
const indexes = new WeakMap<readonly KnownCertificate[], Map<string, KnownCertificate[]>>();

function knownBySerial(known: readonly KnownCertificate[]): Map<string, KnownCertificate[]> {
  let index = indexes.get(known);
  if (!index) {
    index = new Map();
    for (const k of known) {
      const same = index.get(k.serialHex);
      if (same) same.push(k);
      else index.set(k.serialHex, [k]);
    }
    indexes.set(known, index);
  }
  return index;
}

function candidates(row: Attribution, known: readonly KnownCertificate[]): KnownCertificate[] {
  return row.serialHex === undefined ? [] : (knownBySerial(known).get(row.serialHex) ?? []);
}

/** Aggregates failures as they arrive, at most `max` certificates; `rows()` attributes them. */
export class FailureTally {
  /** in order of last sighting, least recent first (a Map keeps insertion order) */
  private readonly byKey = new Map<string, Attribution>();
  /**
   * One iterator kept for the whole run: a Map iterator sees entries appended after it was made,
   * so its next entry is always the least recently seen one. A fresh `keys().next()` per eviction
   * would step over every deleted slot from the table's start (quadratic: 3 s per 200,000 lines).
   */
  private oldest: Iterator<string> | undefined;
  private evicted = 0;
  private failures = 0;

  constructor(private readonly max = MAX_CERTIFICATES_KEPT) {}

  /** Certificates dropped to stay within the cap. */
  get evictedCertificates(): number {
    return this.evicted;
  }

  /** Every failure added, including those of evicted certificates. */
  get totalFailures(): number {
    return this.failures;
  }

  /** Adds a failure; returns true when it is the first of its certificate (since any eviction). */
  add(f: CertFailure): boolean {
    this.failures++;
    const key = keyOf(f);
    const row = this.byKey.get(key);
    if (row) {
      row.count++;
      if (f.at && (!row.first || f.at < row.first)) row.first = f.at;
      if (f.at && (!row.last || f.at > row.last)) row.last = f.at;
      // seen now: move it to the most recent end
      this.byKey.delete(key);
      this.byKey.set(key, row);
      return false;
    }
    this.byKey.set(key, {
      ...(f.serialHex !== undefined ? { serialHex: f.serialHex } : {}),
      ...(f.serialDecimal !== undefined ? { serialDecimal: f.serialDecimal } : {}),
      skid: f.skid,
      akid: f.akid,
      kind: f.kind,
      count: 1,
      ...(f.at ? { first: f.at, last: f.at } : {}),
      ...(f.certNotAfter ? { certNotAfter: f.certNotAfter } : {}),
      ...(f.certNotBefore ? { certNotBefore: f.certNotBefore } : {}),
      attributed: false,
      places: [],
      firstSeenIn: `${f.source}:${f.line}`,
      message: f.message,
    });
    if (this.byKey.size > this.max) {
      this.oldest ??= this.byKey.keys();
      const oldest = this.oldest.next();
      if (oldest.done !== true) {
        this.byKey.delete(oldest.value);
        this.evicted++;
      }
    }
    return true;
  }

  get(f: CertFailure, known: readonly KnownCertificate[]): Attribution | undefined {
    const row = this.byKey.get(keyOf(f));
    return row ? attributeRow(row, candidates(row, known)) : undefined;
  }

  rows(known: readonly KnownCertificate[]): Attribution[] {
    return [...this.byKey.values()]
      .map((r) => attributeRow(r, candidates(r, known)))
      .sort(
        (a, b) =>
          Number(a.attributed) - Number(b.attributed) ||
          (b.last?.getTime() ?? 0) - (a.last?.getTime() ?? 0) ||
          b.count - a.count,
      );
  }
}

export function attributeRow(row: Attribution, known: readonly KnownCertificate[]): Attribution {
  const bySerial =
    row.serialHex === undefined ? [] : known.filter((k) => k.serialHex === row.serialHex);
  const verdicts = bySerial.map((k) => ({ k, v: keyIdVerdict(row, k) }));
  const matches = dedupe(
    verdicts
      .filter((x) => x.v !== 'differs')
      .map((x) => x.k)
      .sort(rank),
  );
  const others = dedupe(verdicts.filter((x) => x.v === 'differs').map((x) => x.k));
  const top = matches[0];
  const {
    identify: _i,
    cause: _c,
    node: _n,
    component: _m,
    match: _h,
    ambiguous: _a,
    otherCa: _o,
    ...base
  } = row;
  const otherCa = others.map((k) => ({
    ...placeOf(k),
    ...(k.authorityKeyId !== undefined ? { authorityKeyId: k.authorityKeyId } : {}),
    ...(k.subjectKeyId !== undefined ? { subjectKeyId: k.subjectKeyId } : {}),
  }));
  const withOthers = otherCa.length > 0 ? { otherCa } : {};
  if (!top) {
    const unattributed = { ...base, attributed: false, places: [], ...withOthers };
    return { ...unattributed, identify: identifyText(unattributed) };
  }
  const cause = derivedCause(row, top);
  const confirmed = verdicts.some((x) => x.v === 'same');
  return {
    ...base,
    attributed: true,
    node: top.node,
    component: top.component,
    places: matches.map(placeOf),
    match: confirmed ? 'serial+key-ids' : 'serial',
    ...(new Set(matches.map((k) => k.node)).size > 1 ? { ambiguous: true } : {}),
    ...withOthers,
    ...(cause ? { cause } : {}),
  };
}

function placeOf(k: KnownCertificate): Place {
  return {
    node: k.node,
    component: k.component,
    residence: k.residence,
    location: k.location,
    source: k.source,
    ...(k.seenAt ? { seenAt: k.seenAt } : {}),
  };
}

/** All failures at once → one row per failing certificate. */
export function attributeFailures(
  failures: readonly CertFailure[],
  known: readonly KnownCertificate[],
): Attribution[] {
  const tally = new FailureTally();
  for (const f of failures) tally.add(f);
  return tally.rows(known);
}
