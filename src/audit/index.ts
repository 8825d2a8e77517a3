// The audit rules, listed explicitly, and the entry point over one manifest file. Pure.

import { readManifests, type ManifestProblem } from '../manifests/read-manifests.js';
import { fileHostPath } from './file-hostpath.js';
import { loadsOnce } from './loads-once.js';
import { propagation } from './propagation.js';
import { subPathProjected } from './subpath-projected.js';
import type { AuditContext, AuditFinding, AuditRule } from './types.js';

export type { AuditContext, AuditFinding, AuditRule } from './types.js';

export const AUDIT_RULES: readonly AuditRule[] = [
  fileHostPath,
  subPathProjected,
  propagation,
  loadsOnce,
];

export interface FileAudit {
  file: string;
  workloads: number;
  skippedKinds: string[];
  problems: ManifestProblem[];
  findings: AuditFinding[];
}

export function auditManifest(file: string, text: string, ctx: AuditContext = {}): FileAudit {
  const m = readManifests(text);
  return {
    file,
    workloads: m.workloads.length,
    skippedKinds: m.skipped,
    problems: m.problems,
    findings: m.workloads.flatMap((w) => AUDIT_RULES.flatMap((r) => r.run(file, w, ctx))),
  };
}
