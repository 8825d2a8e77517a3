// What `certdrift renew` does on a kubeadm control-plane node, decided from the files alone:
// for each certificate kubeadm renews, renew it (signed by its CA on disk) or say why not —
// missing, unreadable, external CA (the CA key is absent: kubeadm's "externally managed"), a CA
// key kind certdrift does not sign with, or already fresh (renewing now would add less than a
// day: a second run renews nothing, and a rerun after an interruption finishes the rest).
// Pure: file facts, `now` and the options in; a plan that holds no key material out.

import { isCertificateLabel, parsePem } from '../certs/pem.js';
import { children, decodeOid, expectTlv } from '../certs/der.js';
import { parseCertificateDer } from '../certs/x509.js';
import type { SignatureKind } from './build-certificate.js';
import { BACKDATE_MS } from './build-certificate.js';
import { readCertificateParts, sameBytes, type CertificateParts } from './certificate-parts.js';
import { readKubeconfigCredential } from './kubeconfig-credential.js';
import {
  KUBEADM_TARGETS,
  KUBELET_CLIENT_CERT,
  pathsOf,
  type KubeadmDirs,
  type KubeadmTarget,
  type TargetPaths,
} from './kubeadm-targets.js';

export type FileFacts =
  | { state: 'absent' }
  | { state: 'unreadable'; message: string }
  /** bytes only for certificates and kubeconfigs; a private key is known by its digest alone */
  | { state: 'present'; sha256: string; bytes?: Uint8Array };

export interface KubeadmPlanInput {
  dirs: KubeadmDirs;
  /** node path → what is there (every path pathsOf names, and kubelet's client certificate) */
  files: ReadonlyMap<string, FileFacts>;
  now: Date;
  validityMs: number;
  newKeys: boolean;
}

export interface CertDates {
  subject: string;
  serial: string;
  notBefore: string;
  notAfter: string;
}

export interface RenewItem {
  name: string;
  kind: KubeadmTarget['kind'];
  caName: string;
  paths: TargetPaths;
  action: 'renew' | 'skip';
  /** why it is renewed or skipped, one line */
  reason: string;
  /** `fresh`, `missing`, `external-ca`, … for skips; `due` for renewals */
  code: 'due' | 'fresh' | 'missing' | 'unreadable' | 'external-ca' | 'no-key' | 'unsupported-ca';
  current?: CertDates;
  /** the new validity (renewals) */
  next?: { notBefore: string; notAfter: string };
  signature?: SignatureKind;
  /** the digests the files had when planned: the executor refuses any that changed since */
  sha256: Record<string, string>;
  warnings: string[];
}

export interface KubeletNote {
  path: string;
  state: 'present' | 'absent' | 'unreadable';
  notAfter?: string;
  message: string;
}

export interface KubeadmPlan {
  distribution: 'kubeadm';
  validityDays: number;
  newKeys: boolean;
  items: RenewItem[];
  kubelet: KubeletNote;
}

/** Renewing would add less than this: the certificate is fresh. */
export const FRESH_SLACK_MS = 86_400_000;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();

function firstCertificate(bytes: Uint8Array): CertificateParts | string {
  const pem = parsePem(Buffer.from(bytes).toString('latin1'));
  const block = pem.blocks.find((b) => isCertificateLabel(b.label));
  if (!block) return 'no PEM certificate in the file';
  const r = readCertificateParts(block.der);
  return r.ok ? r.parts : `unreadable certificate: ${r.message}`;
}

/** The leaf certificate of a target: the file's first certificate, or the kubeconfig's embedded one. */
export function targetCertificate(
  kind: KubeadmTarget['kind'],
  bytes: Uint8Array,
): CertificateParts | string {
  if (kind === 'pki') return firstCertificate(bytes);
  const cred = readKubeconfigCredential(Buffer.from(bytes).toString('utf8'));
  if (!cred.ok) return cred.message;
  if (!cred.value.keyData) return `user ${cred.value.user} has no embedded client key`;
  const pem = Buffer.from(cred.value.certData, 'base64');
  return firstCertificate(pem);
}

