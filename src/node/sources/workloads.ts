// The drift half of a node scan: for every container (CRI, else the /proc fallback) and every
// known host process, what its certificate files look like from inside its mount namespace
// compared with the node's files, its mounts' propagation, and its start time. Facts only; the
// checks decide what they mean. Read-only: nothing is written anywhere.

import { parseCertificateFile } from '../../certs/index.js';
import type { MountEntry, NodeFiles, ProcView, RawFile } from '../ports.js';
import { mountFor } from './mount-paths.js';
import type {
  CertSummary,
  FileComparison,
  FileView,
  Inventory,
  ItemError,
  MountFacts,
  SourceStatus,
  Workload,
} from '../../model/index.js';
import type { ContainerRuntime, RuntimeContainer } from '../ports.js';
import { fileFlags } from '../usage/index.js';
import { isTrustStore } from './mount-paths.js';

export interface WorkloadScanConfig {
  maxFileSize: number;
  /** container or process names that load their certificates once at start */
  loadsOnce: readonly string[];
  /** mount host paths → canonical in-root paths (symbolic links resolved), from followMounts */
  canonical?: ReadonlyMap<string, string>;
}

export interface WorkloadDeps {
  /** the CRI runtime, or null to go straight to the fallback */
  runtime: ContainerRuntime | null;
  /** used when the CRI runtime is missing or fails: the /proc view (runtime/proc-runtime.ts) */
  fallback: ContainerRuntime;
  proc: ProcView;
  /** the node's files: the node side of every comparison is read through this confined edge */
  files: NodeFiles;
}

/** Host processes certdrift knows; the flags that name their files are in usage/cert-flags.ts. */
const HOST_COMPONENTS: ReadonlySet<string> = new Set([
  'kubelet',
  'kube-proxy',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'etcd',
]);

function summaries(bytes: Buffer): CertSummary[] {
  return parseCertificateFile(bytes, { expectCertificates: true }).certs.map((c) => ({
    subject: c.facts.subject,
    serial: c.facts.serial,
    notBefore: c.facts.notBefore,
    notAfter: c.facts.notAfter,
    fingerprintSha256: c.facts.fingerprintSha256,
    isCA: c.facts.isCA,
    ...(c.facts.subjectKeyId !== undefined ? { subjectKeyId: c.facts.subjectKeyId } : {}),
    ...(c.facts.authorityKeyId !== undefined ? { authorityKeyId: c.facts.authorityKeyId } : {}),
  }));
}

function view(raw: RawFile): FileView {
  const { bytes, ...rest } = raw;
  return { ...rest, certificates: summaries(bytes) };
}

export class WorkloadScanner {
  private readonly certFiles: ReadonlySet<string>;
  private readonly nodeMounts: MountEntry[];
  readonly errors: ItemError[] = [];

  constructor(
    private readonly deps: WorkloadDeps,
    private readonly inv: Inventory,
    private readonly cfg: WorkloadScanConfig,
  ) {
    this.certFiles = new Set(inv.files.filter((f) => f.certificates > 0).map((f) => f.path));
    const nm = deps.proc.mountinfo(deps.proc.nodePid());
    this.nodeMounts = nm.ok ? nm.value : [];
  }

  private canon(p: string): string {
    return this.cfg.canonical?.get(p) ?? p;
  }

  /** The node's side of a file: read through the confined node-file edge. */
  private hostView(path: string): { view: FileView | null; problem?: FileComparison['problem'] } {
    const r = this.deps.files.readRaw(path, this.cfg.maxFileSize);
    if (r.ok) return { view: view(r.raw) };
    return { view: null, problem: { reason: r.error.reason, message: r.error.message } };
  }

  compare(pid: number, hostPath: string, containerPath: string): FileComparison {
    const host = this.hostView(hostPath);
    const inside = this.deps.proc.readAs(pid, containerPath, this.cfg.maxFileSize);
    const out: FileComparison = {
      hostPath,
      containerPath,
      host: host.view,
      container: inside.ok ? view(inside.value) : null,
    };
    if (!inside.ok) {
      out.problem = {
        reason: inside.reason === 'process_gone' ? 'process_gone' : 'container_view_unreadable',
        message: inside.message,
      };
    } else if (host.problem) out.problem = host.problem;
    return out;
  }

