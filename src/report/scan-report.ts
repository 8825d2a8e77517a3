// Inventory + findings + now → the versioned scan document behind `-o json` / `-o yaml` and the
// table. The shape is a public contract described in docs/scan-schema.md: add fields, never
// rename or remove them without bumping `schemaVersion`.

import { certStatus } from '../certs/status.js';
import {
  DAY_MS,
  SEVERITY_RANK,
  type CertStatus,
  type Finding,
  type Inventory,
  type ItemError,
  type ScannedFile,
  type Severity,
  type SourceStatus,
  type Workload,
  type ServedCertificate,
  type Thresholds,
} from '../model.js';
import { nodeLifetime } from '../plan/node-lifetime.js';
import { formatResidual } from './duration.js';
import { describeNodeLifetime } from './node-statement.js';

export const SCHEMA_VERSION = 1;

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
  status: CertStatus;
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
  thresholds: { warningDays: number; criticalDays: number };
  summary: {
    certificates: number;
    files: number;
    privateKeys: number;
    errors: number;
    byStatus: Record<CertStatus, number>;
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
  findings: Finding[];
  /** containers and host processes examined for drift (see docs/scan-schema.md) */
  workloads: Workload[];
  /** each source of facts (files, cri, proc) and whether it answered */
  sources: SourceStatus[];
  /** local TLS endpoints probed (absent with --no-probe), see docs/scan-schema.md */
  served?: ServedCertificate[];
}

export function worstSeverity(findings: readonly Finding[]): Severity {
  let worst: Severity = 'ok';
  for (const f of findings)
    if (SEVERITY_RANK[f.severity] > SEVERITY_RANK[worst]) worst = f.severity;
  return worst;
}

/** 0 ok / 1 warning / 2 critical / 3 nothing could be checked. */
export function exitCodeFor(inv: Inventory, findings: readonly Finding[]): number {
  // Unknown only when nothing at all could be checked: no certificate and nothing found about
  // any container either.
  if (inv.certificates.length === 0 && findings.length === 0) return 3;
  return SEVERITY_RANK[worstSeverity(findings)];
}

export function buildScanReport(
  inv: Inventory,
  findings: Finding[],
  now: Date,
  t: Thresholds,
  nodeName?: string,
): ScanReport {
  const byStatus: Record<CertStatus, number> = {
    ok: 0,
    warning: 0,
    critical: 0,
    expired: 0,
    'not-yet-valid': 0,
  };
  const certificates = inv.certificates.map((c): CertificateRow => {
    const status = certStatus(c.notBefore, c.notAfter, now, t);
    byStatus[status]++;
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
      status,
    };
  });
  const life = nodeLifetime(inv.certificates, now, t.warnMs);
  return {
    apiVersion: 'certdrift.io/v1alpha1',
    kind: 'NodeScan',
    schemaVersion: SCHEMA_VERSION,
    generatedAt: now.toISOString(),
    ...(nodeName !== undefined ? { nodeName } : {}),
    hostRoot: inv.hostRoot,
    presets: inv.presets,
    thresholds: { warningDays: t.warnMs / DAY_MS, criticalDays: t.criticalMs / DAY_MS },
    summary: {
      certificates: certificates.length,
      files: inv.files.length,
      privateKeys: inv.files.reduce((n, f) => n + f.privateKeys, 0),
      errors: inv.errors.length,
      byStatus,
      worstSeverity: worstSeverity(findings),
      exitCode: exitCodeFor(inv, findings),
    },
    node: life && {
      deadline: life.deadline.toISOString(),
      setBy: life.by,
      daysLeft: life.daysLeft,
      replaceBy: life.replaceBy.toISOString(),
      kopsRule: life.kopsRule,
      ...(life.issuedAt
        ? { issuedAt: life.issuedAt.toISOString(), ageDays: life.ageDays ?? 0 }
        : {}),
      statement: describeNodeLifetime(life, now),
    },
    certificates,
    files: inv.files,
    errors: inv.errors,
    findings,
    workloads: inv.workloads,
    sources: inv.sources,
    ...(inv.served ? { served: inv.served } : {}),
  };
}
