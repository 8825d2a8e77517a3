// `certdrift renew --apply` for kubeadm, one step at a time over the node's edges (ports.ts): an
// interrupted earlier run finished first (roll forward), the plan, signing (CA keys read only
// here, as KeyObjects), the journaled writes, the restarts of the consumers that hold the old
// certificates (one at a time, each waited for), and the proof by a fresh scan. No I/O of its own:
// the files, journal, runtime, scans, log, clock and serials are handed in.

import type { Inventory } from '../model/index.js';
import { describeConsumer, staleConsumers, type Consumer } from './consumers.js';
import { pathsOf, KUBEADM_TARGETS, type KubeadmDirs } from './kubeadm-targets.js';
import { kubeadmPathsToRead, planKubeadmRenewal, type KubeadmPlan } from './plan-kubeadm.js';
import type { ConsumerControl, JournaledRun, RenewEdges } from './ports.js';
import { proveRenewal, type Proof } from './prove.js';
import type { RenewReport, RestartRecord } from './render-renew.js';
import { currentPublicKey, renewedFiles, type FileWrite } from './renewed-files.js';
import { newKeyLike } from './sign-certificate.js';

/** What a renewal is asked to do (the command's flags, parsed). */
export interface RenewSettings {
  dirs: KubeadmDirs;
  validityMs: number;
  newKeys: boolean;
  /** restart the container consumers that hold the old certificates (`--no-restart`: false) */
  restart: boolean;
  /** how long a restart and the proof may wait */
  waitMs: number;
  graceSeconds: number;
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

export function planNode(edges: RenewEdges, settings: RenewSettings, now: Date): KubeadmPlan {
  return planKubeadmRenewal({
    dirs: settings.dirs,
    files: edges.files.readAll(kubeadmPathsToRead(settings.dirs)),
    now,
    validityMs: settings.validityMs,
    newKeys: settings.newKeys,
  });
}

export interface SignedPlan {
  writes: FileWrite[];
  /** node path → the SHA-256 the plan was made on (a write refuses when it changed) */
  planned: Record<string, string>;
  refused: RenewReport['refused'];
}

/** The signed files of every due renewal; a renewal refused on its data is reported, not fatal. */
export function signPlan(
  edges: RenewEdges,
  plan: KubeadmPlan,
  settings: RenewSettings,
  now: Date,
): SignedPlan {
  const { files } = edges;
  const out: SignedPlan = { writes: [], planned: {}, refused: [] };
  for (const item of plan.items) {
    if (item.action !== 'renew') continue;
    try {
      const certBytes = files.readPlanned(item.paths.cert, item.sha256[item.paths.cert]);
      const ownKey = item.paths.key
        ? files.readPrivateKey(item.paths.key, item.sha256[item.paths.key])
        : undefined;
      const written = renewedFiles({
        item,
        certBytes,
        caCertBytes: files.readPlanned(item.paths.caCert, undefined),
        caKey: files.readPrivateKey(item.paths.caKey),
        ...(ownKey ? { ownKey } : {}),
        serial: edges.newSerial(),
        now,
        validityMs: settings.validityMs,
        ...(settings.newKeys
          ? { newKey: newKeyLike(ownKey ?? currentPublicKey(item, certBytes)) }
          : {}),
      });
      out.writes.push(...written);
      for (const f of written) {
        const sum = item.sha256[f.path];
        if (sum !== undefined) out.planned[f.path] = sum;
      }
    } catch (err) {
      // Bad data on the node (a changed file, a key that does not parse or match) is reported
      // for this certificate; the others are still renewed.
      out.refused.push({ name: item.name, message: messageOf(err) });
    }
  }
  return out;
}

function commitLogged(edges: RenewEdges, run: JournaledRun, now: Date): RenewReport['resumed'][0] {
  const r = run.commit(now, (e) => {
    edges.log({
      event: 'written',
      run: run.dir,
      path: e.path,
      before: e.before.sha256,
      after: e.after.sha256,
    });
  });
  return { run: run.dir, ...r };
}

/** Finishes every interrupted earlier run (roll forward), so no node stays half renewed. */
export function finishInterrupted(edges: RenewEdges): RenewReport['resumed'] {
  return edges.journal.unfinished().map((run) => {
    edges.log({ event: 'resume', run: run.dir });
    return commitLogged(edges, run, edges.clock.now());
  });
}

/** Writes the signed files as one journaled run. */
export function writeRun(edges: RenewEdges, signed: SignedPlan): RenewReport['run'] {
  if (signed.writes.length === 0) return undefined;
  const now = edges.clock.now();
  const run = edges.journal.prepare(signed.writes, signed.planned, now);
  edges.log({ event: 'prepared', run: run.dir, files: run.entries.map((e) => e.path) });
  const { run: dir, ...r } = commitLogged(edges, run, now);
  edges.log({ event: 'committed', run: dir });
  return { dir, ...r };
}

/** The consumers that will not be restarted here, and why. */
function notRestarted(stale: readonly Consumer[], restart: boolean): RestartRecord[] {
  const out: RestartRecord[] = [];
  for (const c of stale.filter((x) => x.kind === 'process'))
    out.push({
      consumer: c,
      status: 'by-hand',
      detail: `certdrift does not restart host services: systemctl restart ${c.name}`,
    });
  if (!restart)
    for (const c of stale.filter((x) => x.kind === 'container'))
      out.push({ consumer: c, status: 'skipped', detail: 'restarts disabled (--no-restart)' });
  return out;
}

/** Stops each stale container consumer (kubelet starts the next attempt) and waits for it. */
export async function restartConsumers(
  edges: RenewEdges,
  settings: RenewSettings,
  inv: Inventory,
  paths: ReadonlySet<string>,
): Promise<RestartRecord[]> {
  const stale = staleConsumers(inv, paths);
  const records = notRestarted(stale, settings.restart);
  const containers = stale.filter((c) => c.kind === 'container');
  if (!settings.restart || containers.length === 0) return records;
  const cri = await edges.containers((settings.graceSeconds + 30) * 1000);
  try {
    for (const c of containers) {
      const record = await restartOne(edges, cri, settings, c);
      records.push(record);
      if (record.status === 'failed') break; // one at a time: one that does not come back stops the rest
    }
  } finally {
    cri.close();
  }
  return records;
}

async function restartOne(
  edges: RenewEdges,
  cri: ConsumerControl,
  settings: RenewSettings,
  c: Consumer,
): Promise<RestartRecord> {
  edges.log({ event: 'restart', consumer: describeConsumer(c), reason: c.reason });
  try {
    await cri.stop(c.id, settings.graceSeconds);
    const next = await replacementOf(edges, cri, c, settings.waitMs);
    edges.log({ event: 'restarted', consumer: describeConsumer(c), next: next.id });
    return {
      consumer: c,
      status: 'restarted',
      detail: `attempt ${next.attempt} (${next.id.slice(0, 13)}) is running`,
    };
  } catch (err) {
    const detail = messageOf(err);
    edges.log({ event: 'restart-failed', consumer: describeConsumer(c), error: detail });
    return { consumer: c, status: 'failed', detail };
  }
}

async function replacementOf(
  edges: RenewEdges,
  cri: ConsumerControl,
  c: Consumer,
  waitMs: number,
): Promise<{ id: string; attempt: number }> {
  const until = edges.clock.now().getTime() + waitMs;
  while (edges.clock.now().getTime() < until) {
    const next = (await cri.listContainers()).find(
      (x) =>
        x.state === 'running' &&
        x.id !== c.id &&
        x.name === c.name &&
        x.pod.name === c.pod?.name &&
        x.pod.namespace === c.pod.namespace,
    );
    if (next) return next;
    await edges.clock.sleep(250);
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
  edges: RenewEdges,
  settings: RenewSettings,
  paths: ReadonlySet<string>,
): Promise<Proof> {
  const until = edges.clock.now().getTime() + settings.waitMs;
  for (;;) {
    const proof = proveRenewal(await edges.inspect({ probeServed: true }), paths);
    if (proof.ok || proof.holders.length > 0 || edges.clock.now().getTime() >= until) return proof;
    await edges.clock.sleep(1000);
  }
}

/** Restarts what holds the old files of `paths`, then proves the node took the new ones. */
export async function restartAndProve(
  edges: RenewEdges,
  settings: RenewSettings,
  paths: ReadonlySet<string>,
): Promise<{ restarts: RestartRecord[]; proof: Proof }> {
  const inv = await edges.inspect({ probeServed: false });
  const restarts = await restartConsumers(edges, settings, inv, paths);
  return { restarts, proof: await proveNode(edges, settings, paths) };
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));
