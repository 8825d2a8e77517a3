// CERT_EXPIRED, CERT_EXPIRING (critical/warning), CERT_NOT_YET_VALID: one finding per
// certificate outside its healthy window. Superseded files (usage/superseded.ts) get one info
// CERT_SUPERSEDED each instead, whatever their dates. An expired CA in a bundle next to a valid CA of the same
// subject (the normal state during a CA rotation) is informational only, not an alarm.

import { certStatus } from '../../certs/status.js';
import {
  DAY_MS,
  type Certificate,
  type Finding,
  type Inventory,
  type Thresholds,
} from '../../model/index.js';
import { formatShare, lifetimeLeft } from '../../model/thresholds.js';
import type { Check, CheckContext } from './context.js';

function where(c: Certificate): string {
  const kc = c.location.kubeconfig;
  return kc
    ? `${c.location.path} (${kc.entry} ${kc.name})`
    : `${c.location.path}#${c.location.index}`;
}

function groupKey(c: Certificate): string {
  const kc = c.location.kubeconfig;
  return `${c.location.path}|${kc ? `${kc.entry}:${kc.name}:${kc.field}` : ''}|${c.subject}`;
}

/** The share of the lifetime left, shown only when a ratio threshold is in force (it may be why). */
function shareLeft(c: Certificate, now: Date, t: Thresholds): string | undefined {
  if (t.warnRatio === undefined && t.criticalRatio === undefined) return undefined;
  const share = lifetimeLeft(c.notBefore, c.notAfter, now);
  return share === null ? undefined : formatShare(share);
}

function evidence(c: Certificate, now: Date, t: Thresholds): Record<string, string> {
  const days = (c.notAfter.getTime() - now.getTime()) / DAY_MS;
  const share = shareLeft(c, now, t);
  return {
    component: c.component,
    subject: c.subject,
    serial: c.serial,
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
    residualDays: days.toFixed(1),
    ...(share !== undefined ? { lifetimeLeft: share } : {}),
  };
}

const REMEDY: Readonly<Record<string, string>> = {
  ca: 'Plan a CA rotation; every certificate it signed must be re-issued and every client trust bundle updated.',
  'kubelet-client':
    'Replace the node (kops: `kops rolling-update cluster`), or enable kubelet client certificate rotation (rotateCertificates) so kubelet renews it.',
  'kube-proxy':
    'Replace the node (kops: `kops rolling-update cluster`); after any renewal make sure kube-proxy is restarted, it loads its certificate once.',
};
/**
 * Why a kubelet client certificate came this close, from kubelet's config (domain §4, §11): with
 * rotation off nothing renews it; with rotation on kubelet asks at 70–90 % of its lifetime, so
 * an expiring one means the renewal CSR was not approved (no selfnodeclient binding) or kubelet
 * cannot reach the API server. Undefined when no kubelet config was read.
 */
function kubeletRotation(inv: Inventory): { cause: string; remedy: string } | undefined {
  const k = inv.kubelet;
  if (!k) return undefined;
  if (k.rotateCertificates !== true)
    return {
      cause: `kubelet client certificate rotation is off (${k.config}: rotateCertificates ${k.rotateCertificates === false ? 'false' : 'not set: kubelet’s default is off unless it runs with --rotate-certificates'}): kubelet will not renew it.`,
      remedy: `Set \`rotateCertificates: true\` in ${k.config} and restart kubelet before the certificate expires (kubelet then renews through a kubernetes.io/kube-apiserver-client-kubelet CSR, approved automatically when the node may create selfnodeclient CSRs), or replace the node.`,
    };
  return {
    cause: `kubelet rotates its client certificate (${k.config}: rotateCertificates true) at 70–90 % of its lifetime, so it should already have been renewed: its renewal CSR was not approved or not issued, or kubelet cannot reach the API server.`,
    remedy:
      'Check the node’s CSRs (`kubectl get csr --field-selector spec.signerName=kubernetes.io/kube-apiserver-client-kubelet`, or `certdrift fleet`): a Pending one means the ClusterRoleBinding granting system:nodes `certificatesigningrequests/selfnodeclient` is missing (kubeadm creates it); approve it or restore the binding. Then check kubelet’s log for certificate_manager errors.',
  };
}

