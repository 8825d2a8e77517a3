// Shared domain types. Plain data only: every layer reads these, none of them does I/O.

import type { Reason } from './reasons.js';

export type Severity = 'ok' | 'info' | 'warning' | 'critical';

export const SEVERITY_RANK: Readonly<Record<Severity, number>> = {
  ok: 0,
  info: 0,
  warning: 1,
  critical: 2,
};

/** Status of one certificate's validity window against the thresholds. */
export type CertStatus = 'ok' | 'warning' | 'critical' | 'expired' | 'not-yet-valid';

/**
 * What a certificate is for on the node. Derived from file name, subject and usages;
 * `other` when nothing matched (still reported).
 */
export type Component =
  | 'ca'
  | 'kubelet-client'
  | 'kubelet-serving'
  | 'kube-proxy'
  | 'apiserver'
  | 'apiserver-kubelet-client'
  | 'apiserver-etcd-client'
  | 'etcd-server'
  | 'etcd-peer'
  | 'etcd-client'
  | 'scheduler'
  | 'controller-manager'
  | 'front-proxy-client'
  | 'admin'
  | 'kops-controller'
  | 'other';

/** Where a certificate was embedded in a kubeconfig. */
export interface KubeconfigRef {
  /** `user` for users[].user.*, `cluster` for clusters[].cluster.* */
  entry: 'user' | 'cluster';
  /** the users[].name or clusters[].name */
  name: string;
  /** the field, e.g. `client-certificate-data` or `certificate-authority` */
  field: string;
}

export interface CertLocation {
  /** canonical path inside the host root, e.g. `/var/lib/kubelet/pki/kubelet-client-2024.pem` */
  path: string;
  /** symbolic links (inside the host root) that lead to `path`, e.g. `kubelet-client-current.pem` */
  links: string[];
  /** 0-based position of the certificate within the file (bundles hold several) */
  index: number;
  /** set when the certificate is embedded in a kubeconfig (`path` is then the kubeconfig) */
  kubeconfig?: KubeconfigRef;
  /** kubeconfig entries that name this file (`client-certificate: /path`), with their paths */
  referencedBy?: (KubeconfigRef & { path: string })[];
}

/** Parsed facts about one certificate; no private material ever. */
export interface CertFacts {
  subject: string;
  commonName: string;
  organizations: string[];
  issuer: string;
  sans: string[];
  serial: string;
  fingerprintSha256: string;
  notBefore: Date;
  notAfter: Date;
  isCA: boolean;
  selfSigned: boolean;
  /** extended key usages, by name where known (serverAuth, clientAuth) else OID */
  extKeyUsage: string[];
}

export interface Certificate extends CertFacts {
  location: CertLocation;
  component: Component;
}

export interface ItemError {
  /** path inside the host root (or a pseudo-path such as a glob for discovery errors) */
  path: string;
  reason: Reason;
  message: string;
  /** for errors inside a file: which block / kubeconfig entry */
  detail?: string;
}

/** A file that certdrift read, with what it held. */
export interface ScannedFile {
  path: string;
  links: string[];
  format: 'pem' | 'der' | 'pkcs7' | 'pkcs12' | 'kubeconfig' | 'unknown';
  certificates: number;
  privateKeys: number;
}

export interface Inventory {
  hostRoot: string;
  presets: string[];
  files: ScannedFile[];
  certificates: Certificate[];
  errors: ItemError[];
  /** containers and host processes examined for drift (empty when not looked at) */
  workloads: Workload[];
  /** each source of facts and whether it answered */
  sources: SourceStatus[];
}

/** One thing a check has to say about the node. */
export interface Finding {
  /** stable code, e.g. CERT_EXPIRED */
  code: string;
  severity: Severity;
  /** one line a person reads first */
  title: string;
  /** what was observed, as short `key: value` facts */
  evidence: Record<string, string>;
  /** why it happened, when that is known and not obvious (e.g. drift's true mechanism) */
  cause?: string;
  /** what to do about it */
  remedy: string;
  /** the path (or object) the finding is about */
  subject: string;
  /** the workload id (container id, pid:N) a drift finding is about, for `certdrift fix` */
  target?: string;
}

export interface Thresholds {
  /** residual time below which a certificate is `warning`, in milliseconds */
  warnMs: number;
  /** residual time below which a certificate is `critical`, in milliseconds */
  criticalMs: number;
}

export const DAY_MS = 86_400_000;

// ---- Drift: what running containers and processes see or hold, against the node's files ----

export type DeclaredPropagation = 'private' | 'host-to-container' | 'bidirectional';
/** From the optional fields of /proc/<pid>/mountinfo: shared:N, master:N, or neither. */
export type EffectivePropagation = 'private' | 'slave' | 'shared' | 'unbindable';

/** The few facts about a certificate needed to show two of them side by side. */
export interface CertSummary {
  subject: string;
  serial: string;
  notBefore: Date;
  notAfter: Date;
  fingerprintSha256: string;
  isCA: boolean;
}

/** One file as seen from one side (the node, or inside a process's mount namespace). */
export interface FileView {
  dev: number;
  ino: number;
  size: number;
  /** last modification and status-change times (a rename sets the new inode's ctime) */
  mtime: Date;
  ctime: Date;
  sha256: string;
  certificates: CertSummary[];
}

/** A certificate-carrying file reachable through a mount, compared on both sides. */
export interface FileComparison {
  /** path on the node, inside the host root */
  hostPath: string;
  /** the same file's path inside the container */
  containerPath: string;
  host: FileView | null;
  container: FileView | null;
  /** why a side could not be read (reason code + message) */
  problem?: { reason: import('./reasons.js').Reason; message: string };
}

export interface MountFacts {
  containerPath: string;
  /** the node path the mount comes from (CRI's host_path, or resolved from mountinfo) */
  hostPath: string;
  kind: 'file' | 'dir';
  declared?: DeclaredPropagation;
  effective?: EffectivePropagation;
  /** mountinfo's root field ends in `//deleted`: the mount pins an unlinked inode */
  deleted: boolean;
  /** mountinfo root field as read (for evidence) */
  mountRoot?: string;
  files: FileComparison[];
  /** mount points the node has at or under hostPath that the container does not have */
  hiddenHostMounts: string[];
}

export type WorkloadState = 'running' | 'exited' | 'created' | 'unknown';

export interface Workload {
  kind: 'container' | 'process';
  /** container id, or `pid:<n>` for host processes */
  id: string;
  /** container name (kube-proxy) or process name */
  name: string;
  pod?: { namespace: string; name: string; uid: string };
  attempt?: number;
  state: WorkloadState;
  createdAt?: Date;
  startedAt?: Date;
  finishedAt?: Date;
  pid?: number;
  /** the component this workload is, when certdrift knows it (kube-proxy, kubelet…) */
  component?: string;
  /** loads its certificates once at start and never again (kube-proxy, static control plane…) */
  loadsCertsOnce: boolean;
  mounts: MountFacts[];
  /** for host processes: certificate files named on the command line or in its kubeconfig */
  certFiles: FileComparison[];
}

export interface SourceStatus {
  /** `cri`, `proc`, `files` */
  source: string;
  endpoint?: string;
  up: boolean;
  message?: string;
}
