// Composition root for looking at this node: builds the real edges (confined node files, the CRI
// runtime or the /proc fallback) from the settings, runs scanNode, and assess() for the verdict.
// scan, fix and the agent's worker all come through here; no command imports another.

import { existsSync } from 'node:fs';
import type { ScanConfig } from './config/scan-config.js';
import { thresholdsOf } from './config/scan-config.js';
import { ChangeWatch } from '../adapters/host/change-watch.js';
import { openNodeFiles, ParseCache } from '../adapters/host/index.js';
import { FileScanMemo } from '../node/file-scan-memo.js';
import { ProcFs } from '../adapters/host/procfs.js';
import type { ServedProbeConfig } from '../adapters/host/served-certs.js';
import { assess, type Assessment } from '../node/assess.js';
import { scanNode } from '../node/scan-node.js';
import type { Inventory } from '../model/index.js';
import type { UsageMemo } from '../node/usage/index.js';
import { ProcRuntime } from '../adapters/host/proc-runtime.js';
import type { ContainerRuntime, DirectoryProgress } from '../node/ports.js';

/** CRI sockets tried by `--runtime-endpoint auto`, inside the host root. */
const RUNTIME_SOCKETS = [
  '/run/containerd/containerd.sock',
  '/var/run/crio/crio.sock',
  '/run/k3s/containerd/containerd.sock',
];

export async function chooseRuntime(config: ScanConfig): Promise<ContainerRuntime | null> {
  let endpoint: string | undefined = config.runtimeEndpoint;
  if (endpoint === 'auto') {
    const inRoot = (p: string): string => (config.hostRoot === '/' ? p : config.hostRoot + p);
    endpoint = RUNTIME_SOCKETS.map(inRoot).find((p) => existsSync(p));
    if (!endpoint) return null;
  }
  // gRPC loads only when there is a runtime to talk to (the CLI starts fast otherwise).
  const { CriRuntime } = await import('../adapters/runtime/cri-runtime.js');
  return new CriRuntime(endpoint, config.runtimeTimeoutMs);
}

/** Everything scan, fix and the agent look at: files, containers, processes, usage. Read-only. */
/**
 * What the agent's scan worker keeps between scans: parsed files by (device, inode, size,
 * mtime, ctime), and the file half of the last scan while a change watch says nothing changed.
 */
export interface ScanMemory {
  cache: ParseCache;
  files?: FileScanMemo;
  usage?: UsageMemo;
}

/** A ScanMemory for scans of `config`'s host root. */
export function scanMemory(config: ScanConfig): ScanMemory {
  const cache = new ParseCache();
  const unseen = (): string | undefined => {
    const p = cache.linkedChanged();
    return p === undefined ? undefined : `${p} changed through another hard link`;
  };
  return {
    cache,
    files: new FileScanMemo(new ChangeWatch(config.hostRoot), undefined, unseen),
    usage: new WeakMap(),
  };
}

export async function inventoryOf(
  config: ScanConfig,
  opts: { memory?: ScanMemory; onDirectory?: DirectoryProgress } = {},
): Promise<Inventory> {
  const { memory } = opts;
  if (!memory) return inventoryWith(config, undefined, opts.onDirectory);
  // A scan that fails keeps the cache as it was (end() is what forgets files no longer seen).
  memory.cache.begin();
  const inventory = await inventoryWith(config, memory);
  // While the file half is reused, its files were not looked up: they are not forgotten.
  memory.cache.end(memory.files?.stats.reused === true);
  return inventory;
}

async function inventoryWith(
  config: ScanConfig,
  memory: ScanMemory | undefined,
  onDirectory?: DirectoryProgress,
): Promise<Inventory> {
  const files = openNodeFiles(config.hostRoot, memory?.cache);
  const memo = {
    ...(memory?.files ? { fileScan: memory.files.scan } : {}),
    ...(memory?.usage ? { usage: memory.usage } : {}),
  };
  const scanConfig = {
    presets: config.presets,
    paths: config.paths,
    excludes: config.excludes,
    maxFileSize: config.maxFileSize,
    maxEntries: config.maxFiles,
    loadsOnce: config.loadsOnce,
    ...(onDirectory ? { onDirectory } : {}),
  };
  if (config.runtimeEndpoint === 'none')
    return scanNode({ files, workloads: null }, scanConfig, memo);
  const runtime = await chooseRuntime(config);
  try {
    const proc = new ProcFs(config.procRoot);
    return await scanNode(
      { files, workloads: { runtime, fallback: new ProcRuntime(proc), proc } },
      scanConfig,
      memo,
    );
  } finally {
    runtime?.close();
  }
}

/** Served-certificate probes (SERVED_STALE): where to look, and a short handshake deadline. */
export function servedProbeConfig(config: ScanConfig): ServedProbeConfig {
  return {
    hostRoot: config.hostRoot,
    procRoot: config.procRoot,
    maxFileSize: config.maxFileSize,
    timeoutMs: 2000,
  };
}

/** inventoryOf, plus the certificates the local TLS endpoints serve when `probeServed`. */
export async function probedInventoryOf(
  config: ScanConfig,
  opts: { probeServed?: boolean; memory?: ScanMemory; onDirectory?: DirectoryProgress } = {},
): Promise<Inventory> {
  const inventory = await inventoryOf(config, {
    ...(opts.memory ? { memory: opts.memory } : {}),
    ...(opts.onDirectory ? { onDirectory: opts.onDirectory } : {}),
  });
  if (!opts.probeServed) return inventory;
  // node:tls and the probe load only when probing
  const { addServedCertificates } = await import('../adapters/host/served-certs.js');
  return addServedCertificates(inventory, servedProbeConfig(config));
}

/** The node scanned and judged as of `now`; `probeServed` adds the local TLS endpoints' certificates. */
export async function assessThisNode(
  config: ScanConfig,
  now: Date,
  opts: { probeServed?: boolean; onDirectory?: DirectoryProgress } = {},
): Promise<{ inventory: Inventory; assessment: Assessment }> {
  const inventory = await probedInventoryOf(config, opts);
  return { inventory, assessment: assess(inventory, { now, thresholds: thresholdsOf(config) }) };
}
