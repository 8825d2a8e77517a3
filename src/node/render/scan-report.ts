// Inventory + findings + now → the versioned scan document behind `-o json` / `-o yaml` and the
// table. The shape is a public contract described in docs/scan-schema.md: add fields, never
// rename or remove them without bumping `schemaVersion`.

import { certStatus } from '../../certs/status.js';
import {
  DAY_MS,
  type Certificate,
  type CertStatus,
  type CertUse,
  type Finding,
  type Inventory,
  type ItemError,
  type MissingCredential,
  type ScannedFile,
  type Severity,
  type SourceStatus,
  type Workload,
  type ServedCertificate,
  type Thresholds,
} from '../../model/index.js';
import type { NodeLifetime } from '../lifetime.js';
import { formatResidual } from '../../model/human-time.js';
import { describeNodeLifetime } from './node-statement.js';

export const SCHEMA_VERSION = 1;

/** A row's status: the validity window's, or `superseded` for history nothing uses. */
export type RowStatus = CertStatus | 'superseded';

/** What buildScanReport needs of assess()'s verdict (inventory/assess.ts). */
export interface Verdict {
  findings: Finding[];
  lifetime: NodeLifetime | null;
  worst: Severity;
  exitCode: number;
}

export interface CertificateRow {
  path: string;
  links: string[];
  index: number;
  kubeconfig: { entry: string; name: string; field: string } | undefined;
  referencedBy: { path: string; entry: string; name: string; field: string }[] | undefined;
  component: string;
  subject: string;
  commonName: string;
  organizations: string[];
  issuer: string;
  sans: string[];
  serial: string;
  fingerprintSha256: string;
  notBefore: string;
  notAfter: string;
  residualSeconds: number;
  residual: string;
  isCA: boolean;
  selfSigned: boolean;
  extKeyUsage: string[];
  /** key identifiers as kube-apiserver logs them (`AB:CD:…`); absent when the certificate has none */
  subjectKeyId: string | undefined;
  authorityKeyId: string | undefined;
  status: RowStatus;
  /** what uses the certificate (empty: nothing certdrift can see) */
  usedBy: CertUse[];
  /** why the file counts as superseded history (status `superseded`) */
  superseded: string | undefined;
  /** `mount`: found by following a running container's mount, not by a preset or --path */
  foundVia: 'mount' | undefined;
}

export interface ScanReport {
  apiVersion: 'certdrift.io/v1alpha1';
  kind: 'NodeScan';
  schemaVersion: typeof SCHEMA_VERSION;
  generatedAt: string;
  /** the node scanned (`scan --node-name`, default $NODE_NAME or the host name); added in schema 1 */
  nodeName?: string;
  hostRoot: string;
  presets: string[];
  /** the ratios only when set (--warn-ratio, --critical-ratio): a share of lifetime left, in (0,1) */
  thresholds: {
    warningDays: number;
    criticalDays: number;
    warningRatio?: number;
    criticalRatio?: number;
  };
  summary: {
    certificates: number;
    files: number;
    privateKeys: number;
    errors: number;
    byStatus: Record<RowStatus, number>;
    worstSeverity: Severity;
    exitCode: number;
  };
  node: null | {
    deadline: string;
    setBy: { component: string; path: string; commonName: string };
    daysLeft: number;
    replaceBy: string;
    kopsRule: boolean;
    issuedAt?: string;
    ageDays?: number;
    statement: string;
  };
  certificates: CertificateRow[];
  files: ScannedFile[];
  errors: ItemError[];
  /** credentials something names that cannot be read (each is a CREDENTIAL_MISSING finding) */
  missing: MissingCredential[];
  /** where the scan stopped early (a SCAN_INCOMPLETE finding) */
  incomplete: string[];
  findings: Finding[];
  /** containers and host processes examined for drift (see docs/scan-schema.md) */
  workloads: Workload[];
  /** each source of facts (files, cri, proc) and whether it answered */
  sources: SourceStatus[];
  /** local TLS endpoints probed (absent with --no-probe), see docs/scan-schema.md */
  served?: ServedCertificate[];
}