const DEFAULT_REMEDY =
  'Renew the certificate (kubeadm: `kubeadm certs renew`, k3s/RKE2: restart the service within 120 days of expiry, kops: replace the node) and restart the components that use it.';

/** History nothing uses: listed with a hint, never an alarm, whatever its dates. */
function supersededFinding(c: Certificate, ctx: CheckContext, why: string): Finding {
  return {
    code: 'CERT_SUPERSEDED',
    severity: 'info',
    title: `${c.component} certificate not in use: ${why}`,
    evidence: evidence(c, ctx.now, ctx.thresholds),
    remedy:
      'Nothing on the node uses this file. Archive or delete it so that it no longer looks like a live credential.',
    subject: where(c),
  };
}

/** The one finding for a certificate outside its healthy window (status is not 'ok'). */
function outOfWindowFinding(
  c: Certificate,
  status: Exclude<ReturnType<typeof certStatus>, 'ok'>,
  inv: Inventory,
  ctx: CheckContext,
  validCaGroups: ReadonlySet<string>,
): Finding {
  const ev = evidence(c, ctx.now, ctx.thresholds);
  const subject = where(c);
  if (status === 'not-yet-valid')
    return {
      code: 'CERT_NOT_YET_VALID',
      severity: 'warning',
      title: `${c.component} certificate is not valid until ${ev.notBefore ?? ''}`,
      evidence: ev,
      remedy: 'Check the node clock (NTP) and the issuing time of the certificate.',
      subject,
    };
  if (c.isCA && validCaGroups.has(groupKey(c)))
    return {
      code: 'CERT_SUPERSEDED',
      severity: 'info',
      title: `an ${status === 'expired' ? 'expired' : 'expiring'} CA sits next to a valid CA of the same name`,
      evidence: ev,
      remedy: 'Remove the old CA from the bundle once no certificate it signed is in use.',
      subject,
    };
  const rotation = c.component === 'kubelet-client' ? kubeletRotation(inv) : undefined;
  const remedy = rotation?.remedy ?? REMEDY[c.component] ?? DEFAULT_REMEDY;
  const cause = rotation ? { cause: rotation.cause } : {};
  if (status === 'expired')
    return {
      code: 'CERT_EXPIRED',
      severity: 'critical',
      title: `${c.component} certificate expired on ${ev.notAfter ?? ''}`,
      evidence: ev,
      ...cause,
      remedy,
      subject,
    };
  return {
    code: 'CERT_EXPIRING',
    severity: status,
    title: `${c.component} certificate expires in ${ev.residualDays ?? ''} days${ev.lifetimeLeft !== undefined ? ` (${ev.lifetimeLeft} of its lifetime left)` : ''}`,
    evidence: ev,
    ...cause,
    remedy,
    subject,
  };
}

export const certExpiry: Check = {
  name: 'cert-expiry',
  run(inv: Inventory, ctx: CheckContext): Finding[] {
    const out: Finding[] = [];
    // Statuses once; the same-subject CA grouping only for CAs (10,000 leaf keys cost ~10 ms).
    const statuses = inv.certificates.map((c) =>
      certStatus(c.notBefore, c.notAfter, ctx.now, ctx.thresholds),
    );
    const validCaGroups = new Set<string>();
    inv.certificates.forEach((c, i) => {
      if (c.isCA && statuses[i] === 'ok') validCaGroups.add(groupKey(c));
    });
    inv.certificates.forEach((c, i) => {
      const status = statuses[i] ?? 'ok';
      if (c.superseded !== undefined) out.push(supersededFinding(c, ctx, c.superseded));
      else if (status !== 'ok') out.push(outOfWindowFinding(c, status, inv, ctx, validCaGroups));
    });
    return out;
  },
};
