// (previous ledger, scan inventory, now) → the next ledger. Pure. Records every leaf
// certificate in the node's files, in each running container's view of a certificate file, and
// the certificate each running load-once process holds: the one its file held when the process
// started (the file itself if it has not changed since, else the ledger's history of that path).
// Bounded: the newest `perLocation` entries per location, none older than `maxAgeMs`.

import type { CertSummary, FileComparison, FileView, Inventory, Workload } from '../model/index.js';
import {
  DEFAULT_BOUNDS,
  LEDGER_KIND,
  type Ledger,
  type LedgerBounds,
  type LedgerEntry,
  type LedgerLocation,
} from './types.js';

interface Observation {
  location: Omit<LedgerLocation, 'entries'>;
  cert: {
    serial: string;
    fingerprintSha256: string;
    subject: string;
    notAfter: Date;
    subjectKeyId?: string;
    authorityKeyId?: string;
  };
  basis?: string;
}

const keyIds = (c: {
  subjectKeyId?: string;
  authorityKeyId?: string;
}): { subjectKeyId?: string; authorityKeyId?: string } => ({
  ...(c.subjectKeyId !== undefined ? { subjectKeyId: c.subjectKeyId } : {}),
  ...(c.authorityKeyId !== undefined ? { authorityKeyId: c.authorityKeyId } : {}),
});

const leaves = (v: FileView | null): CertSummary[] =>
  v ? v.certificates.filter((c) => !c.isCA) : [];

/**
 * Plain code-unit order, not localeCompare: the same on every node whatever its locale, and no
 * ICU collator in the agent (loading one costs ~2.4 MB of RSS: BENCHMARKS.md, issue #25).
 */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function locationKey(l: Omit<LedgerLocation, 'entries'>): string {
  return `${l.kind}|${l.workload?.name ?? ''}|${l.path}`;
}

function stableName(w: Workload): string {
  return w.pod ? `${w.pod.namespace}/${w.pod.name}/${w.name}` : `${w.kind}/${w.name}`;
}

function workloadOf(
  w: Workload,
  mountKind?: 'file' | 'dir',
): NonNullable<LedgerLocation['workload']> {
  return {
    name: stableName(w),
    id: w.id,
    ...(w.startedAt ? { startedAt: w.startedAt.toISOString() } : {}),
    ...(w.pod ? { pod: `${w.pod.namespace}/${w.pod.name}` } : {}),
    ...(mountKind ? { mountKind } : {}),
  };
}

function fileObservations(inv: Inventory): Observation[] {
  const out: Observation[] = [];
  for (const c of inv.certificates) {
    if (c.isCA) continue;
    const location = { kind: 'file' as const, path: c.location.path, component: c.component };
    out.push({ location, cert: c });
  }
  return out;
}

function viewObservations(inv: Inventory): Observation[] {
  const out: Observation[] = [];
  for (const w of inv.workloads) {
    if (w.kind !== 'container' || w.state !== 'running') continue;
    for (const m of w.mounts)
      for (const f of m.files)
        for (const c of leaves(f.container)) {
          const location = {
            kind: 'container-view' as const,
            path: f.hostPath,
            component: w.component ?? w.name,
            workload: workloadOf(w, m.kind),
          };
          out.push({ location, cert: c });
        }
  }
  return out;
}

/** The certificate `path` held at `startedAt`, from the file now and the ledger's history. */
function heldAt(
  f: FileComparison,
  startedAt: Date,
  history: readonly LedgerLocation[],
): { cert: LedgerEntry | CertSummary; basis: string } | undefined {
  const host = f.host;
  const now = leaves(host)[0];
  if (host && now && host.ctime.getTime() <= startedAt.getTime())
    return { cert: now, basis: 'the file has not changed since the process started' };
  const current = new Set(leaves(host).map((c) => c.fingerprintSha256));
  const older = history
    .filter((l) => l.kind === 'file' && l.path === f.hostPath)
    .flatMap((l) => l.entries)
    .filter((e) => !current.has(e.fingerprintSha256));
  const s = startedAt.getTime();
  const before = older
    .filter((e) => Date.parse(e.firstSeen) <= s)
    .sort((a, b) => Date.parse(b.firstSeen) - Date.parse(a.firstSeen))[0];
  if (before)
    return {
      cert: before,
      basis: `in the file since ${before.firstSeen} (seen before the process started)`,
    };
  const during = older
    .filter((e) => Date.parse(e.lastSeen) >= s)
    .sort((a, b) => Date.parse(a.firstSeen) - Date.parse(b.firstSeen))[0];
  if (during)
    return {
      cert: during,
      basis: `the oldest certificate seen in the file while the process ran (${during.firstSeen} – ${during.lastSeen})`,
    };
  return undefined;
}

