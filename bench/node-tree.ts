// The benchmark node: 10,000 certificates in about 8,500 files over 100 directories — single
// certificates, 4-certificate bundles, kubeconfigs with an embedded CA and client certificate,
// private keys and a few junk files. Deterministic; cached under .bench/ once generated.

import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { daysFrom, issue, type Issued } from '../test/support/certs.js';
import { kubeconfig } from '../test/support/kubeconfig.js';

export const TREE_VERSION = 'v1';
export const BASE = new Date('2026-11-25T00:00:00Z');
export const LAYOUT = {
  dirs: 100,
  singles: 7400,
  bundles: 400,
  bundleSize: 4,
  kubeconfigs: 500,
  keys: 100,
  junk: 50,
};

export function expectedCertificates(): number {
  return LAYOUT.singles + LAYOUT.bundles * LAYOUT.bundleSize + LAYOUT.kubeconfigs * 2;
}

export async function ensureTree(dir: string, log: (s: string) => void): Promise<string> {
  const root = join(dir, `tree-${TREE_VERSION}`);
  if (existsSync(join(root, '.complete'))) return root;
  rmSync(root, { recursive: true, force: true });
  const ca = await issue({
    cn: 'bench-ca',
    notBefore: daysFrom(BASE, -400),
    notAfter: daysFrom(BASE, 3000),
    isCA: true,
  });
  let n = 0;
  const leaf = async (): Promise<Issued> => {
    const i = n++;
    if (i % 1000 === 0) log(`  issuing certificates: ${i}/${expectedCertificates()}`);
    return issue({
      cn: `system:node:bench-${i}`,
      o: ['system:nodes'],
      notBefore: daysFrom(BASE, -300),
      notAfter: daysFrom(BASE, (i % 900) - 50),
      eku: ['clientAuth'],
      sans: [`DNS:bench-${i}`],
      issuer: ca,
      keysOf: ca,
      serial: (0x1000 + i).toString(16),
    });
  };
  const dirOf = (i: number): string => {
    const d = join(root, 'var/lib/bench', `d${String(i % LAYOUT.dirs).padStart(2, '0')}`);
    mkdirSync(d, { recursive: true });
    return d;
  };
  for (let i = 0; i < LAYOUT.singles; i++)
    writeFileSync(join(dirOf(i), `leaf-${i}.crt`), (await leaf()).pem);
  for (let i = 0; i < LAYOUT.bundles; i++) {
    let pem = '';
    for (let k = 0; k < LAYOUT.bundleSize; k++) pem += (await leaf()).pem;
    writeFileSync(join(dirOf(i), `bundle-${i}.pem`), pem);
  }
  for (let i = 0; i < LAYOUT.kubeconfigs; i++) {
    const c = await leaf();
    writeFileSync(
      join(dirOf(i), `kubelet-${i}.kubeconfig`),
      kubeconfig({ ca, cert: c, key: 'none', user: `u${i}` }),
    );
  }
  for (let i = 0; i < LAYOUT.keys; i++) writeFileSync(join(dirOf(i), `leaf-${i}.key`), ca.keyPem);
  for (let i = 0; i < LAYOUT.junk; i++) {
    const bytes = Buffer.from(Array.from({ length: 300 + i }, (_, k) => (k * 131 + i) % 256));
    writeFileSync(
      join(
        dirOf(i),
        i % 3 === 0 ? `junk-${i}.crt` : i % 3 === 1 ? `notes-${i}.txt` : `empty-${i}.pem`,
      ),
      i % 3 === 2 ? '' : bytes,
    );
  }
  writeFileSync(join(root, '.complete'), TREE_VERSION);
  return root;
}

export function fileCount(): number {
  return LAYOUT.singles + LAYOUT.bundles + LAYOUT.kubeconfigs + LAYOUT.keys + LAYOUT.junk;
}
