// SERVED_STALE: a local TLS endpoint serves a different certificate than the file its component
// is configured with. Critical when what it serves expires before the file's certificate (the
// renewal on disk will not save it), warning otherwise (e.g. it serves a newer one than an old
// file, or the file was renewed with an earlier end date). How each component reloads
// (docs/domain facts §7) decides the remedy:
//  - kubelet reloads tlsCertFile only with ReloadKubeletServerCertificateFile (beta, on by
//    default since 1.31); with serverTLSBootstrap it rotates through CSRs
//  - kube-apiserver, kube-scheduler, kube-controller-manager reload --tls-cert-file dynamically
//    (since 1.17): a lasting difference means the watched file is not this one, or the new pair
//    failed to load (key mismatch)
//  - etcd reloads its certificate for each new connection (since 3.2), not its CA

import type { Finding, Inventory, ServedCertificate } from '../../model/index.js';
import type { Check, CheckContext } from './context.js';
import { certText } from './workload-text.js';

const RELOAD: Readonly<Record<string, { behaviour: string; remedy: string }>> = {
  kubelet: {
    behaviour:
      'kubelet reloads tlsCertFile only with the ReloadKubeletServerCertificateFile feature gate (beta, on by default since Kubernetes 1.31); older kubelets read it once at start. With serverTLSBootstrap it rotates its serving certificate through CSRs instead.',
    remedy:
      'Restart kubelet (`systemctl restart kubelet`) so it serves the file’s certificate; on Kubernetes < 1.31 enable ReloadKubeletServerCertificateFile or use serverTLSBootstrap so renewals are picked up.',
  },
  'kube-apiserver': {
    behaviour:
      'kube-apiserver reloads --tls-cert-file dynamically (since 1.17): a difference that lasts means it watches another file than this one, or the renewed certificate and key failed to load (check its log for the dynamic serving certificate controller).',
    remedy:
      'Check that the certificate and --tls-private-key-file match (`openssl x509 -noout -pubkey` vs `openssl pkey -pubout`) and that the flag names this file; then restart the static pod (move the manifest out and back, or `crictl stop` its container).',
  },
  'kube-scheduler': {
    behaviour:
      'kube-scheduler reloads --tls-cert-file dynamically (since 1.17): a lasting difference means another file is watched or the new pair failed to load.',
    remedy:
      'Check that the certificate matches its key and the flag names this file; then restart the kube-scheduler static pod.',
  },
  'kube-controller-manager': {
    behaviour:
      'kube-controller-manager reloads --tls-cert-file dynamically (since 1.17): a lasting difference means another file is watched or the new pair failed to load.',
    remedy:
      'Check that the certificate matches its key and the flag names this file; then restart the kube-controller-manager static pod.',
  },
  etcd: {
    behaviour:
      'etcd reloads its certificate for each new connection (since 3.2) but never its CA: a difference means the new certificate and key do not match, or the flag names another file.',
    remedy:
      'Check that --cert-file and --key-file match; restart etcd one member at a time (quorum!). A renewed CA needs a rolling restart of every member.',
  },
};

function finding(s: ServedCertificate, ctx: CheckContext): Finding | undefined {
  if (!s.served || !s.file || s.served.fingerprintSha256 === s.file.fingerprintSha256)
    return undefined;
  const servedFirst = s.served.notAfter.getTime() < s.file.notAfter.getTime();
  const expired = s.served.notAfter.getTime() <= ctx.now.getTime();
  const r = RELOAD[s.component === 'etcd-peer' ? 'etcd' : s.component] ?? {
    behaviour: `${s.component} does not serve the certificate of its configured file.`,
    remedy: `Restart ${s.component} so it loads the file.`,
  };
  return {
    code: 'SERVED_STALE',
    severity: servedFirst ? 'critical' : 'warning',
    title: `${s.component} on ${s.endpoint} serves another certificate than ${s.certFile ?? 'its file'}${servedFirst ? ` (it ${expired ? 'expired' : 'expires'} ${s.served.notAfter.toISOString().slice(0, 10)}, before the file's)` : ''}`,
    evidence: {
      endpoint: s.endpoint,
      component: s.component,
      served: `${certText(s.served)}, subject ${s.served.subject}`,
      file: `${s.certFile ?? ''}: ${certText(s.file)}, subject ${s.file.subject}`,
      learnedFrom: s.source,
    },
    cause: r.behaviour,
    remedy: r.remedy,
    subject: `endpoint/${s.endpoint}`,
  };
}

export const servedStale: Check = {
  name: 'served-stale',
  run(inv: Inventory, ctx: CheckContext): Finding[] {
    return (inv.served ?? []).flatMap((s) => finding(s, ctx) ?? []);
  },
};
