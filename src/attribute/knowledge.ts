// What certdrift knows about certificates, from any source (scan documents, ledgers, the
// cluster's NodeCertificateReports with their published ledgers), in one shape the matcher reads. A source is an edge behind
// KnowledgeSource; turning its documents into KnownCertificate is pure (this folder).

/** Where a certificate lives on its node. */
export type Residence =
  /** in a file on the node, now */
  | 'file'
  /** in a running container's view of a file, different from the node's file */
  | 'container-view'
  /** in a running process's memory: loaded once at start, file replaced since */
  | 'process-memory'
  /** was in a file on the node; replaced since (from the ledger) */
  | 'file-history';

export type CauseCode =
  | 'stale-single-file-mount'
  | 'stale-view'
  | 'not-reloaded'
  | 'expired-on-disk'
  | 'superseded'
  | 'untrusted-issuer';

export interface Cause {
  code: CauseCode;
  text: string;
  remedy: string;
}

export interface KnownCertificate {
  node: string;
  /** upper-case hex without leading zeros, as scans and ledgers print serials */
  serialHex: string;
  fingerprintSha256: string;
  subject: string;
  notAfter?: Date;
  /** key identifiers as kube-apiserver logs them (`AB:CD:…`); undefined: not recorded (older scans) */
  subjectKeyId?: string;
  authorityKeyId?: string;
  component: string;
  residence: Residence;
  /** where, for people: a path, or a workload and the path it sees */
  location: string;
  /** the workload id (container id, pid:N) that holds it, for container views and processes */
  workload?: string;
  /** the cause certdrift diagnosed where it saw this certificate */
  cause?: Cause;
  /** when this was last true (scan time, ledger last-seen) */
  seenAt?: Date;
  /** the document it came from (a file name, `cluster`) */
  source: string;
}

export interface Knowledge {
  known: KnownCertificate[];
  /** documents that could not be used, said plainly (the rest still counts) */
  problems: string[];
}

/** A place certdrift's knowledge comes from: files (host/knowledge-files.ts) or the cluster's reports (cluster/report-knowledge.ts). */
export interface KnowledgeSource {
  /** e.g. `scan node-1.json`, `ledger /var/lib/certdrift/ledger.json`, `cluster` */
  readonly name: string;
  load(): Promise<Knowledge>;
}

export function mergeKnowledge(parts: readonly Knowledge[]): Knowledge {
  return {
    known: parts.flatMap((p) => p.known),
    problems: parts.flatMap((p) => p.problems),
  };
}

/** `subjectKeyId` / `authorityKeyId` of a scan or ledger JSON object, when recorded. */
export function keyIdsOf(o: { subjectKeyId?: unknown; authorityKeyId?: unknown } | undefined): {
  subjectKeyId?: string;
  authorityKeyId?: string;
} {
  const ok = (v: unknown): v is string => typeof v === 'string' && /^[0-9A-Fa-f:]*$/.test(v);
  return {
    ...(ok(o?.subjectKeyId) ? { subjectKeyId: o.subjectKeyId.toUpperCase() } : {}),
    ...(ok(o?.authorityKeyId) ? { authorityKeyId: o.authorityKeyId.toUpperCase() } : {}),
  };
}

/** Normalises a serial to certdrift's form: upper-case hex, no leading zeros, no separators. */
export function normaliseSerial(s: string): string {
  const hex = s
    .replace(/[:\s]/g, '')
    .toUpperCase()
    .replace(/^0+(?=.)/, '');
  return /^[0-9A-F]+$/.test(hex) ? hex : '';
}
