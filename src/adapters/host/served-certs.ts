// The served-certificate facts of a node: serving endpoints found from the running components'
// command lines (/proc, needs hostPID in a pod) and the static pod manifests, each probed with a
// TLS handshake (tls-probe.ts), next to the certificate of the file the component is configured
// with. A node source like the others: every file (manifests, kubelet's config, certificates) is
// read through the confined NodeFiles reader, so `..` and absolute links stay in the host root.
//
// What may be dialled (served/choose-dials.ts): only the address a LISTEN socket of the component's
// own process is bound to in this network namespace — loopback, a wildcard bind (dialled as
// loopback), or an address of the node's own interfaces. A flag or a manifest names a port, never
// a host to dial; names are never resolved. At most MAX_ENDPOINTS per scan, PROBE_CONCURRENCY at a
// time; each endpoint not dialled is reported with its reason. Read-only; failures are facts.

import { parseCertificateFile } from '../../certs/index.js';
import type { CertSummary, Inventory, ServedCertificate } from '../../model/index.js';
import {
  chooseDials,
  MAX_ENDPOINTS,
  type Dial,
  type Skipped,
} from '../../node/sources/choose-dials.js';
import {
  componentOf,
  discoverServingEndpoints,
  flagValue,
  type ComponentCommand,
  type KubeletServing,
} from '../../node/sources/served-endpoints.js';
import { readKubeletServing } from '../../node/usage/index.js';
import type { NodeFiles } from './index.js';
import { localAddresses, readListeningProcesses } from './listeners.js';
import { STATIC_POD_DIRS, readStaticPodManifests } from '../../node/sources/static-pods.js';
import { openNodeFiles } from './node-files.js';
import { ProcFs } from './procfs.js';
import type { ProbeTarget, ProbeResult } from './tls-probe.js';

export interface ServedProbeConfig {
  hostRoot: string;
  procRoot: string;
  maxFileSize: number;
  /** per handshake */
  timeoutMs: number;
  manifestsDir?: string;
  /** endpoints dialled per scan (default MAX_ENDPOINTS) */
  maxEndpoints?: number;
  /** the node's interface addresses (default: this network namespace's) */
  localAddresses?: readonly string[];
}

/** handshakes in flight at once: a scan never opens more sockets than this */
export const PROBE_CONCURRENCY = 8;

const COMPONENTS = new Set([
  'kube-apiserver',
  'kubelet',
  'etcd',
  'kube-scheduler',
  'kube-controller-manager',
]);

interface Running extends ComponentCommand {
  pid: number;
  component: string;
}

function runningComponents(procRoot: string): Running[] {
  const proc = new ProcFs(procRoot);
  const out: Running[] = [];
  let pids: number[];
  try {
    pids = proc.pids();
  } catch {
    return out; // no /proc to read (no hostPID): nothing runs that we may dial
  }
  for (const pid of pids) {
    const p = proc.process(pid);
    const component = p.ok ? componentOf(p.value.cmdline) : '';
    if (p.ok && COMPONENTS.has(component))
      out.push({ source: `pid:${pid}`, argv: p.value.cmdline, pid, component });
  }
  return out;
}

async function manifestCommands(
  files: NodeFiles,
  dir: string | undefined,
  maxFileSize: number,
): Promise<ComponentCommand[]> {
  const found = await readStaticPodManifests(files, dir ? [dir] : STATIC_POD_DIRS, maxFileSize);
  if (found.length === 0) return [];
  // the YAML reader loads only when there are manifests to read (the CLI starts fast otherwise)
  const { readManifests } = await import('../../manifests/read-manifests.js');
  return found.flatMap((f) =>
    readManifests(f.text).workloads.flatMap((w) =>
      w.containers.filter((c) => !c.init).map((c) => ({ source: f.path, argv: c.args })),
    ),
  );
}

/** The KubeletConfiguration fields that pick its serving certificate, from its --config file. */
async function kubeletServing(
  files: NodeFiles,
  commands: readonly ComponentCommand[],
  maxFileSize: number,
): Promise<KubeletServing | undefined> {
  const kubelet = commands.find((c) => componentOf(c.argv) === 'kubelet');
  const config = kubelet && flagValue(kubelet.argv, '--config');
  if (!config?.startsWith('/')) return undefined; // relative to kubelet's working directory
  const r = await files.resolveAndRead(config, maxFileSize);
  // unreadable config: kubelet's defaults apply to the endpoint we probe
  return r.ok ? readKubeletServing(r.bytes.toString('utf8')) : undefined;
}

