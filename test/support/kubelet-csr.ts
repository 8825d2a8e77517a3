// Acting as a kubelet on the real control plane: a node's client-certificate identity
// (CN system:node:<name>, O system:nodes, issued by the cluster CA with openssl, as kubeadm or
// TLS bootstrap gives a kubelet), and certificate requests made with real keys the way kubelet's
// certificate manager makes them (pkg/kubelet/certificate/kubelet.go): subject CN
// system:node:<name> and O system:nodes, SANs from the Node's addresses, an ECDSA P-256 key by
// default. Each option bends one thing, so each approver rule can be shown refusing.

import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { ApiClient, ControlPlane, Obj } from './control-plane/index.js';

x509.cryptoProvider.set(webcrypto as never);

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

/** A client-certificate identity issued by the cluster CA: `system:node:<name>` by default. */
export function nodeIdentity(
  cp: ControlPlane,
  name: string,
  opts: { cn?: string; o?: string[] } = {},
): ApiClient {
  const dir = mkdtempSync(join(tmpdir(), 'certdrift-node-id-'));
  const subj =
    (opts.o ?? ['system:nodes']).map((o) => `/O=${o}`).join('') +
    `/CN=${opts.cn ?? `system:node:${name}`}`;
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'key.pem'], dir);
  openssl(['req', '-new', '-key', 'key.pem', '-subj', subj, '-out', 'req.pem'], dir);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'req.pem',
      '-CA',
      cp.info.caFile,
      '-CAkey',
      cp.info.caKeyFile,
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      'cert.pem',
    ],
    dir,
  );
  return cp.asCert(join(dir, 'cert.pem'), join(dir, 'key.pem'));
}

export interface RequestOptions {
  cn?: string[];
  o?: string[];
  dns?: string[];
  ip?: string[];
  email?: string[];
  uri?: string[];
  key?: 'p256' | 'rsa2048';
}

/** A PKCS#10 request (PEM) signed with a fresh key, as kubelet makes it. */
export async function certificateRequest(node: string, o: RequestOptions = {}): Promise<string> {
  const alg =
    o.key === 'rsa2048'
      ? {
          name: 'RSASSA-PKCS1-v1_5',
          hash: 'SHA-256',
          publicExponent: new Uint8Array([1, 0, 1]),
          modulusLength: 2048,
        }
      : { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const name = [
    ...(o.o ?? ['system:nodes']).map((v) => ({ '2.5.4.10': [v] })),
    ...(o.cn ?? [`system:node:${node}`]).map((v) => ({ '2.5.4.3': [v] })),
  ];
  const sans: x509.JsonGeneralName[] = [
    ...(o.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(o.ip ?? []).map((value) => ({ type: 'ip' as const, value })),
    ...(o.email ?? []).map((value) => ({ type: 'email' as const, value })),
    ...(o.uri ?? []).map((value) => ({ type: 'url' as const, value })),
  ];
  const req = await x509.Pkcs10CertificateRequestGenerator.create({
    name,
    keys: keys as never,
    signingAlgorithm: alg,
    extensions: sans.length > 0 ? [new x509.SubjectAlternativeNameExtension(sans)] : [],
  });
  return req.toString('pem');
}

export const SERVING = 'kubernetes.io/kubelet-serving';
export const CLIENT = 'kubernetes.io/kube-apiserver-client-kubelet';
export const CSRS = '/apis/certificates.k8s.io/v1/certificatesigningrequests';

/** Creates a CSR as `as` (a node identity, or the admin); returns the stored object. */
export async function createCsr(
  as: ApiClient,
  name: string,
  pem: string,
  opts: { signer?: string; usages?: string[]; expirationSeconds?: number } = {},
): Promise<Obj> {
  return as.create(CSRS, {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name },
    spec: {
      request: Buffer.from(pem).toString('base64'),
      signerName: opts.signer ?? SERVING,
      usages: opts.usages ?? ['digital signature', 'server auth'],
      ...(opts.expirationSeconds !== undefined
        ? { expirationSeconds: opts.expirationSeconds }
        : {}),
    },
  });
}

/** writes a PEM to a temp file (for openssl) */
export function tempPem(pem: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'certdrift-pem-')), 'x.pem');
  writeFileSync(path, pem);
  return path;
}
