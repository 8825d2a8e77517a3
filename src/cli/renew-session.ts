// `certdrift renew --apply` as a process: the node lock, an interrupted earlier run finished
// first, the plan, signing (CA keys read only here, as KeyObjects), the journaled writes, the
// restarts of consumers that hold the old certificates (one at a time, each waited for), and the
// proof by a fresh scan. Clock, randomness and sleeping live here, not in src/renew.

import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ScanConfig } from './config/scan-config.js';
import { acquireLock, LockHeld } from '../adapters/host/lock.js';
import { RenewRun } from '../adapters/host/renew-journal.js';
import { readAllFacts, readPlanned, readPrivateKey } from '../adapters/host/renew-files.js';
import type { Inventory } from '../model/index.js';
import { describeConsumer, staleConsumers, type Consumer } from '../renew/consumers.js';
import { pathsOf, KUBEADM_TARGETS, type KubeadmDirs } from '../renew/kubeadm-targets.js';
import { kubeadmPathsToRead, planKubeadmRenewal, type KubeadmPlan } from '../renew/plan-kubeadm.js';
import { proveRenewal, type Proof } from '../renew/prove.js';
import type { RenewReport, RestartRecord } from '../renew/render-renew.js';
import { currentPublicKey, renewedFiles, type FileWrite } from '../renew/renewed-files.js';
import { newKeyLike } from '../renew/sign-certificate.js';
import { OperationalError } from './errors.js';
import { chooseRuntime, inventoryOf, probedInventoryOf } from './node-scan.js';

export interface RenewOptions {
  apply: boolean;
  dirs: KubeadmDirs;
  validityMs: number;
  newKeys: boolean;
  backupDir: string;
  lockFile: string;
  logFile: string;
  restart: boolean;
  waitMs: number;
  graceSeconds: number;
}

type Log = (entry: object) => void;

function actionLog(file: string): Log {
  return (entry) => {
    mkdirSync(dirname(file), { recursive: true });
    appendFileSync(file, JSON.stringify({ time: new Date().toISOString(), ...entry }) + '\n');
  };
}

export function withLock<T>(opts: RenewOptions, fn: () => Promise<T>): Promise<T> {
  let release: () => void;
  try {
    release = acquireLock(opts.lockFile, new Date());
  } catch (err) {
    if (err instanceof LockHeld) throw new OperationalError(err.message);
    throw err;
  }
  return fn().finally(release);
}

