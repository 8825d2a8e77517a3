// A ledger file's JSON → a Ledger, or why not. Never throws: the file is ours, but a disk, an
// editor or an older version may have left anything in it. Malformed locations and entries are
// dropped one by one; the rest is kept.

import { LEDGER_KIND, type Ledger, type LedgerEntry, type LedgerLocation } from './types.js';

type J = Record<string, unknown>;
const obj = (v: unknown): J | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as J) : undefined;
const s = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const isTime = (v: unknown): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v));

const isKeyId = (v: unknown): v is string =>
  typeof v === 'string' && /^(?:[0-9A-F]{2}(?::[0-9A-F]{2})*)?$/.test(v);

function entryOf(v: unknown): LedgerEntry | undefined {
  const e = obj(v);
  if (!e || !s(e.serial) || !isTime(e.firstSeen) || !isTime(e.lastSeen) || !isTime(e.notAfter))
    return undefined;
  return {
    serial: s(e.serial) ?? '',
    fingerprintSha256: s(e.fingerprintSha256) ?? '',
    subject: s(e.subject) ?? '',
    notAfter: e.notAfter,
    firstSeen: e.firstSeen,
    lastSeen: e.lastSeen,
    ...(isKeyId(e.subjectKeyId) ? { subjectKeyId: e.subjectKeyId } : {}),
    ...(isKeyId(e.authorityKeyId) ? { authorityKeyId: e.authorityKeyId } : {}),
    ...(s(e.basis) !== undefined ? { basis: s(e.basis) ?? '' } : {}),
  };
}

export function locationOf(v: unknown): LedgerLocation | undefined {
  const l = obj(v);
  const kind = l?.kind;
  if (!l || (kind !== 'file' && kind !== 'container-view' && kind !== 'process')) return undefined;
  const path = s(l.path);
  if (path === undefined) return undefined;
  const w = obj(l.workload);
  const entries = (Array.isArray(l.entries) ? l.entries : [])
    .map(entryOf)
    .filter((e): e is LedgerEntry => e !== undefined);
  const mountKind = w?.mountKind === 'file' || w?.mountKind === 'dir' ? w.mountKind : undefined;
  return {
    kind,
    path,
    component: s(l.component) ?? 'other',
    ...(w && s(w.name) !== undefined
      ? {
          workload: {
            name: s(w.name) ?? '',
            id: s(w.id) ?? '',
            ...(isTime(w.startedAt) ? { startedAt: w.startedAt } : {}),
            ...(s(w.pod) !== undefined ? { pod: s(w.pod) ?? '' } : {}),
            ...(mountKind ? { mountKind } : {}),
          },
        }
      : {}),
    entries,
  };
}

export function parseLedger(doc: unknown): { ledger: Ledger } | { problem: string } {
  const d = obj(doc);
  if (d?.kind !== LEDGER_KIND) return { problem: `not a certdrift ledger (kind ${LEDGER_KIND})` };
  if (!isTime(d.updatedAt)) return { problem: 'ledger has no valid updatedAt' };
  return {
    ledger: {
      apiVersion: 'certdrift.io/v1alpha1',
      kind: LEDGER_KIND,
      node: s(d.node) ?? '',
      updatedAt: d.updatedAt,
      locations: (Array.isArray(d.locations) ? d.locations : [])
        .map(locationOf)
        .filter((l): l is LedgerLocation => l !== undefined),
    },
  };
}
