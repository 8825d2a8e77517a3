// `certdrift renew`: renew a node's certificates in place and prove every consumer took them.
// kubeadm: what `kubeadm certs renew all` renews, signed here by the node's own CAs; then the
// consumers that hold the old certificates are restarted one at a time and a fresh scan must
// show none left. k3s / RKE2: their documented rotation steps, for what was detected. Dry run by
// default; --apply acts; --rollback puts a run's originals back byte for byte.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ScanConfig } from '../config/scan-config.js';
import { RenewRun } from '../../adapters/host/renew-journal.js';
import { inRoot } from '../../adapters/host/renew-files.js';
import { WriteRefused } from '../../adapters/host/safe-write.js';
import { renderRenewText, type RenewReport } from '../../renew/render-renew.js';
import { escapeTerminalLines } from '../../model/escape.js';
import type { CommandDef, Io, Values } from '../command.js';
import { TABLE_OR_JSON_OPTION, UsageError } from '../command.js';
import { OperationalError } from '../errors.js';
import { actionLog, renewEdges, withLock, type RenewOptions } from '../renew-session.js';
import {
  finishInterrupted,
  kubeadmFiles,
  planNode,
  restartAndProve,
  signPlan,
  writeRun,
} from '../../renew/renew-node.js';
import { rancherReport } from '../renew-rancher.js';
import { loadScanConfig, DISCOVERY_OPTIONS, scanOptions } from '../scan-options.js';

const DAY_MS = 86_400_000;

/** `365` / `365d` days, `8760h` hours (kubeadm's certificateValidityPeriod is a Go duration). */
export function parseValidity(v: string): number {
  const m = /^(\d+)(d|h)?$/.exec(v.trim());
  const n = Number(m?.[1]);
  if (!m || !(n > 0))
    throw new UsageError(`--validity ${JSON.stringify(v)}: use days (365, 365d) or hours (8760h)`);
  const ms = m[2] === 'h' ? n * 3_600_000 : n * DAY_MS;
  if (ms < DAY_MS * 2) throw new UsageError('--validity must be at least 2 days');
  return ms;
}

function renewOptions(values: Values, config: ScanConfig): RenewOptions {
  const str = (k: string): string | undefined => {
    const v = values[k];
    return typeof v === 'string' ? v : undefined;
  };
  const node = (p: string): string => inRoot(config.hostRoot, p);
  const num = (k: string, d: number): number => {
    const v = str(k);
    if (v === undefined) return d;
    const n = Number(v);
    if (!(n > 0)) throw new UsageError(`--${k} must be a positive number of seconds`);
    return n;
  };
  return {
    apply: values.apply === true,
    dirs: {
      certDir: (str('cert-dir') ?? '/etc/kubernetes/pki').replace(/\/+$/, ''),
      kubeconfigDir: (str('kubeconfig-dir') ?? '/etc/kubernetes').replace(/\/+$/, ''),
    },
    validityMs: parseValidity(str('validity') ?? '365d'),
    newKeys: values['new-keys'] === true,
    backupDir: str('backup-dir') ?? node('/var/lib/certdrift/backups'),
    lockFile: str('lock-file') ?? node('/run/certdrift/fix.lock'),
    logFile: str('log-file') ?? node('/var/log/certdrift/renew.log'),
    restart: values['no-restart'] !== true,
    waitMs: num('wait', 60) * 1000,
    graceSeconds: num('grace', 30),
  };
}

function emit(report: RenewReport, values: Values, apply: boolean, io: Io): void {
  if (values.output === 'json') io.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else io.stdout.write(escapeTerminalLines(renderRenewText(report, apply)));
}

const failedRestart = (r: RenewReport): boolean => r.restarts.some((x) => x.status === 'failed');

