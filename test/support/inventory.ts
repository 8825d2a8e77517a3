// Hand-built certificates and inventories for the pure checks' table-driven tests.

import type { Certificate, Inventory } from '../../src/model/index.js';

export function cert(over: Partial<Certificate> & { path?: string }): Certificate {
  const { path, ...rest } = over;
  return {
    subject: 'CN=x',
    commonName: 'x',
    organizations: [],
    issuer: 'CN=ca',
    sans: [],
    serial: '01',
    fingerprintSha256: 'f'.repeat(64),
    notBefore: new Date('2025-01-01T00:00:00Z'),
    notAfter: new Date('2027-01-01T00:00:00Z'),
    isCA: false,
    selfSigned: false,
    extKeyUsage: [],
    component: 'other',
    location: { path: path ?? '/x.crt', links: [], index: 0 },
    usedBy: [],
    ...rest,
  };
}

export function inventory(certificates: Certificate[]): Inventory {
  return {
    hostRoot: '/',
    presets: ['generic'],
    files: [],
    certificates,
    errors: [],
    missing: [],
    incomplete: [],
    workloads: [],
    sources: [],
  };
}
