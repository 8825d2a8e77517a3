// The worst severity among findings (ok < info = ok for exit codes < warning < critical). Pure.

import { SEVERITY_RANK, type Finding, type Severity } from './index.js';

export function worstSeverity(
  findings: readonly { severity: Severity }[] | readonly Finding[],
): Severity {
  let worst: Severity = 'ok';
  for (const f of findings)
    if (SEVERITY_RANK[f.severity] > SEVERITY_RANK[worst]) worst = f.severity;
  return worst;
}