async function rollback(
  config: ScanConfig,
  opts: RenewOptions,
  dir: string,
  values: Values,
  io: Io,
): Promise<number> {
  return withLock(opts, async () => {
    const log = actionLog(opts.logFile);
    let run: RenewRun;
    try {
      run = RenewRun.open(resolve(dir));
    } catch (err) {
      throw new OperationalError(
        `--rollback ${dir}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    if (run.hostRoot !== config.hostRoot)
      throw new OperationalError(
        `${dir} was made for host root ${run.hostRoot}, not ${config.hostRoot}`,
      );
    log({ event: 'rollback', run: run.dir });
    const r = run.rollback(new Date());
    for (const p of r.restored) log({ event: 'restored', run: run.dir, path: p });
    const paths = new Set(run.entries.map((e) => e.path));
    const report: RenewReport = {
      kind: 'RenewRollback',
      hostRoot: config.hostRoot,
      resumed: [],
      refused: [],
      rollback: { run: run.dir, ...r },
      ...(await restartAndProve(renewEdges(config, opts), opts, paths)),
    };
    emit(report, values, true, io);
    return r.refused.length > 0 || failedRestart(report) || report.proof?.ok !== true ? 2 : 0;
  });
}

/** Without --apply: what would be renewed, nothing written. Exit 1 when something is due. */
function showRenewPlan(config: ScanConfig, opts: RenewOptions, values: Values, io: Io): number {
  const plan = planNode(renewEdges(config, opts), opts, new Date());
  emit(
    {
      kind: 'RenewPlan',
      hostRoot: config.hostRoot,
      plan,
      resumed: [],
      refused: [],
      restarts: [],
    },
    values,
    false,
    io,
  );
  return plan.items.some((i) => i.action === 'renew') ? 1 : 0;
}

/**
 * With --apply, under the lock: finish an interrupted run, renew what the plan says, restart
 * what holds the old certificates, and prove the node serves and uses the new ones.
 */
async function renewAndProve(
  config: ScanConfig,
  opts: RenewOptions,
  values: Values,
  io: Io,
): Promise<number> {
  const edges = renewEdges(config, opts);
  const resumed = finishInterrupted(edges);
  const now = new Date();
  const plan = planNode(edges, opts, now);
  edges.log({
    event: 'plan',
    renew: plan.items.filter((i) => i.action === 'renew').map((i) => i.name),
    skip: plan.items.filter((i) => i.action === 'skip').map((i) => `${i.name}: ${i.code}`),
  });
  const signed = signPlan(edges, plan, opts, now);
  for (const r of signed.refused) edges.log({ event: 'refused', ...r });
  const run = writeRun(edges, signed);
  const { restarts, proof } = await restartAndProve(edges, opts, kubeadmFiles(opts.dirs));
  edges.log({
    event: 'proof',
    ok: proof.ok,
    holders: proof.holders.map((h) => h.id),
    served: proof.served.length,
  });
  const report: RenewReport = {
    kind: 'RenewResult',
    hostRoot: config.hostRoot,
    plan,
    resumed,
    ...(run ? { run } : {}),
    refused: signed.refused,
    restarts,
    proof,
  };
  emit(report, values, true, io);
  return signed.refused.length > 0 || failedRestart(report) || !proof.ok ? 2 : 0;
}

async function renewKubeadm(
  config: ScanConfig,
  opts: RenewOptions,
  values: Values,
  io: Io,
): Promise<number> {
  if (!opts.apply) return showRenewPlan(config, opts, values, io);
  return withLock(opts, () => renewAndProve(config, opts, values, io));
}

async function runRenew(values: Values, positionals: string[], io: Io): Promise<number> {
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const config = await loadScanConfig(values, io);
  const opts = renewOptions(values, config);
  try {
    if (typeof values.rollback === 'string')
      return await rollback(config, opts, values.rollback, values, io);
    const kubeadm = ['ca.crt', 'ca.key'].some((f) =>
      existsSync(inRoot(config.hostRoot, `${opts.dirs.certDir}/${f}`)),
    );
    if (kubeadm) return await renewKubeadm(config, opts, values, io);
    const rancher = await rancherReport(config, opts, io.env);
    if (rancher) {
      emit(rancher.report, values, opts.apply, io);
      return rancher.code;
    }
    throw new OperationalError(
      `nothing certdrift can renew here: no kubeadm CA in ${opts.dirs.certDir} and no k3s or RKE2 under /var/lib/rancher (host root ${config.hostRoot})`,
    );
  } catch (err) {
    if (err instanceof WriteRefused) {
      io.stderr.write(`certdrift renew: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

export const renewCommand: CommandDef = {
  name: 'renew',
  summary:
    'renew certificates in place and prove every consumer holds the new ones (plan first, --apply to act)',
  usage: 'certdrift renew [--apply] [--validity 365d] [--new-keys] [--rollback DIR] [scan options]',
  description: [
    'kubeadm control planes: renews what `kubeadm certs renew all` renews (apiserver,',
    'apiserver-kubelet-client, apiserver-etcd-client, front-proxy-client, etcd server/peer/',
    'healthcheck-client, and the client certificates embedded in admin.conf, super-admin.conf,',
    'controller-manager.conf, scheduler.conf): same subject, SANs, key usages and extensions,',
    'signed by the CA on disk (ca, etcd/ca, front-proxy-ca), a new serial, the same key unless',
    '--new-keys. A certificate whose CA key is absent (external CA) is skipped and said so; one',
    "renewing would extend by less than a day is fresh and left alone. kubelet's own client",
    'certificate is checked and left to kubelet rotation.',
    '',
    'Then every running consumer that still holds or sees an older certificate than its file (a',
    'single-file mount, or a component that loads the file once) is restarted, one at a time:',
    'static pods by stopping their container (kubelet starts the next attempt; certdrift waits for',
    'it). Host services are named, not restarted. Finally a fresh scan must show no consumer',
    'behind its files and every local TLS endpoint serving its renewed file.',
    '',
    'k3s / RKE2: prints the documented rotation for what was detected (server: stop, `certificate',
    'rotate`, start; agent: restart); --apply runs it when certdrift runs on the host itself.',
    '',
    'With --apply: the node lock (shared with fix), every file backed up byte for byte in one run',
    'directory with a journal, atomic writes keeping owner and mode, refusing files changed since',
    'planning; an interrupted run is finished by the next one. --rollback DIR restores a run.',
    '',
    'Exit codes: 0 renewed and proven (or nothing due), 1 renewals planned (dry run),',
    '2 a renewal was refused, a restart failed or the proof failed, 3 could not run.',
  ].join('\n'),
  options: {
    ...scanOptions(DISCOVERY_OPTIONS),
    apply: {
      type: 'boolean',
      description: 'renew, restart and prove (default: show the plan only)',
    },
    validity: {
      type: 'string',
      value: 'DURATION',
      description: 'validity of renewed certificates: days (365, 365d) or hours (8760h)',
      shownDefault: '365d (kubeadm: 8760h)',
    },
    'new-keys': {
      type: 'boolean',
      description: 'generate new private keys (same kind and size) instead of reusing them',
    },
    'cert-dir': {
      type: 'string',
      value: 'DIR',
      description: "kubeadm's certificatesDir, inside the host root",
      shownDefault: '/etc/kubernetes/pki',
    },
    'kubeconfig-dir': {
      type: 'string',
      value: 'DIR',
      description: 'where admin.conf and the other kubeconfigs are, inside the host root',
      shownDefault: '/etc/kubernetes',
    },
    'backup-dir': {
      type: 'string',
      value: 'DIR',
      description: 'where each run keeps its backups and journal',
      shownDefault: '<host-root>/var/lib/certdrift/backups',
    },
    rollback: {
      type: 'string',
      value: 'DIR',
      description: 'restore the originals a run replaced (a renew-* directory under --backup-dir)',
    },
    'lock-file': {
      type: 'string',
      value: 'FILE',
      description: 'one fix or renew per node at a time',
      shownDefault: '<host-root>/run/certdrift/fix.lock',
    },
    'log-file': {
      type: 'string',
      value: 'FILE',
      description: 'action log, JSON lines',
      shownDefault: '<host-root>/var/log/certdrift/renew.log',
    },
    'no-restart': {
      type: 'boolean',
      description: 'write only; consumers holding old certificates then fail the proof',
    },
    wait: {
      type: 'string',
      value: 'SECONDS',
      description:
        'how long to wait for each restarted container, and for endpoints to serve the new files',
      shownDefault: '60',
    },
    grace: {
      type: 'string',
      value: 'SECONDS',
      description: 'stop grace period per container',
      shownDefault: '30',
    },
    output: TABLE_OR_JSON_OPTION,
  },
  examples: [
    'certdrift renew                      # what would be renewed, and why',
    'certdrift renew --apply              # renew, restart the consumers, prove it',
    'certdrift renew --rollback /var/lib/certdrift/backups/renew-2026-…',
  ],
  run: runRenew,
};
