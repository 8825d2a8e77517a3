// Audit findings: a Finding located in a manifest, optionally with the patch that fixes it.

import type { SetOp } from '../manifests/patch-manifest.js';
import type { ManifestWorkload } from '../manifests/read-manifests.js';
import type { Finding } from '../model.js';

export interface AuditFinding extends Finding {
  location: { file: string; line: number; column: number };
  /** a safe, mechanical repair of the manifest, when there is one */
  fix?: { ops: SetOp[]; description: string };
}

export interface AuditRule {
  id: string;
  summary: string;
  run(file: string, w: ManifestWorkload): AuditFinding[];
}
