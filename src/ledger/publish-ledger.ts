// The part of a node's ledger published in its NodeCertificateReport (status.ledger), bounded so
// the object stays far below etcd's 1.5 MiB request limit (etcd --max-request-bytes, default
// 1.5 MiB; kube-apiserver refuses bodies over 3 MiB) even on a node with 10,000 certificates:
// at most `maxLocations` locations and about `maxBytes` of JSON, the most useful first. Pure.
//
// What attribution needs most comes first: the serial a running process holds (only the ledger
// knows it), what running containers see, files whose certificate was ever replaced (the old
// serial someone may still present), then the current certificates of Kubernetes components'
// files, then everything else (a trust store's thousand leaves rarely authenticates to the API
// server). The ledger file on the node keeps everything; the report says how much it left out.

import { parseLedger } from './parse-ledger.js';
import { byCodeUnits } from './update-ledger.js';
import { LEDGER_KIND, type Ledger, type LedgerLocation } from './types.js';

export interface PublishLimits {
  /** locations published at most */
  maxLocations: number;
  /** approximate JSON size of the published ledger at most, in bytes */
  maxBytes: number;
}

/**
 * A 10,000-certificate node whose every certificate was replaced five times (a 21.5 MiB ledger
 * file) publishes 190 locations in a 255 KiB report status: a sixth of etcd's limit
 * (test/cluster/report-ledger.test.ts, BENCHMARKS.md).
 */
export const PUBLISH_LIMITS: PublishLimits = { maxLocations: 1000, maxBytes: 256 * 1024 };

export interface PublishedLedger {
  /** when the ledger was last updated (the agent's last complete scan) */
  updatedAt: string;
  /** locations in the node's ledger; `locations.length` of them are published */
  totalLocations: number;
  /** locations left out by the limits (the least useful for attribution) */
  omittedLocations: number;
  locations: LedgerLocation[];
}

/** 0 is published first. */
function priority(l: LedgerLocation): number {
  if (l.kind === 'process') return 0;
  if (l.kind === 'container-view') return 1;
  if (l.entries.length > 1) return 2;
  if (l.component !== 'other') return 3;
  return 4;
}

/** The CRD's maxLength for each string (deploy/base/crd.yaml): longer values are cut, never refused. */
export const MAX_LENGTH = { path: 4096, text: 1024, id: 256 } as const;

const cut = (s: string, n: number): string => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

function bounded(l: LedgerLocation): LedgerLocation {
  const w = l.workload;
  return {
    kind: l.kind,
    path: cut(l.path, MAX_LENGTH.path),
    component: cut(l.component, MAX_LENGTH.id),
    ...(w
      ? {
          workload: {
            name: cut(w.name, MAX_LENGTH.text),
            id: cut(w.id, MAX_LENGTH.id),
            ...(w.startedAt !== undefined ? { startedAt: w.startedAt } : {}),
            ...(w.pod !== undefined ? { pod: cut(w.pod, MAX_LENGTH.text) } : {}),
            ...(w.mountKind !== undefined ? { mountKind: w.mountKind } : {}),
          },
        }
      : {}),
    entries: l.entries.slice(-5).map((e) => ({
      ...e,
      serial: cut(e.serial, MAX_LENGTH.id),
      fingerprintSha256: cut(e.fingerprintSha256, MAX_LENGTH.id),
      subject: cut(e.subject, MAX_LENGTH.text),
      ...(e.subjectKeyId !== undefined ? { subjectKeyId: cut(e.subjectKeyId, MAX_LENGTH.id) } : {}),
      ...(e.authorityKeyId !== undefined
        ? { authorityKeyId: cut(e.authorityKeyId, MAX_LENGTH.id) }
        : {}),
      ...(e.basis !== undefined ? { basis: cut(e.basis, MAX_LENGTH.text) } : {}),
    })),
  };
}

/** UTF-8 length of a string (what the API server and etcd count). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

const latest = (l: LedgerLocation): number =>
  Math.max(0, ...l.entries.map((e) => Date.parse(e.lastSeen) || 0));

export function publishedLedger(
  ledger: Ledger,
  limits: PublishLimits = PUBLISH_LIMITS,
): PublishedLedger {
  const ordered = [...ledger.locations].sort(
    (a, b) => priority(a) - priority(b) || latest(b) - latest(a) || byCodeUnits(a.path, b.path),
  );
  const out: LedgerLocation[] = [];
  // the envelope and the array brackets
  let bytes = 200;
  for (const original of ordered) {
    if (out.length >= limits.maxLocations) break;
    const l = bounded(original);
    const size = utf8Length(JSON.stringify(l)) + 1;
    if (bytes + size > limits.maxBytes) break;
    bytes += size;
    out.push(l);
  }
  return {
    updatedAt: ledger.updatedAt,
    totalLocations: ledger.locations.length,
    omittedLocations: ledger.locations.length - out.length,
    locations: out,
  };
}

/** The published ledger as a Ledger again (for the knowledge it carries). */
export function ledgerOfPublished(node: string, p: PublishedLedger): Ledger {
  return {
    apiVersion: 'certdrift.io/v1alpha1',
    kind: 'CertificateLedger',
    node,
    updatedAt: p.updatedAt,
    locations: p.locations,
  };
}

/** A report's `status.ledger` as the API returned it → a PublishedLedger, or undefined. Never throws. */
export function parsePublishedLedger(v: unknown): PublishedLedger | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  const r = parseLedger({ kind: LEDGER_KIND, updatedAt: o.updatedAt, locations: o.locations });
  if (!('ledger' in r)) return undefined;
  const n = (x: unknown): number => (typeof x === 'number' && Number.isInteger(x) ? x : 0);
  return {
    updatedAt: r.ledger.updatedAt,
    totalLocations: n(o.totalLocations),
    omittedLocations: n(o.omittedLocations),
    locations: r.ledger.locations,
  };
}
