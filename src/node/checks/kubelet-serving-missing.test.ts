import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inventory } from '../../../test/support/inventory.js';
import type { Inventory, KubeletCertSettings, ServedCertificate } from '../../model/index.js';
import { kubeletServingMissing } from './kubelet-serving-missing.js';

const CURRENT = '/var/lib/kubelet/pki/kubelet-server-current.pem';
const ctx = {
  now: new Date('2026-11-25T00:00:00Z'),
  thresholds: { warnMs: 0, criticalMs: 0 },
  lifetime: null,
};
const missing = { reason: 'not_found' as const, message: `${CURRENT}: no such file` };
const dangling = {
  reason: 'dangling_symlink' as const,
  message: `${CURRENT} -> kubelet-server-2026.pem`,
};
const bootstrap = (over: Partial<KubeletCertSettings> = {}): KubeletCertSettings => ({
  config: '/var/lib/kubelet/config.yaml',
  serverTLSBootstrap: true,
  port: 10250,
  servingCurrent: { path: CURRENT, problem: missing },
  ...over,
});
const kubeletEndpoint = (over: Partial<ServedCertificate>): ServedCertificate => ({
  component: 'kubelet',
  endpoint: '127.0.0.1:10250',
  source: 'pid:42',
  certFile: CURRENT,
  served: null,
  file: null,
  ...over,
});
const SERVED = {
  subject: 'CN=system:node:n1',
  serial: '01',
  notBefore: new Date('2026-01-01T00:00:00Z'),
  notAfter: new Date('2027-01-01T00:00:00Z'),
  fingerprintSha256: 'a'.repeat(64),
  isCA: false,
};
const inv = (kubelet?: KubeletCertSettings, served?: ServedCertificate[]): Inventory => ({
  ...inventory([]),
  ...(kubelet ? { kubelet } : {}),
  ...(served ? { served } : {}),
});

// [name, inventory, found?, evidence `served` matches]
const cases: [string, Inventory, boolean, RegExp?][] = [
  ['no kubelet config read: nothing to say', inv(), false],
  [
    'serverTLSBootstrap off: kubelet uses its own certificate',
    inv(bootstrap({ serverTLSBootstrap: false, servingCurrent: undefined })),
    false,
  ],
  [
    'bootstrap with the current link in place',
    inv(bootstrap({ servingCurrent: { path: CURRENT } })),
    false,
  ],
  ['bootstrap, link missing, probe not run', inv(bootstrap()), true, /not probed/],
  [
    'bootstrap, link dangles, handshake fails on :10250',
    inv(bootstrap({ servingCurrent: { path: CURRENT, problem: dangling } }), [
      kubeletEndpoint({ problem: { reason: 'tls_failed', message: 'handshake failure' } }),
    ]),
    true,
    /127\.0\.0\.1:10250: tls_failed/,
  ],
  [
    'bootstrap, link missing, no kubelet listening',
    inv(bootstrap(), [
      kubeletEndpoint({ problem: { reason: 'no_listener', message: 'nothing listens' } }),
    ]),
    true,
    /no_listener/,
  ],
  [
    'bootstrap, link missing, probe ran and found no kubelet',
    inv(bootstrap(), []),
    true,
    /no kubelet endpoint on port 10250/,
  ],
  [
    'bootstrap, link missing, but kubelet still serves one (held in memory)',
    inv(bootstrap(), [kubeletEndpoint({ served: SERVED })]),
    false,
  ],
  [
    'a certificate served on another port does not count for kubelet’s',
    inv(bootstrap({ port: 10260 }), [kubeletEndpoint({ served: SERVED })]),
    true,
  ],
];

for (const [name, i, found, served] of cases) {
  test(name, () => {
    const got = kubeletServingMissing.run(i, ctx);
    assert.equal(got.length, found ? 1 : 0);
    const f = got[0];
    if (!f) return;
    assert.equal(f.code, 'KUBELET_SERVING_CERT_MISSING');
    assert.equal(f.severity, 'warning');
    assert.equal(f.subject, CURRENT);
    assert.match(f.evidence.config ?? '', /serverTLSBootstrap: true/);
    assert.match(f.evidence.servingCertificate ?? '', /not_found|dangling_symlink/);
    if (served) assert.match(f.evidence.served ?? '', served);
    assert.match(f.cause ?? '', /kubernetes #73356/);
    assert.match(f.remedy, /--approve-kubelet-serving/);
    assert.match(f.remedy, /kubelet-csr-approver/);
  });
}

test('the title says whether the link dangles or is missing', () => {
  const [d] = kubeletServingMissing.run(
    inv(bootstrap({ servingCurrent: { path: CURRENT, problem: dangling } })),
    ctx,
  );
  const [m] = kubeletServingMissing.run(inv(bootstrap()), ctx);
  assert.match(d?.title ?? '', /dangles$/);
  assert.match(m?.title ?? '', /is missing$/);
});