const OID_RSA = '1.2.840.113549.1.1.1';
const OID_EC = '1.2.840.10045.2.1';
const OID_ED25519 = '1.3.101.112';
const CURVES: Readonly<Record<string, SignatureKind>> = {
  '1.2.840.10045.3.1.7': 'ecdsa-sha256',
  '1.3.132.0.34': 'ecdsa-sha384',
};

/** The signature a CA's key makes, from its certificate's public key (the key is not read to plan). */
export function signatureKindOfCa(ca: CertificateParts): SignatureKind | undefined {
  try {
    const spki = ca.spki;
    const alg = children(spki, expectTlv(spki, 0, 0x30))[0];
    if (!alg) return undefined;
    const [oid, param] = children(spki, alg);
    if (!oid) return undefined;
    const name = decodeOid(spki, oid);
    if (name === OID_RSA) return 'rsa-sha256';
    if (name === OID_ED25519) return 'ed25519';
    if (name === OID_EC && param?.tag === 0x06) return CURVES[decodeOid(spki, param)];
    return undefined;
  } catch {
    return undefined;
  }
}

function datesOf(c: CertificateParts, subject: string): CertDates {
  return {
    subject,
    serial: hex(c.serial),
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
  };
}

function subjectText(c: CertificateParts): string {
  const r = parseCertificateDer(c.der);
  return r.ok ? r.facts.subject : '?';
}

/** Why a target is skipped: its code, the reason, and its current dates when they were read. */
interface Skip {
  code: RenewItem['code'];
  reason: string;
  current?: CertDates;
}

/** What renewing a target needs, read and checked: its certificate, its CA and how to sign. */
interface Renewable {
  old: CertificateParts;
  current: CertDates;
  ca: CertificateParts;
  signature: SignatureKind;
}

/**
 * The target's certificate, key, CA certificate and CA key, in that order: the first that is
 * missing or unusable is the reason to skip.
 */
function readRenewable(
  t: KubeadmTarget,
  paths: RenewItem['paths'],
  fact: (p: string | undefined) => FileFacts,
): Renewable | Skip {
  const certFile = fact(paths.cert);
  if (certFile.state === 'absent')
    return { code: 'missing', reason: `${paths.cert} does not exist` };
  if (certFile.state === 'unreadable' || !certFile.bytes)
    return {
      code: 'unreadable',
      reason: `${paths.cert}: ${certFile.state === 'unreadable' ? certFile.message : 'not read'}`,
    };
  const old = targetCertificate(t.kind, certFile.bytes);
  if (typeof old === 'string') return { code: 'unreadable', reason: `${paths.cert}: ${old}` };
  const current = datesOf(old, subjectText(old));
  if (paths.key) {
    const key = fact(paths.key);
    if (key.state !== 'present')
      return {
        code: 'no-key',
        reason: `${paths.key} ${key.state === 'absent' ? 'does not exist' : `is unreadable: ${key.message}`}`,
        current,
      };
  }
  const caCert = fact(paths.caCert);
  if (caCert.state !== 'present' || !caCert.bytes)
    return {
      code: 'missing',
      reason: `the CA certificate ${paths.caCert} ${caCert.state === 'unreadable' ? `is unreadable: ${caCert.message}` : 'does not exist'}`,
      current,
    };
  const ca = firstCertificate(caCert.bytes);
  if (typeof ca === 'string')
    return { code: 'unreadable', reason: `${paths.caCert}: ${ca}`, current };
  const caKey = fact(paths.caKey);
  if (caKey.state === 'absent')
    return {
      code: 'external-ca',
      reason: `external CA: ${paths.caKey} is absent — renew it where the CA key is kept (kubeadm: "externally managed")`,
      current,
    };
  if (caKey.state === 'unreadable')
    return {
      code: 'unreadable',
      reason: `${paths.caKey} is unreadable: ${caKey.message}`,
      current,
    };
  const signature = signatureKindOfCa(ca);
  if (!signature)
    return {
      code: 'unsupported-ca',
      reason: `the CA ${paths.caCert} has a key kind certdrift does not sign with`,
      current,
    };
  return { old, current, ca, signature };
}

