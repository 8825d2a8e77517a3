// The new bytes of one renewal: the certificate signed by its CA (and, with --new-keys, the new
// key), written the way kubeadm writes them — a PEM certificate file (a `.key` beside it), or the
// kubeconfig with only its embedded client certificate (and key) replaced. Before anything is
// signed the current key must belong to the current certificate and the CA key to the CA
// certificate: renewing a broken pair would only hide it. No I/O; keys arrive as KeyObjects.

import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { renewalTemplate } from './build-certificate.js';
import { readCertificateParts, type CertificateParts } from './certificate-parts.js';
import { readKubeconfigCredential, replaceCredential } from './kubeconfig-credential.js';
import { targetCertificate, type RenewItem } from './plan-kubeadm.js';
import { isCertificateLabel, parsePem } from '../certs/pem.js';
import {
  certificatePem,
  exportKeyAs,
  keyMatches,
  signCertificate,
  spkiOf,
  subjectKeyIdOf,
} from './sign-certificate.js';

export class RenewRefused extends Error {
  override name = 'RenewRefused';
}

export interface FileWrite {
  /** node path */
  path: string;
  bytes: Uint8Array;
  /** a private key: never logged, staged and backed up with mode 0600 only */
  secret: boolean;
}

export interface SigningInput {
  item: RenewItem;
  /** current bytes of item.paths.cert (certificate file or kubeconfig) */
  certBytes: Uint8Array;
  caCertBytes: Uint8Array;
  caKey: KeyObject;
  /** the current private key of a pki certificate (its .key file); a kubeconfig's is read from it */
  ownKey?: KeyObject;
  serial: Uint8Array;
  now: Date;
  validityMs: number;
  /** --new-keys: the key to certify instead of the current one */
  newKey?: KeyObject;
}

function caParts(bytes: Uint8Array): CertificateParts {
  const block = parsePem(Buffer.from(bytes).toString('latin1')).blocks.find((b) =>
    isCertificateLabel(b.label),
  );
  const r = block ? readCertificateParts(block.der) : undefined;
  if (!r?.ok) throw new RenewRefused('the CA certificate is unreadable');
  return r.parts;
}

/** kubeadm's keyutil.MarshalPrivateKeyToPEM: PKCS #1 for RSA, SEC 1 for EC, else PKCS #8. */
function kubeadmKeyPem(key: KeyObject): string {
  const label =
    key.asymmetricKeyType === 'rsa'
      ? 'RSA PRIVATE KEY'
      : key.asymmetricKeyType === 'ec'
        ? 'EC PRIVATE KEY'
        : 'PRIVATE KEY';
  return exportKeyAs(key, label);
}

/** The key a kubeconfig embeds for its current context, in memory only. */
function kubeconfigKey(bytes: Uint8Array): KeyObject | undefined {
  const cred = readKubeconfigCredential(Buffer.from(bytes).toString('utf8'));
  if (!cred.ok || !cred.value.keyData) return undefined;
  try {
    return createPrivateKey(Buffer.from(cred.value.keyData, 'base64'));
  } catch {
    return undefined;
  }
}

export function renewedFiles(inp: SigningInput): FileWrite[] {
  const { item } = inp;
  if (item.action !== 'renew' || !item.signature) throw new RenewRefused(`${item.name} is not due`);
  const old = targetCertificate(item.kind, inp.certBytes);
  if (typeof old === 'string') throw new RenewRefused(`${item.paths.cert}: ${old}`);
  const ca = caParts(inp.caCertBytes);
  if (!keyMatches(inp.caKey, ca.spki))
    throw new RenewRefused(`${item.paths.caKey} does not belong to ${item.paths.caCert}`);
  const ownKey = inp.ownKey ?? kubeconfigKey(inp.certBytes);
  if (!ownKey || !keyMatches(ownKey, old.spki))
    throw new RenewRefused(
      `the private key of ${item.name} does not belong to its certificate: fix the pair first`,
    );
  const newSpki = inp.newKey ? spkiOf(inp.newKey) : undefined;
  const template = renewalTemplate({
    old,
    ca,
    now: inp.now,
    validityMs: inp.validityMs,
    serial: inp.serial,
    signature: item.signature,
    ...(newSpki ? { newKey: { spki: newSpki, subjectKeyId: subjectKeyIdOf(newSpki) } } : {}),
  });
  const der = signCertificate(template, inp.caKey, ca.der);
  const pem = certificatePem(der);
  const keyPem = inp.newKey ? kubeadmKeyPem(inp.newKey) : undefined;
  if (item.kind === 'pki') {
    const writes: FileWrite[] = [];
    if (keyPem && item.paths.key)
      writes.push({ path: item.paths.key, bytes: Buffer.from(keyPem), secret: true });
    writes.push({ path: item.paths.cert, bytes: Buffer.from(pem), secret: false });
    return writes;
  }
  const text = Buffer.from(inp.certBytes).toString('utf8');
  const cred = readKubeconfigCredential(text);
  if (!cred.ok) throw new RenewRefused(`${item.paths.cert}: ${cred.message}`);
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const next = replaceCredential(
    text,
    cred.value,
    b64(pem),
    keyPem === undefined ? undefined : b64(keyPem),
  );
  if (!next.ok) throw new RenewRefused(`${item.paths.cert}: ${next.message}`);
  // A kubeconfig embeds its key: it is a secret whether or not the key changes.
  return [{ path: item.paths.cert, bytes: Buffer.from(next.value), secret: true }];
}

/** The public key the target's current certificate certifies (what a new key must be like). */
export function currentPublicKey(item: RenewItem, certBytes: Uint8Array): KeyObject {
  const old = targetCertificate(item.kind, certBytes);
  if (typeof old === 'string') throw new RenewRefused(`${item.paths.cert}: ${old}`);
  return createPublicKey({ key: Buffer.from(old.spki), format: 'der', type: 'spki' });
}
