// KUBELET_SERVING_CERT_MISSING: kubelet is configured to get its serving certificate through a
// CSR (`serverTLSBootstrap: true`) and has none — `<cert-dir>/kubelet-server-current.pem` is
// missing or dangles — and, when the served-certificate probe ran, nothing presents a certificate
// on its port. Until a `kubernetes.io/kubelet-serving` CSR is approved kubelet serves nothing usable
// on :10250: `kubectl logs/exec/port-forward` and metrics-server fail for the node. Core
// Kubernetes never approves these CSRs (kubernetes #73356, domain §11), so the usual cause is a
// CSR left Pending with no approver installed. A warning: workloads keep running, the node's API
// for operators does not work. Not raised when the probe saw kubelet serving a certificate (it
// holds one in memory, e.g. the link was removed after it loaded).

import type { Finding, Inventory, ServedCertificate } from '../../model/index.js';
import { REASONS } from '../../model/reasons.js';
import { KUBELET_SERVING } from '../../model/signers.js';
import type { Check } from './context.js';

/** What the probe saw on kubelet's port: a served certificate, a failure, or not probed. */
function probeText(inv: Inventory, port: number): { serving: boolean; text: string } {
  if (inv.served === undefined) return { serving: false, text: 'not probed (--no-probe)' };
  const mine = inv.served.filter(
    (s: ServedCertificate) => s.component === 'kubelet' && s.endpoint.endsWith(`:${port}`),
  );
  const served = mine.find((s) => s.served !== null);
  if (served) return { serving: true, text: `${served.endpoint} serves a certificate` };
  const failed = mine.find((s) => s.problem !== undefined);
  if (failed?.problem)
    return {
      serving: false,
      text: `${failed.endpoint}: ${failed.problem.reason} (${failed.problem.message})`,
    };
  return { serving: false, text: `no kubelet endpoint on port ${port} found to probe` };
}

export const kubeletServingMissing: Check = {
  name: 'kubelet-serving-missing',
  run(inv: Inventory): Finding[] {
    const k = inv.kubelet;
    const current = k?.servingCurrent;
    if (!k?.serverTLSBootstrap || !current?.problem) return [];
    const probe = probeText(inv, k.port);
    if (probe.serving) return [];
    return [
      {
        code: 'KUBELET_SERVING_CERT_MISSING',
        severity: 'warning',
        title: `kubelet requests its serving certificate by CSR (serverTLSBootstrap) but has none: ${current.path} ${current.problem.reason === 'dangling_symlink' ? 'dangles' : 'is missing'}`,
        evidence: {
          config: `${k.config}: serverTLSBootstrap: true`,
          // the reason's description, not the OS message: that one may name the host root
          servingCertificate: `${current.path}: ${current.problem.reason}, ${REASONS[current.problem.reason]}`,
          served: probe.text,
        },
        cause: `kubelet serves nothing usable on :${k.port} until a ${KUBELET_SERVING} CSR from system:node:<node> is approved and signed; core Kubernetes never approves those (kubernetes #73356), so without an approver the CSR stays Pending.`,
        remedy: `Look for the node's CSR: \`kubectl get csr --field-selector spec.signerName=${KUBELET_SERVING}\`. Approve it after checking its names (\`kubectl certificate approve <csr>\`), or run an approver that checks them: \`certdrift fleet --serve --approve-kubelet-serving\` (deploy/fleet approver component) or postfinance/kubelet-csr-approver. No CSR at all: restart kubelet so it requests one. Denied: fix the node's addresses or the approver's rules and restart kubelet.`,
        subject: current.path,
      },
    ];
  },
};
