// The served-certificate facts of a node: serving endpoints found from the running components'
// command lines (/proc, needs hostPID in a pod) and the static pod manifests under the host
// root, each probed with a TLS handshake (tls-probe.ts), next to the certificate of the file the
// component is configured with. Endpoints are dialled as configured (loopback for wildcard
// binds): from a pod this needs hostNetwork. Read-only; failures are facts, never exceptions.

import { readFileSync } from 'node:fs';
import { parseCertificateFile } from '../../certs/index.js';
import type { CertSummary, Inventory, ServedCertificate } from '../../model/index.js';
import {
  componentOf,
  discoverServingEndpoints,
  flagValue,
  type ComponentCommand,
  type KubeletServing,
} from '../../node/sources/served-endpoints.js';
import { readManifestFiles } from './manifest-files.js';
import { ProcFs, readCapped } from './procfs.js';
import { probeServedCertificate } from './tls-probe.js';

export interface ServedProbeConfig {
  hostRoot: string;
  procRoot: string;
  maxFileSize: number;
  /** per handshake */
  timeoutMs: number;
  manifestsDir?: string;
}

const COMPONENTS = new Set([
  'kube-apiserver',
  'kubelet',
  'etcd',
  'kube-scheduler',
  'kube-controller-manager',
]);

const inRoot = (root: string, p: string): string => (root === '/' ? p : root + p);

function processCommands(procRoot: string): ComponentCommand[] {
  const proc = new ProcFs(procRoot);
  const out: ComponentCommand[] = [];
  let pids: number[];
  try {
    pids = proc.pids();
  } catch {
    return out; // no /proc to read (no hostPID): the manifests still tell
  }
  for (const pid of pids) {
    const p = proc.process(pid);
    if (p.ok && COMPONENTS.has(componentOf(p.value.cmdline)))
      out.push({ source: `pid:${pid}`, argv: p.value.cmdline });
  }
  return out;
}

async function manifestCommands(dir: string): Promise<ComponentCommand[]> {
  const { files } = readManifestFiles([dir], () => '');
  if (files.length === 0) return [];
  // the YAML reader loads only when there are manifests to read (the CLI starts fast otherwise)
  const { readManifests } = await import('../../manifests/read-manifests.js');
  return files.flatMap((f) =>
    readManifests(f.text).workloads.flatMap((w) =>
      w.containers.filter((c) => !c.init).map((c) => ({ source: f.path, argv: c.args })),
    ),
  );
}

/** The KubeletConfiguration fields that pick its serving certificate (a few top-level keys). */
function kubeletServing(
  commands: readonly ComponentCommand[],
  hostRoot: string,
): KubeletServing | undefined {
  const kubelet = commands.find((c) => componentOf(c.argv) === 'kubelet');
  const config = kubelet && flagValue(kubelet.argv, '--config');
  if (!config) return undefined;
  let text: string;
  try {
    text = readFileSync(inRoot(hostRoot, config), 'utf8');
  } catch {
    return undefined; // unreadable config: kubelet's defaults apply to the endpoint we probe
  }
  const key = (k: string): string | undefined =>
    new RegExp(`^${k}:\\s*["']?([^"'\\s#]+)`, 'm').exec(text)?.[1];
  const port = Number(key('port'));
  return {
    ...(Number.isInteger(port) && port > 0 ? { port } : {}),
    ...(key('tlsCertFile') ? { tlsCertFile: key('tlsCertFile') } : {}),
    serverTLSBootstrap: key('serverTLSBootstrap') === 'true',
  };
}

function fileCert(
  cfg: ServedProbeConfig,
  path: string,
): { cert: CertSummary | null; message?: string } {
  try {
    const raw = readCapped(inRoot(cfg.hostRoot, path), cfg.maxFileSize);
    const certs = parseCertificateFile(raw.bytes, { expectCertificates: true }).certs.map(
      (c) => c.facts,
    );
    const leaf = certs.find((c) => !c.isCA) ?? certs[0];
    return leaf ? { cert: leaf } : { cert: null, message: `${path}: no certificate in the file` };
  } catch (err) {
    return { cert: null, message: `${path}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

const summary = (c: CertSummary): CertSummary => ({
  subject: c.subject,
  serial: c.serial,
  notBefore: c.notBefore,
  notAfter: c.notAfter,
  fingerprintSha256: c.fingerprintSha256,
  isCA: c.isCA,
});

export async function probeServedCertificates(
  cfg: ServedProbeConfig,
): Promise<ServedCertificate[]> {
  const commands = [
    ...processCommands(cfg.procRoot),
    ...(await manifestCommands(
      inRoot(cfg.hostRoot, cfg.manifestsDir ?? '/etc/kubernetes/manifests'),
    )),
  ];
  const endpoints = discoverServingEndpoints(commands, kubeletServing(commands, cfg.hostRoot));
  return Promise.all(
    endpoints.map(async (e): Promise<ServedCertificate> => {
      const endpoint = `${e.host.includes(':') ? `[${e.host}]` : e.host}:${e.port}`;
      const probe = await probeServedCertificate({
        host: e.host,
        port: e.port,
        timeoutMs: cfg.timeoutMs,
      });
      const file = e.certFile ? fileCert(cfg, e.certFile) : { cert: null };
      const problem = !probe.ok
        ? { reason: probe.reason, message: probe.message }
        : file.message !== undefined
          ? { reason: 'file_unreadable' as const, message: file.message }
          : undefined;
      return {
        component: e.component,
        endpoint,
        source: e.source,
        ...(e.certFile ? { certFile: e.certFile } : {}),
        served: probe.ok ? probe.cert : null,
        file: file.cert ? summary(file.cert) : null,
        ...(problem ? { problem } : {}),
      };
    }),
  );
}

/** The inventory with the served-certificate facts added (scan and agent call this). */
export async function addServedCertificates(
  inv: Inventory,
  cfg: ServedProbeConfig,
): Promise<Inventory> {
  return { ...inv, served: await probeServedCertificates(cfg) };
}