function planTarget(t: KubeadmTarget, input: KubeadmPlanInput): RenewItem {
  const paths = pathsOf(t, input.dirs);
  const fact = (p: string | undefined): FileFacts =>
    (p === undefined ? undefined : input.files.get(p)) ?? { state: 'absent' };
  const sha256: Record<string, string> = {};
  for (const p of [paths.cert, paths.key]) {
    const f = fact(p);
    if (p && f.state === 'present') sha256[p] = f.sha256;
  }
  const base = {
    name: t.name,
    kind: t.kind,
    caName: t.caName,
    paths,
    sha256,
    warnings: [] as string[],
  };
  const skip = (code: RenewItem['code'], reason: string, current?: CertDates): RenewItem => ({
    ...base,
    action: 'skip',
    code,
    reason,
    ...(current ? { current } : {}),
  });

  const r = readRenewable(t, paths, fact);
  if (!('signature' in r)) return skip(r.code, r.reason, r.current);
  const { old, current, ca, signature } = r;
  const now = input.now.getTime();
  if (old.notAfter.getTime() >= now + input.validityMs - FRESH_SLACK_MS)
    return skip(
      'fresh',
      `fresh: valid until ${current.notAfter}; renewing now would add less than a day`,
      current,
    );

  const notBefore = new Date(Math.floor((now - BACKDATE_MS) / 1000) * 1000);
  const notAfter = new Date(Math.floor((now + input.validityMs) / 1000) * 1000);
  const warnings: string[] = [];
  if (!sameBytes(old.issuer, ca.subject))
    warnings.push(
      `was issued by another CA than ${paths.caCert}; renewed under ${paths.caCert} as kubeadm does`,
    );
  if (notAfter > ca.notAfter)
    warnings.push(
      `the new certificate outlives its CA (${t.caName} expires ${ca.notAfter.toISOString()}): renew the CA first`,
    );
  return {
    ...base,
    warnings,
    action: 'renew',
    code: 'due',
    reason: `expires ${current.notAfter}`,
    current,
    next: { notBefore: notBefore.toISOString(), notAfter: notAfter.toISOString() },
    signature,
  };
}

function kubeletNote(files: ReadonlyMap<string, FileFacts>, now: Date): KubeletNote {
  const f = files.get(KUBELET_CLIENT_CERT) ?? { state: 'absent' as const };
  const path = KUBELET_CLIENT_CERT;
  if (f.state === 'absent')
    return {
      path,
      state: 'absent',
      message: 'not present (kubelet may use another path or bootstrap)',
    };
  if (f.state === 'unreadable' || !f.bytes)
    return {
      path,
      state: 'unreadable',
      message: f.state === 'unreadable' ? f.message : 'not read',
    };
  const c = firstCertificate(f.bytes);
  if (typeof c === 'string') return { path, state: 'unreadable', message: c };
  const left = c.notAfter.getTime() - now.getTime();
  return {
    path,
    state: 'present',
    notAfter: c.notAfter.toISOString(),
    message:
      left <= 0
        ? 'EXPIRED: kubelet could not rotate it — check rotateCertificates and its CSR approval'
        : 'left to kubelet (rotateCertificates renews it at 70–90 % of its lifetime)',
  };
}

export function planKubeadmRenewal(input: KubeadmPlanInput): KubeadmPlan {
  return {
    distribution: 'kubeadm',
    validityDays: Math.round(input.validityMs / 86_400_000),
    newKeys: input.newKeys,
    items: KUBEADM_TARGETS.map((t) => planTarget(t, input)),
    kubelet: kubeletNote(input.files, input.now),
  };
}

/** Every node path the plan needs facts about. */
export function kubeadmPathsToRead(dirs: KubeadmDirs): { certs: string[]; keys: string[] } {
  const certs = new Set<string>([KUBELET_CLIENT_CERT]);
  const keys = new Set<string>();
  for (const t of KUBEADM_TARGETS) {
    const p = pathsOf(t, dirs);
    certs.add(p.cert);
    certs.add(p.caCert);
    keys.add(p.caKey);
    if (p.key) keys.add(p.key);
  }
  return { certs: [...certs], keys: [...keys] };
}
