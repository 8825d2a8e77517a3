// The certificate ledger: per node, every client/serving certificate certdrift has seen at
// each file, in each running container's view and — resolved from that history — in each
// process that loads its certificates once. Plain JSON (dates as RFC 3339 strings) so it
// persists as is.

export const LEDGER_KIND = 'CertificateLedger';

export interface LedgerEntry {
  serial: string;
  fingerprintSha256: string;
  subject: string;
  notAfter: string;
  firstSeen: string;
  lastSeen: string;
  /** key identifiers (`AB:CD:…`), when the certificate has them: a serial is unique only per CA */
  subjectKeyId?: string;
  authorityKeyId?: string;
  /** process entries: how the held certificate was worked out */
  basis?: string;
}

export type LedgerLocationKind = 'file' | 'container-view' | 'process';

export interface LedgerLocation {
  kind: LedgerLocationKind;
  /** the node's path (for views and processes: the node file they read) */
  path: string;
  component: string;
  /** container views and processes: which workload (stable across restarts: pod/container or process name) */
  workload?: {
    name: string;
    /** the latest instance seen: container id or pid:N, and its start */
    id: string;
    startedAt?: string;
    pod?: string;
    /** container views: how the file is mounted */
    mountKind?: 'file' | 'dir';
  };
  /** oldest first */
  entries: LedgerEntry[];
}

export interface Ledger {
  apiVersion: 'certdrift.io/v1alpha1';
  kind: typeof LEDGER_KIND;
  node: string;
  /** the scan that last updated it; entries with this lastSeen are current */
  updatedAt: string;
  locations: LedgerLocation[];
}

export interface LedgerBounds {
  /** entries kept per location, newest */
  perLocation: number;
  /** entries not seen for longer are dropped, in milliseconds */
  maxAgeMs: number;
}

export const DEFAULT_BOUNDS: LedgerBounds = { perLocation: 5, maxAgeMs: 30 * 86_400_000 };
