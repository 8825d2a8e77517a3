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
  /** subject / authority key identifier as kube-apiserver logs them (`AB:CD:…`), when present */
  subjectKeyId?: string;
  authorityKeyId?: string;
}

/**
 * Who uses a certificate, and the evidence for it — always read off the node itself (a flag, a
 * config file, a mount), never assumed from a path convention.
 */
export interface CertUse {
  /** the component or workload: `kubelet`, `kube-apiserver`, `kube-system/kube-proxy-x/kube-proxy` */
  by: string;
  /** how it uses the file */
  via: 'kubeconfig' | 'flag' | 'kubelet-config' | 'current-link' | 'mount';
  /** where that was read, e.g. `/etc/kubernetes/manifests/kube-apiserver.yaml --tls-cert-file` */
  detail: string;
}

export interface Certificate extends CertFacts {
  location: CertLocation;
  component: Component;
  /** what uses this certificate (empty: nothing certdrift can see) */
  usedBy: CertUse[];
  /**
   * Set when nothing uses the file and its name says it was replaced (a rotated
   * `kubelet-client-<date>.pem`, `*.bak`, `pki.bak*` directories, k3s `tls-<time>` directories): why. Such certificates
   * are listed but never raise the exit code, the alerts or the node deadline.
   */
  superseded?: string;
  /** found by following a running container's mount rather than by a preset or --path */
  foundVia?: 'mount';
}

/**
 * A credential that something on the node names (a kubeconfig's `client-certificate`, a
 * `--tls-cert-file` flag, kubelet's `tlsCertFile`) and that cannot be read: the component that
 * needs it fails at its next start, whatever the other files say.
 */
export interface MissingCredential {
  /** the path named, inside the host root */
  path: string;
  reason: Reason;
  message: string;
  /** who names it: `/etc/kubernetes/kubelet.conf (user default-auth client-certificate)` */
  namedBy: string;
  /** the file that names it (for superseded-name checks) */
  namedIn: string;
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
  /** credentials named by kubeconfigs, flags or kubelet's config that cannot be read */
  missing: MissingCredential[];
  /** the walk stopped early somewhere (walk_limit): certificates may be missing from the scan */
  incomplete: string[];
  /** containers and host processes examined for drift (empty when not looked at) */
  workloads: Workload[];
  /** each source of facts and whether it answered */
  sources: SourceStatus[];
  /** local TLS endpoints probed, with the certificate each serves and its configured file (absent: not probed) */
  served?: ServedCertificate[];
  /** how kubelet's configuration file says it gets its certificates (absent: no config file read) */
  kubelet?: KubeletCertSettings;
}

/**
 * The certificate settings of kubelet's KubeletConfiguration file, and what is on disk for them
 * (sources/usage.ts). Flags (`--rotate-certificates`, `--rotate-server-certificates`) override
 * the file and are not read here.
 */
export interface KubeletCertSettings {
  /** the config file read (node path) */
  config: string;
  /** serving certificate requested through `kubernetes.io/kubelet-serving` CSRs */
  serverTLSBootstrap: boolean;
  /** client certificate rotation as written; absent: not set in the file */
  rotateCertificates?: boolean;
  /** the port kubelet serves on (KubeletConfiguration `port`, default 10250) */
  port: number;
  /**
   * With serverTLSBootstrap: `<cert-dir>/kubelet-server-current.pem` (the link kubelet points at
   * its newest approved serving certificate) and, when it cannot be resolved, why.
   */
  servingCurrent?: { path: string; problem?: { reason: Reason; message: string } };
}

/** What a local TLS endpoint presented, next to the file its component is configured with. */
export interface ServedCertificate {
  /** kube-apiserver, kubelet, etcd, etcd-peer, kube-scheduler, kube-controller-manager */
  component: string;
  /** host:port dialled */
  endpoint: string;
  /** where the endpoint was learned: `pid:N` or a manifest path */
  source: string;
  /** the configured certificate file (node path); absent when the component serves one it generated in memory */
  certFile?: string;
  /** the leaf the endpoint presented; null when the handshake failed */
  served: CertSummary | null;
  /** the configured file's certificate; null when not configured or unreadable */
  file: CertSummary | null;
  /** why the endpoint or the file could not be read */
  problem?: { reason: ServedProblem; message: string };
}

/** Why a served-certificate comparison is incomplete (not item errors: nothing is wrong with a file). */
export type ServedProblem =
  | 'connect_failed'
  | 'timeout'
  | 'tls_failed'
  | 'no_certificate'
  | 'file_unreadable'
  // not dialled (served/choose-dials.ts): only a local listener of the component is probed
  | 'no_listener'
  | 'not_local'
  | 'over_cap';

/**
 * Every finding code certdrift emits: a closed list, so that a new code fails to compile wherever
 * codes must be handled (exit codes, metrics, events, conditions). Public contract: never rename.
 */
export const FINDING_CODES = [
  'CERT_EXPIRED',
  'CERT_EXPIRING',
  'CERT_NOT_YET_VALID',
  'CERT_SUPERSEDED',
  'NODE_REPLACEMENT_DUE',
  'CREDENTIAL_MISSING',
  'SCAN_INCOMPLETE',
  'STALE_VIEW',
  'NOT_RELOADED',
  'RISKY_FILE_MOUNT',
  'HIDDEN_HOST_MOUNTS',
  'DUPLICATE_RUNNING',
  'EXITED_LEFTOVER',
  'SERVED_STALE',
  'KUBELET_SERVING_CERT_MISSING',
] as const;

export type FindingCode = (typeof FINDING_CODES)[number];

/** One thing a check has to say; `C` is the closed list of codes (audit has its own). */
export interface Finding<C extends string = FindingCode> {
  /** stable code, e.g. CERT_EXPIRED */
  code: C;
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

/**
 * When a certificate needs attention. A certificate is at a level when EITHER of its thresholds
 * says so: the residual time (days), or the share of its lifetime left (cert-manager renews at a
 * third: `warnRatio: 1/3`). The level rules live in `thresholds.ts`.
 */
export interface Thresholds {
  /** residual time below which a certificate is `warning`, in milliseconds */
  warnMs: number;
  /** residual time below which a certificate is `critical`, in milliseconds */
  criticalMs: number;
  /** share of the lifetime (notAfter − notBefore) left below which it is `warning`, in (0,1); absent: off */
  warnRatio?: number;
  /** share of the lifetime left below which it is `critical`, in (0,1); absent: off */
  criticalRatio?: number;
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
  subjectKeyId?: string;
  authorityKeyId?: string;
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
  /**
   * A system trust store (/etc/ssl/certs, /usr/share/ca-certificates, …): summarised as one line,
   * never compared certificate by certificate.
   */
  trustStore?: boolean;
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
  /** for host processes: the flags that name files (`--kubeconfig`, `--tls-cert-file`, `--config`) */
  fileFlags?: { flag: string; path: string }[];
}

export interface SourceStatus {
  /** `cri`, `proc`, `files` */
  source: string;
  endpoint?: string;
  up: boolean;
  message?: string;
}
