// LOADS_CERTS_ONCE (info): kube-proxy reads its kubeconfig — and an embedded client certificate —
// once at start; nothing restarts a static pod when only a file it references changes. Even with
// a directory mount it keeps the old certificate until its container is recreated.

import type { ManifestWorkload } from '../manifests/read-manifests.js';
import type { AuditFinding, AuditRule } from './types.js';

export const loadsOnce: AuditRule = {
  id: 'LOADS_CERTS_ONCE',
  summary: 'component that loads its certificate once, with no restart trigger',
  run(file: string, w: ManifestWorkload): AuditFinding[] {
    return w.containers
      .filter(
        (c) =>
          (c.name === 'kube-proxy' || /\/kube-proxy:/.test(c.image)) &&
          c.args.some((a) => a.startsWith('--kubeconfig')),
      )
      .map((c) => ({
        code: 'LOADS_CERTS_ONCE',
        severity: 'info' as const,
        title: `${c.name} loads its kubeconfig certificate once; a renewal needs a restart`,
        evidence: {
          container: c.name,
          kubeconfig: c.args.find((a) => a.startsWith('--kubeconfig'))?.split('=')[1] ?? '',
        },
        cause:
          'client-go reads an embedded client certificate once; kubelet does not restart a static pod when only a referenced file changes.',
        remedy:
          'After every certificate renewal, recreate the container; `certdrift scan` reports NOT_RELOADED when one was missed and `certdrift fix --apply` recreates it.',
        subject: `${w.kind}/${w.name}/${c.name}`,
        location: { file, line: c.pos.line, column: c.pos.column },
      }));
  },
};