/** Every file a kubeadm renewal may change: the consumers of these are the ones checked. */
export function kubeadmFiles(dirs: KubeadmDirs): Set<string> {
  const out = new Set<string>();
  for (const t of KUBEADM_TARGETS) {
    const p = pathsOf(t, dirs);
    out.add(p.cert);
    if (p.key) out.add(p.key);
  }
  return out;
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

export function planNode(config: ScanConfig, opts: RenewOptions, now: Date): KubeadmPlan {
  const files = readAllFacts(config.hostRoot, kubeadmPathsToRead(opts.dirs));
  return planKubeadmRenewal({
    dirs: opts.dirs,
    files,
    now,
    validityMs: opts.validityMs,
    newKeys: opts.newKeys,
  });
}

/** The signed files of every due renewal; a renewal refused on its data is reported, not fatal. */
export function signPlan(
  config: ScanConfig,
  plan: KubeadmPlan,
  opts: RenewOptions,
  now: Date,
): { writes: FileWrite[]; planned: Record<string, string>; refused: RenewReport['refused'] } {
  const writes: FileWrite[] = [];
  const planned: Record<string, string> = {};
  const refused: RenewReport['refused'] = [];
  const root = config.hostRoot;
  for (const item of plan.items) {
    if (item.action !== 'renew') continue;
    try {
      const certBytes = readPlanned(root, item.paths.cert, item.sha256[item.paths.cert]);
      const ownKey = item.paths.key
        ? readPrivateKey(root, item.paths.key, item.sha256[item.paths.key])
        : undefined;
      const files = renewedFiles({
        item,
        certBytes,
        caCertBytes: readPlanned(root, item.paths.caCert, undefined),
        caKey: readPrivateKey(root, item.paths.caKey),
        ...(ownKey ? { ownKey } : {}),
        serial: newSerial(),
        now,
        validityMs: opts.validityMs,
        ...(opts.newKeys
          ? { newKey: newKeyLike(ownKey ?? currentPublicKey(item, certBytes)) }
          : {}),
      });
      writes.push(...files);
      for (const f of files) {
        const sum = item.sha256[f.path];
        if (sum !== undefined) planned[f.path] = sum;
      }
    } catch (err) {
      // Bad data on the node (a changed file, a key that does not parse or match) is reported
      // for this certificate; the others are still renewed.
      refused.push({ name: item.name, message: err instanceof Error ? err.message : String(err) });
    }
  }
  return { writes, planned, refused };
}

/** Finishes every interrupted earlier run (roll forward), so no node stays half renewed. */
export function finishInterrupted(
  config: ScanConfig,
  opts: RenewOptions,
  log: Log,
): RenewReport['resumed'] {
  const out: RenewReport['resumed'] = [];
  for (const run of RenewRun.unfinished(opts.backupDir, config.hostRoot)) {
    log({ event: 'resume', run: run.dir });
    const r = run.commit(new Date(), (e) => {
      log({
        event: 'written',
        run: run.dir,
        path: e.path,
        before: e.before.sha256,
        after: e.after.sha256,
      });
    });
    out.push({ run: run.dir, ...r });
  }
  return out;
}

/** Writes the signed files as one journaled run. */
export function writeRun(
  config: ScanConfig,
  opts: RenewOptions,
  signed: { writes: FileWrite[]; planned: Record<string, string> },
  log: Log,
): RenewReport['run'] {
  if (signed.writes.length === 0) return undefined;
  const now = new Date();
  const run = RenewRun.prepare(opts.backupDir, config.hostRoot, signed.writes, signed.planned, now);
  log({ event: 'prepared', run: run.dir, files: run.entries.map((e) => e.path) });
  const r = run.commit(now, (e) => {
    log({
      event: 'written',
      run: run.dir,
      path: e.path,
      before: e.before.sha256,
      after: e.after.sha256,
    });
  });
  log({ event: 'committed', run: run.dir });
  return { dir: run.dir, ...r };
}

/** Stops each stale container consumer (kubelet starts the next attempt) and waits for it. */
export async function restartConsumers(
  config: ScanConfig,
  opts: RenewOptions,
  inv: Inventory,
  paths: ReadonlySet<string>,
  log: Log,
): Promise<RestartRecord[]> {
  const stale = staleConsumers(inv, paths);
  const records: RestartRecord[] = [];
  if (stale.length === 0) return records;
  const containers = stale.filter((c) => c.kind === 'container');
  for (const c of stale.filter((x) => x.kind === 'process'))
    records.push({
      consumer: c,
      status: 'by-hand',
      detail: `certdrift does not restart host services: systemctl restart ${c.name}`,
    });
  if (!opts.restart) {
    for (const c of containers)
      records.push({ consumer: c, status: 'skipped', detail: 'restarts disabled (--no-restart)' });
    return records;
  }
  if (containers.length === 0) return records;
  const runtime = await chooseRuntime(config);
  if (!runtime)
    throw new OperationalError(
      'no CRI runtime socket: consumers cannot be restarted (use --runtime-endpoint)',
    );
  const { CriActions } = await import('../adapters/runtime/cri-actions.js');
  const cri = new CriActions(runtime.endpoint, (opts.graceSeconds + 30) * 1000);
  try {
    for (const c of containers) {
      log({ event: 'restart', consumer: describeConsumer(c), reason: c.reason });
      try {
        await cri.stop(c.id, opts.graceSeconds);
        const next = await replacementOf(runtime, c, opts.waitMs);
        records.push({
          consumer: c,
          status: 'restarted',
          detail: `attempt ${next.attempt} (${next.id.slice(0, 13)}) is running`,
        });
        log({ event: 'restarted', consumer: describeConsumer(c), next: next.id });
      } catch (err) {
        const detail = err instanceof Error ? err.message : String(err);
        records.push({ consumer: c, status: 'failed', detail });
        log({ event: 'restart-failed', consumer: describeConsumer(c), error: detail });
        break; // one at a time: a consumer that does not come back stops the rest
      }
    }
  } finally {
    cri.close();
    runtime.close();
  }
  return records;
}

async function replacementOf(
  runtime: NonNullable<Awaited<ReturnType<typeof chooseRuntime>>>,
  c: Consumer,
  waitMs: number,
): Promise<{ id: string; attempt: number }> {
  const until = Date.now() + waitMs;
  while (Date.now() < until) {
    const next = (await runtime.listContainers()).find(
      (x) =>
        x.state === 'running' &&
        x.id !== c.id &&
        x.name === c.name &&
        x.pod.name === c.pod?.name &&
        x.pod.namespace === c.pod.namespace,
    );
    if (next) return next;
    await sleep(250);
  }
  throw new Error(
    `no new ${c.pod?.namespace ?? ''}/${c.pod?.name ?? ''}/${c.name} container within ${waitMs / 1000} s (is kubelet running?)`,
  );
}

/**
 * Rescans until every consumer holds the current certificates and every endpoint serves its file,
 * or the wait is over. Consumers left stale are not waited for (nothing will change them).
 */
export async function proveNode(
  config: ScanConfig,
  opts: RenewOptions,
  paths: ReadonlySet<string>,
): Promise<Proof> {
  const until = Date.now() + opts.waitMs;
  for (;;) {
    const inv = await probedInventoryOf(config, { probeServed: true });
    const proof = proveRenewal(inv, paths);
    if (proof.ok || proof.holders.length > 0 || Date.now() >= until) return proof;
    await sleep(1000);
  }
}

export async function scanForRestarts(config: ScanConfig): Promise<Inventory> {
  return inventoryOf(config);
}

export { actionLog };
