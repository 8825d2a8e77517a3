// scanNode: the one way every command looks at a node — files (presets, --path), the containers
// and host processes running on it (drift, following every mount), and who uses each
// certificate. Edge interfaces in, an Inventory out; read-only. assess() turns it into a verdict.

import type { NodeFiles, ProcView } from './ports.js';
import type { Inventory, ItemError, Workload } from '../model/index.js';
import type { ContainerRuntime } from './ports.js';
import { applyUsage, type UsageMemo } from './usage/index.js';
import { FOLLOW_DEFAULTS, followMounts } from './sources/mounts.js';
import { gatherUsage } from './sources/usage.js';
import { scanFiles, sortInventory, type FileScanConfig } from './sources/files.js';
import { examineWorkloads, listContainers } from './sources/workloads.js';

export interface NodeEdges {
  files: NodeFiles;
  /** null when containers are not looked at (`--runtime-endpoint none`) */
  workloads: null | {
    /** the CRI runtime, or null to go straight to the fallback */
    runtime: ContainerRuntime | null;
    /** the /proc view, used when the CRI runtime is missing or fails */
    fallback: ContainerRuntime;
    proc: ProcView;
  };
}

export interface NodeScanConfig extends FileScanConfig {
  /** container or process names that load their certificates once at start */
  loadsOnce: readonly string[];
}

/** The file half of a scan: scanFiles, or the agent's memo of it (file-scan-memo.ts). */
export type FileScan = (files: NodeFiles, config: FileScanConfig) => Promise<Inventory>;

/** What the agent's scan worker keeps between scans; a one-off scan needs none. */
export interface NodeScanMemo {
  /** the file half, or the agent's memo of it (file-scan-memo.ts) */
  fileScan?: FileScan;
  /** certificates with their uses, kept by identity (usage/apply-usage.ts) */
  usage?: UsageMemo;
}

export async function scanNode(
  edges: NodeEdges,
  config: NodeScanConfig,
  memo: NodeScanMemo = {},
): Promise<Inventory> {
  let base = await (memo.fileScan ?? scanFiles)(edges.files, config);
  const wl = edges.workloads;
  let examine = (_: Inventory): { workloads: Workload[]; errors: ItemError[] } => ({
    workloads: [],
    errors: [],
  });
  if (wl) {
    const listed = await listContainers(wl);
    const followed = await followMounts(edges.files, listed.containers, base, {
      ...FOLLOW_DEFAULTS,
      maxFileSize: config.maxFileSize,
    });
    base = { ...followed.inventory, sources: [...base.sources, ...listed.sources] };
    const deps = { ...wl, files: edges.files };
    const cfg = {
      maxFileSize: config.maxFileSize,
      loadsOnce: config.loadsOnce,
      canonical: followed.canonical,
    };
    examine = (i) => examineWorkloads(deps, i, listed.containers, cfg);
  }
  let seen = examine(base);
  const usage = await gatherUsage(
    edges.files,
    { ...base, workloads: seen.workloads },
    config.maxFileSize,
  );
  const added =
    usage.added.files.length +
    usage.added.certificates.length +
    usage.added.errors.length +
    usage.added.missing.length +
    usage.missing.length;
  // nothing added: the lists are as sorted as they came
  const sorted = added > 0 ? sortInventory : (i: Inventory): Inventory => i;
  base = sorted({
    ...base,
    files: [...base.files, ...usage.added.files],
    certificates: [...base.certificates, ...usage.added.certificates],
    errors: [...base.errors, ...usage.added.errors],
    missing: [...base.missing, ...usage.added.missing, ...usage.missing],
  });
  // Files only a flag named (no preset, no mount) are compared with what processes hold too.
  if (usage.added.files.length > 0) seen = examine(base);
  const inv = {
    ...base,
    workloads: seen.workloads,
    errors: [...base.errors, ...seen.errors],
    ...(usage.kubelet ? { kubelet: usage.kubelet } : {}),
  };
  return applyUsage(inv, { named: usage.named }, memo.usage);
}
