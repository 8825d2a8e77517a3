// Test-time certificate authority: issues CAs and leaves with chosen names, dates, usages and
// key types. Ed25519 keys are derived from a seed (default: the subject), so the same request
// gives byte-identical certificates: golden files can hold real fingerprints.

import 'reflect-metadata'; // @peculiar/x509 (via tsyringe) needs the Reflect metadata polyfill
import { createHash, createPrivateKey, createPublicKey, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

type CryptoKeyPair = webcrypto.CryptoKeyPair;
type Algorithm = webcrypto.Algorithm;
type EcKeyImportParams = webcrypto.EcKeyImportParams;
type RsaHashedImportParams = webcrypto.RsaHashedImportParams;

// Node's webcrypto is the DOM Crypto at run time; the DOM type itself is not in our lib.
x509.cryptoProvider.set(webcrypto as never);

export type KeyType = 'ed25519' | 'p256' | 'rsa2048';

export interface IssueOptions {
  cn: string;
  o?: string[];
  notBefore: Date;
  notAfter: Date;
  /** hex serial; default derived from the seed */
  serial?: string;
  eku?: ('serverAuth' | 'clientAuth')[];
  /** `DNS:name`, `IP:1.2.3.4` */
  sans?: string[];
  isCA?: boolean;
  key?: KeyType;
  seed?: string;
  /** issuing CA; omitted → self-signed */
  issuer?: Issued;
  /** reuse this certificate's key pair (fast bulk issuing, e.g. benchmarks) */
  keysOf?: Issued;
  /**
   * subject and authority key identifiers (SHA-1 of the public keys, as Go's x509 and OpenSSL
   * make them): off by default so existing golden fingerprints stay
   */
  keyIds?: boolean;
}

export interface Issued {
  der: Uint8Array;
  pem: string;
  keyPem: string;
  /** lower-case hex SHA-256 of the DER, as certdrift reports it */
  fingerprint: string;
  cn: string;
  notBefore: Date;
  notAfter: Date;
  keys: CryptoKeyPair;
  algorithm: Algorithm | EcKeyImportParams | RsaHashedImportParams;
  name: string;
}

const EKU = { serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2' } as const;
const subtle = webcrypto.subtle;

async function makeKeys(
  type: KeyType,
  seed: string,
): Promise<{ keys: CryptoKeyPair; algorithm: Issued['algorithm'] }> {
  if (type === 'ed25519') {
    const raw = createHash('sha256').update(seed).digest();
    const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), raw]);
    const priv = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
    const spki = createPublicKey(priv).export({ format: 'der', type: 'spki' });
    const algorithm = { name: 'Ed25519' };
    const privateKey = await subtle.importKey('pkcs8', pkcs8, algorithm, true, ['sign']);
    const publicKey = await subtle.importKey('spki', spki, algorithm, true, ['verify']);
    return { keys: { privateKey, publicKey }, algorithm };
  }
  const algorithm =
    type === 'p256'
      ? { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
      : {
          name: 'RSASSA-PKCS1-v1_5',
          hash: 'SHA-256',
          publicExponent: new Uint8Array([1, 0, 1]),
          modulusLength: 2048,
        };
  const keys = await subtle.generateKey(algorithm, true, ['sign', 'verify']);
  return { keys, algorithm };
}

function dn(cn: string, o: string[] = []): string {
  const esc = (v: string): string => v.replace(/([,+="\\<>;])/g, '\\$1');
  return [...o.map((v) => `O=${esc(v)}`), `CN=${esc(cn)}`].join(', ');
}

export async function issue(opts: IssueOptions): Promise<Issued> {
  const seed = opts.seed ?? `${opts.cn}|${opts.notAfter.toISOString()}`;
  const { keys, algorithm } = opts.keysOf
    ? { keys: opts.keysOf.keys, algorithm: opts.keysOf.algorithm }
    : await makeKeys(opts.key ?? 'ed25519', seed);
  const extensions: x509.Extension[] = [];
  if (opts.isCA) {
    extensions.push(new x509.BasicConstraintsExtension(true, undefined, true));
    extensions.push(
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
    );
  } else {
    extensions.push(new x509.BasicConstraintsExtension(false, undefined, true));
  }
  if (opts.keyIds) {
    extensions.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey));
    extensions.push(
      await x509.AuthorityKeyIdentifierExtension.create(
        opts.issuer ? opts.issuer.keys.publicKey : keys.publicKey,
      ),
    );
  }
  if (opts.eku && opts.eku.length > 0)
    extensions.push(new x509.ExtendedKeyUsageExtension(opts.eku.map((e) => EKU[e])));
  if (opts.sans && opts.sans.length > 0) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(
        opts.sans.map((s) => {
          const [type, ...rest] = s.split(':');
          const value = rest.join(':');
          return type === 'IP' ? { type: 'ip' as const, value } : { type: 'dns' as const, value };
        }),
      ),
    );
  }
  const name = dn(opts.cn, opts.o);
  const serial =
    opts.serial ??
    createHash('sha256')
      .update(seed)
      .digest('hex')
      .slice(0, 16)
      .replace(/^[89a-f]/, '1');
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: name,
    issuer: opts.issuer ? opts.issuer.name : name,
    notBefore: opts.notBefore,
    notAfter: opts.notAfter,
    publicKey: keys.publicKey,
    signingKey: opts.issuer ? opts.issuer.keys.privateKey : keys.privateKey,
    signingAlgorithm: opts.issuer ? opts.issuer.algorithm : algorithm,
    extensions,
  });
  const der = new Uint8Array(cert.rawData);
  const pkcs8 = opts.keysOf
    ? new Uint8Array(0)
    : new Uint8Array(await subtle.exportKey('pkcs8', keys.privateKey));
  return {
    der,
    pem: cert.toString('pem') + '\n',
    keyPem: toPem('PRIVATE KEY', pkcs8),
    fingerprint: createHash('sha256').update(der).digest('hex'),
    cn: opts.cn,
    notBefore: opts.notBefore,
    notAfter: opts.notAfter,
    keys,
    algorithm,
    name,
  };
}

export function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

export const days = (n: number): number => n * 86_400_000;

/** A date `n` days from `base`. */
export function daysFrom(base: Date, n: number): Date {
  return new Date(base.getTime() + days(n));
}
