// `certdrift renew --apply` composed: the renew room's session (renew/renew-node.ts) over the
// real edges — the node's files and the run journal under --host-root, scans of the node, the CRI
// runtime, the action log, the system clock and crypto randomness for serials — and the node lock
// every writing command shares.

import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ScanConfig } from './config/scan-config.js';
import { acquireLock, LockHeld } from '../adapters/host/lock.js';
import { RenewRun } from '../adapters/host/renew-journal.js';
import { readAllFacts, readPlanned, readPrivateKey } from '../adapters/host/renew-files.js';
import { systemClock } from '../model/clock.js';
import type { KubeadmDirs } from '../renew/kubeadm-targets.js';
import type { ConsumerControl, RenewEdges } from '../renew/ports.js';
import type { RenewSettings } from '../renew/renew-node.js';
import { OperationalError } from './errors.js';
import { chooseRuntime, inventoryOf, probedInventoryOf } from './node-scan.js';

export interface RenewOptions extends RenewSettings {
  apply: boolean;
  backupDir: string;
  lockFile: string;
  logFile: string;
}

type Log = (entry: object) => void;

export function actionLog(file: string): Log {
  return (entry) => {
    mkdirSync(dirname(file), { recursive: true });
    appendFileSync(file, JSON.stringify({ time: new Date().toISOString(), ...entry }) + '\n');
  };
}

export function withLock<T>(opts: RenewOptions, fn: () => Promise<T>): Promise<T> {
  let release: () => void;
  try {
    release = acquireLock(opts.lockFile, systemClock.now());
  } catch (err) {
    if (err instanceof LockHeld) throw new OperationalError(err.message);
    throw err;
  }
  return fn().finally(release);
}

/** The scan settings, widened to the certificate and kubeconfig directories renew works on. */
export function renewScanConfig(config: ScanConfig, dirs: KubeadmDirs): ScanConfig {
  return {
    ...config,
    paths: [...config.paths, `${dirs.certDir}/**/*.crt`, `${dirs.kubeconfigDir}/*.conf`],
  };
}

/** A positive serial below 2^63, as kubeadm's (crypto/rand in [1, MaxInt64)). */
function newSerial(): Uint8Array {
  for (;;) {
    const b = randomBytes(8);
    b[0] = (b[0] as number) & 0x7f;
    if (b.some((x) => x !== 0)) return b;
  }
}

async function runtimeControl(config: ScanConfig, deadlineMs: number): Promise<ConsumerControl> {
  const runtime = await chooseRuntime(config);
  if (!runtime)
    throw new OperationalError(
      'no CRI runtime socket: consumers cannot be restarted (use --runtime-endpoint)',
    );
  const { CriActions } = await import('../adapters/runtime/cri-actions.js');
  const cri = new CriActions(runtime.endpoint, deadlineMs);
  return {
    stop: (id, grace) => cri.stop(id, grace),
    listContainers: () => runtime.listContainers(),
    close: () => {
      cri.close();
      runtime.close();
    },
  };
}

/** The real edges of a renewal on the node under `config.hostRoot`. */
export function renewEdges(config: ScanConfig, opts: RenewOptions): RenewEdges {
  const root = config.hostRoot;
  const scanConfig = renewScanConfig(config, opts.dirs);
  return {
    files: {
      readAll: (paths) => readAllFacts(root, paths),
      readPlanned: (path, sha256) => readPlanned(root, path, sha256),
      readPrivateKey: (path, sha256) => readPrivateKey(root, path, sha256),
    },
    journal: {
      unfinished: () => RenewRun.unfinished(opts.backupDir, root),
      prepare: (writes, planned, now) =>
        RenewRun.prepare(opts.backupDir, root, writes, planned, now),
    },
    inspect: ({ probeServed }) =>
      probeServed ? probedInventoryOf(scanConfig, { probeServed: true }) : inventoryOf(scanConfig),
    containers: (deadlineMs) => runtimeControl(scanConfig, deadlineMs),
    log: actionLog(opts.logFile),
    clock: systemClock,
    newSerial,
  };
}
