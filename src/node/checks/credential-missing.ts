// CREDENTIAL_MISSING: something on the node names a certificate or kubeconfig that cannot be read
// (a kubeconfig's `client-certificate`, a static pod's `--tls-cert-file`, kubelet's
// `tlsCertFile`, a running process's flag). The component fails at its next start — or, for a
// kubelet whose `kubelet-client-current.pem` link dangles, at its next restart — so it is
// critical, not a line in the error table. A name inside a backup file is only info.

import type { Finding, Inventory } from '../../model/index.js';
import { supersededByName } from '../usage/index.js';
import type { Check } from './context.js';

export const credentialMissing: Check = {
  name: 'credential-missing',
  run(inv: Inventory): Finding[] {
    return inv.missing.map((m) => {
      const inBackup = supersededByName(m.namedIn, []) !== undefined;
      return {
        code: 'CREDENTIAL_MISSING',
        severity: inBackup ? 'info' : 'critical',
        title: `${m.path} is named by ${m.namedBy} but cannot be read (${m.reason})`,
        evidence: { path: m.path, namedBy: m.namedBy, reason: m.reason, problem: m.message },
        remedy: inBackup
          ? 'The naming file is a backup; nothing is affected unless it is restored.'
          : m.reason === 'permission_denied'
            ? 'Run certdrift as root (or with DAC_READ_SEARCH) to read it; if the component cannot read it either, fix its owner and mode.'
            : 'Restore the file (kubelet: re-point kubelet-client-current.pem to the newest kubelet-client-<date>.pem, or re-bootstrap the node), or fix the reference; the component cannot start without it.',
        subject: m.path,
      };
    });
  },
};
