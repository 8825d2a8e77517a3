// Shared by the rescan tests: a files-only scan configuration, certificate names of an
// inventory, and two certificates whose PEMs are byte for byte the same size (ed25519, names of
// one length), so an in-place rewrite keeps the file's size.

import assert from 'node:assert/strict';
import type { FileScanConfig } from '../../src/node/sources/files.js';
import type { Inventory } from '../../src/model/index.js';
import { issue, type Issued } from './certs.js';

export const cfg = (paths: string[]): FileScanConfig => ({
  presets: ['none'],
  paths,
  excludes: [],
  maxFileSize: 1 << 20,
  maxEntries: 10_000,
});

export const cns = (inv: Inventory): string[] => inv.certificates.map((c) => c.commonName).sort();

/** Certificates named `node-<x>` for each x, all of one PEM size. */
export async function sameSizeCerts(...names: string[]): Promise<Issued[]> {
  const nb = new Date('2026-01-01T00:00:00Z');
  const na = new Date('2027-01-01T00:00:00Z');
  const out = await Promise.all(
    names.map((n) => issue({ cn: `node-${n}`, notBefore: nb, notAfter: na })),
  );
  for (const c of out) assert.equal(c.pem.length, out[0]?.pem.length);
  return out;
}
