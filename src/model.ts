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
  format: 'pem' | 'der' | 'kubeconfig' | 'unknown';
  certificates: number;
  privateKeys: number;
}

export interface Inventory {
  hostRoot: string;
  presets: string[];
  files: ScannedFile[];
  certificates: Certificate[];
  errors: ItemError[];
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
  /** what to do about it */
  remedy: string;
  /** the path (or object) the finding is about */
  subject: string;
}

export interface Thresholds {
  /** residual time below which a certificate is `warning`, in milliseconds */
  warnMs: number;
  /** residual time below which a certificate is `critical`, in milliseconds */
  criticalMs: number;
}

export const DAY_MS = 86_400_000;