  private mountFacts(c: RuntimeContainer, pid: number, mounts: MountEntry[]): MountFacts[] {
    const out: MountFacts[] = [];
    for (const m of c.mounts) {
      // The canonical node path: a mount of a symbolic link is a mount of its target.
      const hostPath = this.canon(m.hostPath);
      const isFile = this.certFiles.has(hostPath);
      const trustStore = !isFile && isTrustStore(hostPath);
      const prefix = hostPath.endsWith('/') ? hostPath : `${hostPath}/`;
      const inside =
        isFile || trustStore ? [] : [...this.certFiles].filter((f) => f.startsWith(prefix));
      const entry = [...mounts].reverse().find((e) => e.mountPoint === m.containerPath);
      const hidden = isFile ? [] : this.hiddenHostMounts(m.hostPath, m.containerPath, mounts);
      if (!isFile && !trustStore && inside.length === 0 && hidden.length === 0) continue;
      const files = isFile
        ? [this.compare(pid, hostPath, m.containerPath)]
        : inside.map((f) => this.compare(pid, f, m.containerPath + f.slice(hostPath.length)));
      out.push({
        containerPath: m.containerPath,
        hostPath: m.hostPath,
        kind: isFile ? 'file' : 'dir',
        ...(trustStore ? { trustStore: true } : {}),
        ...(m.declared ? { declared: m.declared } : {}),
        ...(entry
          ? {
              effective: entry.propagation,
              mountRoot: entry.deleted ? `${entry.root}//deleted` : entry.root,
            }
          : {}),
        deleted: entry?.deleted ?? false,
        files,
        hiddenHostMounts: hidden,
      });
    }
    return out;
  }

  /** Node mount points at or under hostPath with no counterpart under containerPath. */
  private hiddenHostMounts(
    hostPath: string,
    containerPath: string,
    mounts: MountEntry[],
  ): string[] {
    const prefix = hostPath.endsWith('/') ? hostPath : `${hostPath}/`;
    const base = mountFor(this.nodeMounts, hostPath);
    return this.nodeMounts
      .filter((n) => n.mountPoint.startsWith(prefix) && n !== base)
      .filter((n) => {
        const want = containerPath + n.mountPoint.slice(hostPath.length);
        return !mounts.some((m) => m.mountPoint === want);
      })
      .map((n) => n.mountPoint);
  }

  containerWorkload(c: RuntimeContainer): Workload {
    const loadsOnce = this.cfg.loadsOnce.includes(c.name);
    const w: Workload = {
      kind: 'container',
      id: c.id,
      name: c.name,
      ...(c.pod.name ? { pod: c.pod } : {}),
      attempt: c.attempt,
      state: c.state,
      ...(c.createdAt ? { createdAt: c.createdAt } : {}),
      ...(c.startedAt ? { startedAt: c.startedAt } : {}),
      ...(c.finishedAt ? { finishedAt: c.finishedAt } : {}),
      ...(c.pid !== undefined ? { pid: c.pid } : {}),
      ...(this.cfg.loadsOnce.includes(c.name) || HOST_COMPONENTS.has(c.name)
        ? { component: c.name }
        : {}),
      loadsCertsOnce: loadsOnce,
      mounts: [],
      certFiles: [],
    };
    if (c.state !== 'running' || c.pid === undefined) return w;
    const mi = this.deps.proc.mountinfo(c.pid);
    if (!mi.ok) {
      this.errors.push({
        path: `container ${c.name} ${c.id.slice(0, 13)}`,
        reason: mi.reason === 'not_found' ? 'process_gone' : mi.reason,
        message: mi.message,
      });
      return w;
    }
    w.mounts = this.mountFacts(c, c.pid, mi.value);
    for (const f of w.mounts.flatMap((m) => m.files)) {
      if (f.problem?.reason === 'process_gone') {
        this.errors.push({
          path: `container ${c.name} ${c.id.slice(0, 13)}`,
          reason: 'process_gone',
          message: f.problem.message,
        });
        w.mounts = [];
        break;
      }
    }
    return w;
  }

