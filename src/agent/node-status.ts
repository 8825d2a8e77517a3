// What the node should say about its certificates: node-problem-detector style conditions (set
// True while a problem lasts, False — cleared — once it is gone), Warning events for problems
// (one per problem, de-duplicated by a stable name), and the report object. Pure.

import { createHash } from 'node:crypto';
import type { ClusterEventSpec, ConditionSpec, ReportSpec } from '../model/node-status.js';
import type { Finding, FindingCode, Inventory } from '../model/index.js';
import type { NodeLifetime } from '../node/lifetime.js';
import { worstSeverity } from '../model/severity.js';

export type { ClusterEventSpec, ConditionSpec, ReportSpec } from '../model/node-status.js';

export const CONDITION_EXPIRING = 'CertificatesExpiringSoon';
export const CONDITION_STALE = 'CertificatesStale';
/** kubelet asks for its serving certificate by CSR and has none (KUBELET_SERVING_CERT_MISSING) */
export const CONDITION_SERVING = 'KubeletServingCertificateMissing';

/**
 * The Event reason for each finding code (null: no event). A Record over the closed list of codes,
 * so a new code does not compile until someone decides whether it is worth an event.
 */
const EVENT_REASON: Readonly<Record<FindingCode, string | null>> = {
  CERT_EXPIRING: 'CertificateExpirationWarning', // k3s's reason, for existing alert rules
  CERT_EXPIRED: 'CertificateExpired',
  CERT_NOT_YET_VALID: 'CertificateNotYetValid',
  CERT_SUPERSEDED: null,
  CREDENTIAL_MISSING: 'CertificateMissing',
  SCAN_INCOMPLETE: null,
  STALE_VIEW: 'CertificateStaleView',
  NOT_RELOADED: 'CertificateNotReloaded',
  RISKY_FILE_MOUNT: null,
  HIDDEN_HOST_MOUNTS: null,
  DUPLICATE_RUNNING: 'DuplicateRunningContainers',
  EXITED_LEFTOVER: null,
  NODE_REPLACEMENT_DUE: 'NodeReplacementDue',
  SERVED_STALE: 'ServedCertificateStale',
  KUBELET_SERVING_CERT_MISSING: 'KubeletServingCertificateMissing',
};

const summary = (fs: Finding[]): string =>
  fs
    .slice(0, 5)
    .map((f) => f.title)
    .join('; ') + (fs.length > 5 ? `; and ${fs.length - 5} more` : '');

export function desiredConditions(findings: readonly Finding[]): ConditionSpec[] {
  const expiring = findings.filter(
    (f) => (f.code === 'CERT_EXPIRING' || f.code === 'CERT_EXPIRED') && f.severity !== 'info',
  );
  const stale = findings.filter((f) => f.code === 'STALE_VIEW' || f.code === 'NOT_RELOADED');
  const serving = findings.filter((f) => f.code === 'KUBELET_SERVING_CERT_MISSING');
  return [
    expiring.length > 0
      ? {
          type: CONDITION_EXPIRING,
          status: 'True',
          reason: expiring.some((f) => f.code === 'CERT_EXPIRED')
            ? 'CertificateExpired'
            : 'CertificateExpiring',
          message: summary(expiring),
        }
      : {
          type: CONDITION_EXPIRING,
          status: 'False',
          reason: 'CertificatesValid',
          message: 'no certificate expires within the warning threshold',
        },
    stale.length > 0
      ? {
          type: CONDITION_STALE,
          status: 'True',
          reason: stale.some((f) => f.code === 'STALE_VIEW')
            ? 'StaleCertificateView'
            : 'CertificateNotReloaded',
          message: summary(stale),
        }
      : {
          type: CONDITION_STALE,
          status: 'False',
          reason: 'NoStaleCertificates',
          message: 'every running component sees and holds the node’s current certificates',
        },
    serving.length > 0
      ? {
          type: CONDITION_SERVING,
          status: 'True',
          reason: 'KubeletServingCertificatePending',
          message: summary(serving),
        }
      : {
          type: CONDITION_SERVING,
          status: 'False',
          reason: 'KubeletServingCertificatePresent',
          // also said when kubelet does not bootstrap its serving certificate: nothing is missing
          message: 'kubelet has the serving certificate its configuration asks for',
        },
  ];
}

export function desiredEvents(node: string, findings: readonly Finding[]): ClusterEventSpec[] {
  return findings
    .filter(
      (f) =>
        EVENT_REASON[f.code] !== null && (f.severity === 'warning' || f.severity === 'critical'),
    )
    .map((f) => {
      const reason = EVENT_REASON[f.code] ?? f.code;
      const id = createHash('sha256')
        .update(`${node}|${reason}|${f.subject}`)
        .digest('hex')
        .slice(0, 16);
      return {
        name: `${node}.certdrift.${id}`,
        reason,
        message: `${f.title}. ${f.remedy}`.slice(0, 1024),
      };
    });
}

export function desiredReport(
  inv: Inventory,
  findings: readonly Finding[],
  life: NodeLifetime | null,
  now: Date,
  /** how many certificates the scan saw, when `inv` was slimmed (the agent's worker) */
  certificateCount = inv.certificates.length,
): ReportSpec {
  return {
    scannedAt: now.toISOString(),
    ...(life
      ? {
          deadline: life.deadline.toISOString(),
          deadlineNotBefore: life.notBefore.toISOString(),
          replaceBy: life.replaceBy.toISOString(),
        }
      : {}),
    worstSeverity: worstSeverity(findings),
    certificates: certificateCount,
    staleViews: findings.filter((f) => f.code === 'STALE_VIEW').length,
    notReloaded: findings.filter((f) => f.code === 'NOT_RELOADED').length,
    findings: findings
      .filter((f) => f.severity !== 'info')
      .slice(0, 50)
      .map((f) => ({ code: f.code, severity: f.severity, subject: f.subject, title: f.title })),
  };
}
