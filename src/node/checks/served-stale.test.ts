// SERVED_STALE over hand-built served-certificate facts: severity by which certificate ends
// first, the component's reload behaviour as the cause, silence when nothing can be compared.
// (test/served/ does the same against a real TLS server.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CertSummary, ServedCertificate } from '../../model/index.js';
import { inventory } from '../../../test/support/inventory.js';
import { servedStale } from './served-stale.js';

const NOW = new Date('2026-11-25T00:00:00Z');
const c = (fp: string, notAfter: string): CertSummary => ({
  subject: 'CN=kubelet',
  serial: fp.toUpperCase(),
  notBefore: new Date('2025-01-01T00:00:00Z'),
  notAfter: new Date(notAfter),
  fingerprintSha256: fp.repeat(64),
  isCA: false,
});
const s = (over: Partial<ServedCertificate>): ServedCertificate => ({
  component: 'kubelet',
  endpoint: '127.0.0.1:10250',
  source: 'pid:1',
  certFile: '/srv/kubernetes/kubelet-server.crt',
  served: c('a', '2026-12-01T00:00:00Z'),
  file: c('b', '2027-12-01T00:00:00Z'),
  ...over,
});
const run = (served: ServedCertificate[]): ReturnType<typeof servedStale.run> =>
  servedStale.run(
    { ...inventory([]), served },
    { now: NOW, thresholds: { warnMs: 1, criticalMs: 1 }, lifetime: null },
  );

const ROWS: { name: string; served: ServedCertificate; want: string | null; cause?: RegExp }[] = [
  {
    name: 'kubelet serves the old one, ending first',
    served: s({}),
    want: 'critical',
    cause: /ReloadKubeletServerCertificateFile/,
  },
  {
    name: 'serves a newer one than the file',
    served: s({ served: c('a', '2028-01-01T00:00:00Z') }),
    want: 'warning',
  },
  {
    name: 'etcd peer: etcd reload behaviour',
    served: s({ component: 'etcd-peer' }),
    want: 'critical',
    cause: /per new connection|each new connection/,
  },
  { name: 'same certificate', served: s({ file: c('a', '2026-12-01T00:00:00Z') }), want: null },
  {
    name: 'handshake failed',
    served: s({ served: null, problem: { reason: 'timeout', message: 't' } }),
    want: null,
  },
  { name: 'no file configured', served: s({ file: null, certFile: undefined }), want: null },
];

for (const row of ROWS)
  test(`served-stale: ${row.name}`, () => {
    const got = run([row.served]);
    assert.deepEqual(
      got.map((f) => f.severity),
      row.want ? [row.want] : [],
    );
    if (row.cause) assert.match(got[0]?.cause ?? '', row.cause);
    if (row.want) assert.match(got[0]?.evidence.file ?? '', /kubelet-server\.crt|: serial/);
  });

test('no served section (probe off): nothing', () => {
  assert.deepEqual(
    servedStale.run(inventory([]), {
      now: NOW,
      thresholds: { warnMs: 1, criticalMs: 1 },
      lifetime: null,
    }),
    [],
  );
});
