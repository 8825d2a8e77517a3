import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cert, inventory } from '../../../test/support/inventory.js';
import { DAY_MS } from '../../model/index.js';
import { certExpiry } from './cert-expiry.js';

const now = new Date('2026-11-25T00:00:00Z');
const ctx = { now, thresholds: { warnMs: 30 * DAY_MS, criticalMs: 7 * DAY_MS }, lifetime: null };
const at = (d: number): Date => new Date(now.getTime() + d * DAY_MS);

const cases: [string, Parameters<typeof cert>[0][], [string, string][]][] = [
  ['healthy certificates say nothing', [{ notAfter: at(100) }], []],
  [
    'warning window',
    [{ notAfter: at(20), component: 'kube-proxy' }],
    [['CERT_EXPIRING', 'warning']],
  ],
  ['critical window', [{ notAfter: at(3) }], [['CERT_EXPIRING', 'critical']]],
  ['expired', [{ notAfter: at(-1) }], [['CERT_EXPIRED', 'critical']]],
  ['not yet valid', [{ notBefore: at(2), notAfter: at(400) }], [['CERT_NOT_YET_VALID', 'warning']]],
  [
    'an expired CA next to a valid CA of the same subject is informational',
    [
      { isCA: true, subject: 'CN=ca', notAfter: at(-5), path: '/b.crt' },
      {
        isCA: true,
        subject: 'CN=ca',
        notAfter: at(3000),
        path: '/b.crt',
        location: { path: '/b.crt', links: [], index: 1 },
      },
    ],
    [['CERT_SUPERSEDED', 'info']],
  ],
  [
    'an expired CA alone is critical',
    [{ isCA: true, subject: 'CN=ca', notAfter: at(-5) }],
    [['CERT_EXPIRED', 'critical']],
  ],
];

for (const [name, certs, want] of cases) {
  test(name, () => {
    const got = certExpiry.run(inventory(certs.map(cert)), ctx);
    assert.deepEqual(
      got.map((f) => [f.code, f.severity]),
      want,
    );
    for (const f of got) {
      assert.ok(f.remedy.length > 20 && f.title.length > 0);
      assert.ok(f.evidence.notAfter);
    }
  });
}

test('the kube-proxy remedy says it must be restarted after renewal', () => {
  const [f] = certExpiry.run(inventory([cert({ notAfter: at(3), component: 'kube-proxy' })]), ctx);
  assert.match(f?.remedy ?? '', /restarted/);
});

// --warn-ratio 0.33 --critical-ratio 0.1 next to the day thresholds: a level when EITHER says so.
const ratioCtx = { ...ctx, thresholds: { ...ctx.thresholds, warnRatio: 0.33, criticalRatio: 0.1 } };
const ratioCases: [string, Parameters<typeof cert>[0], [string, string][], string | undefined][] = [
  [
    'a year-long certificate with 100 days left (27 %) is warning by share',
    { notBefore: at(-265), notAfter: at(100) },
    [['CERT_EXPIRING', 'warning']],
    '27.4%',
  ],
  [
    'a 10-year certificate with 200 days left (5 %) is critical by share',
    { notBefore: at(-3450), notAfter: at(200) },
    [['CERT_EXPIRING', 'critical']],
    '5.5%',
  ],
  [
    'a 90-day certificate with 60 days left (67 %) is ok by both',
    { notBefore: at(-30), notAfter: at(60) },
    [],
    undefined,
  ],
  [
    'a 10-day certificate with 5 days left (50 %) is critical by days',
    { notBefore: at(-5), notAfter: at(5) },
    [['CERT_EXPIRING', 'critical']],
    '50.0%',
  ],
];
for (const [name, c, want, share] of ratioCases) {
  test(`ratio: ${name}`, () => {
    const got = certExpiry.run(inventory([cert(c)]), ratioCtx);
    assert.deepEqual(
      got.map((f) => [f.code, f.severity]),
      want,
    );
    assert.equal(got[0]?.evidence.lifetimeLeft, share);
    if (share) assert.match(got[0]?.title ?? '', new RegExp(`\\(${share} of its lifetime left\\)`));
  });
}

test('without a ratio threshold the evidence does not mention the share', () => {
  const [f] = certExpiry.run(inventory([cert({ notBefore: at(-10), notAfter: at(3) })]), ctx);
  assert.equal(f?.evidence.lifetimeLeft, undefined);
  assert.doesNotMatch(f?.title ?? '', /lifetime/);
});

test('an expiring kubelet client certificate says whether kubelet rotates it', () => {
  const kubeletClient = cert({ component: 'kubelet-client', notBefore: at(-300), notAfter: at(5) });
  const withConfig = (rotateCertificates?: boolean) => ({
    ...inventory([kubeletClient]),
    kubelet: {
      config: '/var/lib/kubelet/config.yaml',
      serverTLSBootstrap: false,
      port: 10250,
      ...(rotateCertificates !== undefined ? { rotateCertificates } : {}),
    },
  });
  const rows: [
    string,
    ReturnType<typeof withConfig> | ReturnType<typeof inventory>,
    RegExp | undefined,
    RegExp,
  ][] = [
    [
      'no config read: the generic remedy',
      inventory([kubeletClient]),
      undefined,
      /enable kubelet client certificate rotation/,
    ],
    [
      'rotateCertificates: false',
      withConfig(false),
      /rotation is off \(\/var\/lib\/kubelet\/config.yaml: rotateCertificates false\)/,
      /Set `rotateCertificates: true`/,
    ],
    [
      'not set: default off, unless a flag',
      withConfig(),
      /not set: kubelet’s default is off unless it runs with --rotate-certificates/,
      /Set `rotateCertificates: true`/,
    ],
    [
      'rotation on: the renewal CSR is stuck',
      withConfig(true),
      /should already have been renewed/,
      /selfnodeclient/,
    ],
  ];
  for (const [name, i, cause, remedy] of rows) {
    const [f] = certExpiry.run(i, ctx);
    assert.equal(f?.code, 'CERT_EXPIRING', name);
    if (cause) assert.match(f.cause ?? '', cause, name);
    else assert.equal(f.cause, undefined, name);
    assert.match(f.remedy, remedy, name);
  }
  // other components are not about kubelet's rotation
  const [proxy] = certExpiry.run(
    { ...withConfig(false), certificates: [cert({ component: 'kube-proxy', notAfter: at(5) })] },
    ctx,
  );
  assert.equal(proxy?.cause, undefined);
});