  /** Known components running directly on the node (kubelet; kube-proxy outside a pod…). */
  hostProcesses(): Workload[] {
    const host = this.deps.proc.process(this.deps.proc.nodePid());
    if (!host.ok) return [];
    const out: Workload[] = [];
    for (const pid of this.deps.proc.pids()) {
      const p = this.deps.proc.process(pid);
      if (!p.ok || p.value.mountNs !== host.value.mountNs) continue;
      if (!HOST_COMPONENTS.has(p.value.comm)) continue;
      const flagged = fileFlags(p.value.cmdline.slice(1)).filter(
        (f) => f.flag !== '--config' || p.value.comm === 'kubelet',
      );
      const files = new Set(flagged.map((f) => this.canon(f.path)));
      const certFiles = [...files]
        .filter((f) => this.certFiles.has(f))
        .map((f) => {
          const host = this.hostView(f);
          return {
            hostPath: f,
            containerPath: f,
            host: host.view,
            container: null,
            ...(host.problem ? { problem: host.problem } : {}),
          };
        });
      out.push({
        kind: 'process',
        id: `pid:${pid}`,
        name: p.value.comm,
        state: 'running',
        startedAt: p.value.startedAt,
        pid,
        component: p.value.comm,
        loadsCertsOnce: this.cfg.loadsOnce.includes(p.value.comm),
        mounts: [],
        certFiles,
        fileFlags: flagged,
      });
    }
    return out;
  }
}

export async function listFrom(
  rt: ContainerRuntime,
): Promise<{ containers: RuntimeContainer[] | null; status: SourceStatus }> {
  const at = { source: rt.source, endpoint: rt.endpoint };
  try {
    return { containers: await rt.listContainers(), status: { ...at, up: true } };
  } catch (err) {
    return {
      containers: null,
      status: { ...at, up: false, message: err instanceof Error ? err.message : String(err) },
    };
  }
}

/**
 * Lists containers (CRI, falling back to /proc when the runtime is missing or fails), examines
 * each running one, adds known host processes. The runtime's failure is a source status and an
 * error line, never the end of the scan.
 */
export async function listContainers(
  deps: Pick<WorkloadDeps, 'runtime' | 'fallback'>,
): Promise<{ containers: RuntimeContainer[]; sources: SourceStatus[] }> {
  // CRI first; the /proc view when there is no runtime socket or it fails.
  const cri = deps.runtime ? await listFrom(deps.runtime) : undefined;
  const chosen = cri?.containers ? cri : await listFrom(deps.fallback);
  const sources =
    chosen === cri ? [cri.status] : [cri?.status, chosen.status].filter((x) => x !== undefined);
  return { containers: chosen.containers ?? [], sources };
}

/** Examines listed containers and the node's known host processes against the inventory. */
export function examineWorkloads(
  deps: WorkloadDeps,
  inv: Inventory,
  containers: readonly RuntimeContainer[],
  cfg: WorkloadScanConfig,
): { workloads: Workload[]; errors: ItemError[] } {
  const scanner = new WorkloadScanner(deps, inv, cfg);
  const workloads = containers.map((c) => scanner.containerWorkload(c));
  workloads.push(...scanner.hostProcesses());
  return { workloads, errors: scanner.errors };
}

export async function scanWorkloads(
  deps: WorkloadDeps,
  inv: Inventory,
  cfg: WorkloadScanConfig,
): Promise<{ workloads: Workload[]; errors: ItemError[]; sources: SourceStatus[] }> {
  const { containers, sources } = await listContainers(deps);
  const scanner = new WorkloadScanner(deps, inv, cfg);
  const workloads = containers.map((c) => scanner.containerWorkload(c));
  workloads.push(...scanner.hostProcesses());
  return { workloads, errors: scanner.errors, sources };
}