async function fileCert(
  files: NodeFiles,
  path: string,
  maxFileSize: number,
): Promise<{ cert: CertSummary | null; message?: string }> {
  if (!path.startsWith('/'))
    return { cert: null, message: `${path}: relative to the component's working directory` };
  const r = await files.resolveAndRead(path, maxFileSize);
  if (!r.ok) return { cert: null, message: r.error.message };
  const certs = parseCertificateFile(r.bytes, { expectCertificates: true }).certs.map(
    (c) => c.facts,
  );
  const leaf = certs.find((c) => !c.isCA) ?? certs[0];
  return leaf ? { cert: leaf } : { cert: null, message: `${path}: no certificate in the file` };
}

const summary = (c: CertSummary): CertSummary => ({
  subject: c.subject,
  serial: c.serial,
  notBefore: c.notBefore,
  notAfter: c.notAfter,
  fingerprintSha256: c.fingerprintSha256,
  isCA: c.isCA,
});

const hostPort = (host: string, port: number): string =>
  `${host.includes(':') ? `[${host}]` : host}:${port}`;

/** `fn` over `items`, at most `limit` at a time, results in input order. */
async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function skippedFact(s: Skipped): ServedCertificate {
  const e = s.endpoint;
  return {
    component: e.component,
    // what the command line named, never dialled
    endpoint: hostPort(e.host, e.port),
    source: e.source,
    ...(e.certFile ? { certFile: e.certFile } : {}),
    served: null,
    file: null,
    problem: { reason: s.reason, message: s.message },
  };
}

async function probedFact(
  files: NodeFiles,
  cfg: ServedProbeConfig,
  d: Dial,
  probeServedCertificate: (t: ProbeTarget) => Promise<ProbeResult>,
): Promise<ServedCertificate> {
  const e = d.endpoint;
  const probe = await probeServedCertificate({
    host: d.host,
    port: d.port,
    timeoutMs: cfg.timeoutMs,
  });
  const file = e.certFile ? await fileCert(files, e.certFile, cfg.maxFileSize) : { cert: null };
  const problem = !probe.ok
    ? { reason: probe.reason, message: probe.message }
    : file.message !== undefined
      ? { reason: 'file_unreadable' as const, message: file.message }
      : undefined;
  return {
    component: e.component,
    endpoint: hostPort(d.host, d.port),
    source: e.source,
    ...(e.certFile ? { certFile: e.certFile } : {}),
    served: probe.ok ? probe.cert : null,
    file: file.cert ? summary(file.cert) : null,
    ...(problem ? { problem } : {}),
  };
}

export async function probeServedCertificates(
  cfg: ServedProbeConfig,
  files: NodeFiles = openNodeFiles(cfg.hostRoot),
): Promise<ServedCertificate[]> {
  const running = runningComponents(cfg.procRoot);
  const commands = [
    ...running,
    ...(await manifestCommands(files, cfg.manifestsDir, cfg.maxFileSize)),
  ];
  const endpoints = discoverServingEndpoints(
    commands,
    await kubeletServing(files, commands, cfg.maxFileSize),
  );
  const plan = chooseDials(
    endpoints,
    readListeningProcesses(cfg.procRoot, running),
    cfg.localAddresses ?? localAddresses(),
    cfg.maxEndpoints ?? MAX_ENDPOINTS,
  );
  if (plan.dial.length === 0) return plan.skipped.map(skippedFact);
  // node:tls (~7 MB of RSS once loaded) only on a node with something to dial (issue #25)
  const { probeServedCertificate } = await import('./tls-probe.js');
  const probed = await mapBounded(plan.dial, PROBE_CONCURRENCY, (d) =>
    probedFact(files, cfg, d, probeServedCertificate),
  );
  return [...probed, ...plan.skipped.map(skippedFact)];
}

/** The inventory with the served-certificate facts added (scan and agent call this). */
export async function addServedCertificates(
  inv: Inventory,
  cfg: ServedProbeConfig,
): Promise<Inventory> {
  return { ...inv, served: await probeServedCertificates(cfg) };
}
