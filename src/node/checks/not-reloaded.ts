// NOT_RELOADED: a component that loads its certificates once (kube-proxy with an embedded
// kubeconfig cert, static control-plane pods, kubelet's custom serving cert) started before its
// certificate file was last replaced. Its view of the file may be fresh (directory mount, kops
// ≥ 1.36) and every file check passes, yet the process still presents the old certificate.

import type { Finding, FileComparison, Inventory, Workload } from '../../model/index.js';
import type { Check, CheckContext } from './context.js';
import { certText, mainCert, workloadName } from './workload-text.js';

function filesOf(w: Workload): FileComparison[] {
  return [...w.mounts.flatMap((m) => m.files), ...w.certFiles];
}

export const notReloaded: Check = {
  name: 'not-reloaded',
  run(inv: Inventory, _ctx: CheckContext): Finding[] {
    const out: Finding[] = [];
    for (const w of inv.workloads) {
      if (w.state !== 'running' || !w.loadsCertsOnce || !w.startedAt) continue;
      const started = w.startedAt.getTime();
      for (const f of filesOf(w)) {
        if (!f.host || f.host.ctime.getTime() <= started) continue;
        // A stale view is reported as STALE_VIEW with both certificates; here the view is
        // fresh (or the process runs on the host) and only the process itself is behind.
        if (f.container && f.container.sha256 !== f.host.sha256) continue;
        out.push({
          code: 'NOT_RELOADED',
          severity: 'critical',
          title: `${w.name} started before ${f.hostPath} was replaced and never reloads it`,
          evidence: {
            workload: workloadName(w),
            path: f.hostPath,
            startedAt: w.startedAt.toISOString(),
            fileReplacedAt: f.host.ctime.toISOString(),
            onDisk: certText(mainCert(f.host)),
            holds: `the certificate that was in ${f.hostPath} at ${w.startedAt.toISOString()} (loaded once at start)`,
            view: f.container ? 'the file inside the container is current' : 'runs on the host',
          },
          cause: `${w.name} reads its certificate once at start (an embedded kubeconfig certificate is never reloaded by client-go); the file changed later, and nothing restarts a static pod when only a file it references changes.`,
          remedy: `Restart ${w.name} so it loads the current certificate: \`crictl stop <id>\` for a container (kubelet starts a fresh attempt), \`systemctl restart\` for a host service; one node at a time.`,
          subject: `${w.kind}/${w.name}`,
          target: w.id,
        });
        break;
      }
    }
    return out;
  },
};