/** One certificate as the document lists it (`status` counted by the caller). */
function certificateRow(c: Certificate, status: RowStatus, now: Date): CertificateRow {
  const residualMs = c.notAfter.getTime() - now.getTime();
  return {
    path: c.location.path,
    links: c.location.links,
    index: c.location.index,
    // Always present (undefined is left out of JSON): one object shape for every row.
    kubeconfig: c.location.kubeconfig,
    referencedBy: c.location.referencedBy,
    component: c.component,
    subject: c.subject,
    commonName: c.commonName,
    organizations: c.organizations,
    issuer: c.issuer,
    sans: c.sans,
    serial: c.serial,
    fingerprintSha256: c.fingerprintSha256,
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
    residualSeconds: Math.floor(residualMs / 1000),
    residual: formatResidual(residualMs),
    isCA: c.isCA,
    selfSigned: c.selfSigned,
    extKeyUsage: c.extKeyUsage,
    subjectKeyId: c.subjectKeyId,
    authorityKeyId: c.authorityKeyId,
    status,
    usedBy: c.usedBy,
    superseded: c.superseded,
    foundVia: c.foundVia,
  };
}

/** The node's certificate deadline and what it means, or null when nothing sets one. */
function nodeSection(life: NodeLifetime | null, now: Date): ScanReport['node'] {
  return (
    life && {
      deadline: life.deadline.toISOString(),
      setBy: life.by,
      daysLeft: life.daysLeft,
      replaceBy: life.replaceBy.toISOString(),
      kopsRule: life.kopsRule,
      ...(life.issuedAt
        ? { issuedAt: life.issuedAt.toISOString(), ageDays: life.ageDays ?? 0 }
        : {}),
      statement: describeNodeLifetime(life, now),
    }
  );
}

export function buildScanReport(
  inv: Inventory,
  verdict: Verdict,
  now: Date,
  t: Thresholds,
  nodeName?: string,
): ScanReport {
  const byStatus: Record<RowStatus, number> = {
    ok: 0,
    warning: 0,
    critical: 0,
    expired: 0,
    'not-yet-valid': 0,
    superseded: 0,
  };
  const certificates = inv.certificates.map((c): CertificateRow => {
    const status: RowStatus =
      c.superseded !== undefined ? 'superseded' : certStatus(c.notBefore, c.notAfter, now, t);
    byStatus[status]++;
    return certificateRow(c, status, now);
  });
  return {
    apiVersion: 'certdrift.io/v1alpha1',
    kind: 'NodeScan',
    schemaVersion: SCHEMA_VERSION,
    generatedAt: now.toISOString(),
    ...(nodeName !== undefined ? { nodeName } : {}),
    hostRoot: inv.hostRoot,
    presets: inv.presets,
    thresholds: {
      warningDays: t.warnMs / DAY_MS,
      criticalDays: t.criticalMs / DAY_MS,
      ...(t.warnRatio !== undefined ? { warningRatio: t.warnRatio } : {}),
      ...(t.criticalRatio !== undefined ? { criticalRatio: t.criticalRatio } : {}),
    },
    summary: {
      certificates: certificates.length,
      files: inv.files.length,
      privateKeys: inv.files.reduce((n, f) => n + f.privateKeys, 0),
      errors: inv.errors.length,
      byStatus,
      worstSeverity: verdict.worst,
      exitCode: verdict.exitCode,
    },
    node: nodeSection(verdict.lifetime, now),
    certificates,
    files: inv.files,
    errors: inv.errors,
    missing: inv.missing,
    incomplete: inv.incomplete,
    findings: verdict.findings,
    workloads: inv.workloads,
    sources: inv.sources,
    ...(inv.served ? { served: inv.served } : {}),
  };
}