function processObservations(inv: Inventory, history: readonly LedgerLocation[]): Observation[] {
  const out: Observation[] = [];
  for (const w of inv.workloads) {
    if (w.state !== 'running' || !w.loadsCertsOnce || !w.startedAt) continue;
    const files = [...w.mounts.flatMap((m) => m.files), ...w.certFiles];
    for (const f of files) {
      const held = heldAt(f, w.startedAt, history);
      if (!held) continue;
      const location = {
        kind: 'process' as const,
        path: f.hostPath,
        component: w.component ?? w.name,
        workload: workloadOf(w),
      };
      const c = held.cert;
      out.push({
        location,
        cert: {
          serial: c.serial,
          fingerprintSha256: c.fingerprintSha256,
          subject: c.subject,
          notAfter: typeof c.notAfter === 'string' ? new Date(c.notAfter) : c.notAfter,
          ...keyIds(c),
        },
        basis: held.basis,
      });
    }
  }
  return out;
}

function merge(locations: Map<string, LedgerLocation>, obs: Observation, now: string): void {
  const key = locationKey(obs.location);
  let loc = locations.get(key);
  if (!loc) locations.set(key, (loc = { ...obs.location, entries: [] }));
  else {
    // the latest instance and component win; the history stays
    loc.component = obs.location.component;
    if (obs.location.workload) loc.workload = obs.location.workload;
  }
  const hit = loc.entries.find((e) => e.fingerprintSha256 === obs.cert.fingerprintSha256);
  if (hit) {
    hit.lastSeen = now;
    // entries recorded before key identifiers were: fill them in
    Object.assign(hit, keyIds(obs.cert));
    if (obs.basis !== undefined) hit.basis = obs.basis;
    return;
  }
  loc.entries.push({
    serial: obs.cert.serial,
    fingerprintSha256: obs.cert.fingerprintSha256,
    subject: obs.cert.subject,
    notAfter: obs.cert.notAfter.toISOString(),
    firstSeen: now,
    lastSeen: now,
    ...keyIds(obs.cert),
    ...(obs.basis !== undefined ? { basis: obs.basis } : {}),
  });
}

function bound(loc: LedgerLocation, now: Date, b: LedgerBounds): LedgerLocation {
  const oldest = now.getTime() - b.maxAgeMs;
  const kept = loc.entries
    .filter((e) => Date.parse(e.lastSeen) >= oldest)
    .sort((x, y) => Date.parse(y.lastSeen) - Date.parse(x.lastSeen))
    .slice(0, b.perLocation)
    .sort((x, y) => Date.parse(x.firstSeen) - Date.parse(y.firstSeen));
  return { ...loc, entries: kept };
}

export function updateLedger(
  previous: Ledger | null,
  inv: Inventory,
  node: string,
  now: Date,
  bounds: LedgerBounds = DEFAULT_BOUNDS,
): Ledger {
  const at = now.toISOString();
  const locations = new Map<string, LedgerLocation>();
  for (const l of previous?.locations ?? [])
    locations.set(locationKey(l), { ...l, entries: l.entries.map((e) => ({ ...e })) });
  for (const o of [...fileObservations(inv), ...viewObservations(inv)]) merge(locations, o, at);
  // processes are resolved against the history including this scan's files
  for (const o of processObservations(inv, [...locations.values()])) merge(locations, o, at);
  return {
    apiVersion: 'certdrift.io/v1alpha1',
    kind: LEDGER_KIND,
    node,
    updatedAt: at,
    locations: [...locations.values()]
      .map((l) => bound(l, now, bounds))
      .filter((l) => l.entries.length > 0)
      .sort((a, b) => byCodeUnits(locationKey(a), locationKey(b))),
  };
}
