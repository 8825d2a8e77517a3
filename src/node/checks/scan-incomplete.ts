// SCAN_INCOMPLETE: discovery stopped early (a pattern reached --max-files, a mounted directory
// its entry limit). Certificates past that point were not looked at, so "nothing found" is not
// "nothing there": a warning, never a silent exit 0.

import type { Finding, Inventory } from '../../model/index.js';
import type { Check } from './context.js';

export const scanIncomplete: Check = {
  name: 'scan-incomplete',
  run(inv: Inventory): Finding[] {
    if (inv.incomplete.length === 0) return [];
    return [
      {
        code: 'SCAN_INCOMPLETE',
        severity: 'warning',
        title: `the scan stopped early in ${inv.incomplete.length} place(s); certificates there were not checked`,
        evidence: Object.fromEntries(
          inv.incomplete.slice(0, 20).map((p, i) => [`where${i + 1}`, p]),
        ),
        remedy:
          'Narrow the scan (--path, --exclude) or raise --max-files so that every certificate is reached.',
        subject: inv.incomplete[0] ?? 'scan',
      },
    ];
  },
};
