// Audit findings: a Finding located in a manifest, optionally with the patch that fixes it.

import type { PatchOp } from '../manifests/patch-manifest.js';
import type { ManifestWorkload } from '../manifests/read-manifests.js';
import type { Finding } from '../model/index.js';

/** Every code `certdrift audit` emits (closed, like the node finding codes in model.ts). */
export const AUDIT_CODES = [
  'FILE_HOSTPATH_MOUNT',
  'SUBPATH_PROJECTED_MOUNT',
  'PROPAGATION_NONE',
  'PROPAGATION_CANNOT_HELP',
  'LOADS_CERTS_ONCE',
] as const;

export type AuditCode = (typeof AUDIT_CODES)[number];

export interface AuditFinding extends Finding<AuditCode> {
  location: { file: string; line: number; column: number };
  /** a safe, mechanical repair of the manifest, when there is one */
  fix?: { ops: PatchOp[]; description: string };
}

/** What the caller knows about the node beyond the manifest text. */
export interface AuditContext {
  /**
   * Files under a node directory (relative paths, recursively, capped), or undefined when the
   * node cannot be looked at (auditing files from a repository).
   */
  listDir?(dir: string): readonly string[] | undefined;
}

export interface AuditRule {
  id: string;
  summary: string;
  run(file: string, w: ManifestWorkload, ctx: AuditContext): AuditFinding[];
}
