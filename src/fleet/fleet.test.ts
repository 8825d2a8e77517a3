// The fleet's pure parts: IP text, the approval rules one by one over hand-built facts (the
// real-API version is test/fleet/approver.test.ts), saying each refusal once, the view's
// coverage and the metrics text (labels escaped, absolute times).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalIp } from './ip-text.js';
import { compileDnsPattern, judgeServingCsr, MAX_EXPIRATION_SECONDS } from './approve-serving.js';
import { planApprovals } from './plan-approvals.js';
import { buildFleetView } from './fleet-view.js';
import { renderFleetMetrics } from './metrics-text.js';
import { KUBELET_CLIENT, KUBELET_SERVING, type CsrFacts, type FleetNodeFacts } from './types.js';

const NODE: FleetNodeFacts = {
  name: 'n1',
  uid: 'u1',
  os: 'linux',
  addresses: [
    { type: 'InternalIP', address: '10.0.0.1' },
    { type: 'InternalIP', address: 'fd00::1' },
    { type: 'Hostname', address: 'n1.internal' },
  ],
};
const NODES = new Map([['n1', NODE]]);
const POLICY = {
  dnsPatterns: [compileDnsPattern('[a-z0-9]+\\.example') ?? /x/],
  maxExpirationSeconds: MAX_EXPIRATION_SECONDS,
};

function csr(
  over: Partial<CsrFacts> = {},
  req: Partial<Extract<CsrFacts['request'], { ok: true }>['facts']> = {},
): CsrFacts {
  return {
    name: 'csr-1',
    uid: 'c1',
    createdAt: '2030-01-01T00:00:00Z',
    signerName: KUBELET_SERVING,
    username: 'system:node:n1',
    groups: ['system:nodes', 'system:authenticated'],
    usages: ['digital signature', 'server auth'],
    request: {
      ok: true,
      facts: {
        subject: 'O=system:nodes, CN=system:node:n1',
        commonNames: ['system:node:n1'],
        organizations: ['system:nodes'],
        dnsNames: ['n1'],
        ipAddresses: ['10.0.0.1'],
        emailAddresses: [],
        uris: [],
        otherNames: 0,
        keyAlgorithm: 'ecdsa',
        ...req,
      },
    },
    conditions: [],
    issued: false,
    ...over,
  };
}

test('canonical IP text', () => {
  assert.equal(canonicalIp('fd00::1'), 'fd00:0:0:0:0:0:0:1');
  assert.equal(canonicalIp('FD00:0:0:0:0:0:0:0001'), 'fd00:0:0:0:0:0:0:1');
  assert.equal(canonicalIp('::ffff:10.0.0.1'), '0:0:0:0:0:ffff:a00:1');
  assert.equal(canonicalIp('10.0.0.01'), '10.0.0.1');
  for (const bad of ['10.0.0.256', '1::2::3', 'x', '1:2:3:4:5:6:7:8:9', ''])
    assert.equal(canonicalIp(bad), null, bad);
});

test('each rule, one at a time', () => {
  const rows: [string, CsrFacts, string | null][] = [
    ['valid', csr(), 'approve'],
    ['IPv6 from its octets', csr({}, { ipAddresses: ['fd00:0:0:0:0:0:0:1'] }), 'approve'],
    ['hostname address', csr({}, { dnsNames: ['n1.internal'] }), 'approve'],
    ['pattern', csr({}, { dnsNames: ['abc.example'] }), 'approve'],
    ['client signer', csr({ signerName: KUBELET_CLIENT }), null],
    [
      'already approved',
      csr({ conditions: [{ type: 'Approved', status: 'True', reason: '', message: '' }] }),
      null,
    ],
    ['user', csr({ username: 'alice' }), 'RequestorNotNode'],
    ['group', csr({ groups: ['system:authenticated'] }), 'RequestorNotInNodesGroup'],
    [
      'node',
      csr({ username: 'system:node:n2' }, { commonNames: ['system:node:n2'] }),
      'NodeNotFound',
    ],
    ['unreadable', csr({ request: { ok: false, message: 'no' } }), 'RequestUnreadable'],
    [
      'two CNs',
      csr({}, { commonNames: ['system:node:n1', 'system:node:n1'] }),
      'CommonNameMismatch',
    ],
    ['O', csr({}, { organizations: [] }), 'OrganizationMismatch'],
    ['usages', csr({ usages: ['server auth'] }), 'UsagesMismatch'],
    ['RSA usages', csr({}, { keyAlgorithm: 'rsa' }), 'UsagesMismatch'],
    ['otherName', csr({}, { otherNames: 1 }), 'ForbiddenSanType'],
    ['no SAN', csr({}, { dnsNames: [], ipAddresses: [] }), 'NoSan'],
    ['IP', csr({}, { ipAddresses: ['10.0.0.2'] }), 'IpSanNotOfNode'],
    ['pattern is anchored', csr({}, { dnsNames: ['abc.example.evil'] }), 'DnsSanNotOfNode'],
    ['expiration', csr({ expirationSeconds: MAX_EXPIRATION_SECONDS + 1 }), 'ExpirationTooLong'],
  ];
  for (const [what, c, want] of rows) {
    const d = judgeServingCsr(c, NODES, POLICY);
    assert.equal(d === null ? null : d.approve ? 'approve' : d.reason, want, what);
  }
  assert.equal(compileDnsPattern('('), null);
  assert.equal(compileDnsPattern('a'.repeat(257)), null);
});

test('a refusal is said once per CSR and reason; forgotten when the CSR is gone', () => {
  const bad = csr({}, { ipAddresses: ['10.9.9.9'] });
  const p1 = planApprovals([bad, csr({ uid: 'c2', name: 'csr-2' })], [NODE], POLICY, new Set());
  assert.deepEqual(
    p1.tell.map((r) => [r.csr.name, r.reason, r.eventName]),
    [['csr-1', 'IpSanNotOfNode', 'certdrift-c1.ipsannotofnode']],
  );
  assert.deepEqual(
    p1.approve.map((a) => a.csr.name),
    ['csr-2'],
  );
  const p2 = planApprovals([bad], [NODE], POLICY, p1.keep);
  assert.deepEqual(p2.tell, []);
  assert.deepEqual([...planApprovals([], [NODE], POLICY, p1.keep).keep], []);
});

test('coverage, silence and metrics', () => {
  const now = new Date('2030-01-01T01:00:00Z');
  const v = buildFleetView(
    [NODE, { ...NODE, name: 'n"2\n', uid: 'u2' }, { ...NODE, name: 'w', os: 'windows' }],
    [
      {
        node: 'n1',
        scannedAt: '2030-01-01T00:00:00Z',
        deadline: '2029-12-31T00:00:00Z',
        worstSeverity: 'critical',
      },
      { node: 'gone', worstSeverity: '' },
    ],
    [
      csr(),
      csr(
        { uid: 'x', name: 'boot', username: 'system:bootstrap:abc', signerName: KUBELET_CLIENT },
        { commonNames: ['system:node:n1'] },
      ),
    ],
    { now, silentAfterSeconds: 1800, warnDays: 30, criticalDays: 7 },
  );
  const n1 = v.nodes.find((r) => r.node === 'n1');
  assert.deepEqual(
    n1 && [
      n1.coverage,
      n1.status,
      n1.deadlinePassedWhileSilent,
      n1.csrs.map((c) => `${c.signer} ${c.state} ${c.count}`),
    ],
    ['silent', 'expired', true, [`${KUBELET_CLIENT} pending 1`, `${KUBELET_SERVING} pending 1`]],
  );
  assert.deepEqual(Object.fromEntries(v.nodes.map((r) => [r.node, r.coverage])), {
    n1: 'silent',
    'n"2\n': 'no-agent',
    w: 'not-linux',
  });
  assert.deepEqual(v.orphanReports, ['gone']);
  const text = renderFleetMetrics(v, {
    lastSyncMs: now.getTime(),
    syncErrors: 0,
    approved: 2,
    leftPending: { NoSan: 1 },
  });
  assert.match(text, /^certdrift_fleet_node_report_present\{node="n\\"2\\n",os="linux"\} 0$/m);
  assert.match(
    text,
    /^certdrift_fleet_node_report_scanned_timestamp_seconds\{node="n1"\} 1893456000$/m,
  );
  assert.match(text, /^certdrift_fleet_node_deadline_seconds\{node="n1"\} 1893369600$/m);
  assert.match(
    text,
    /^certdrift_fleet_kubelet_csrs\{node="n1",signer="kubernetes.io\/kubelet-serving",state="pending"\} 1$/m,
  );
  assert.match(
    text,
    /^certdrift_fleet_kubelet_csr_oldest_created_timestamp_seconds\{node="n1",signer="kubernetes.io\/kubelet-serving",state="pending"\} 1893456000$/m,
  );
  assert.match(text, /^certdrift_fleet_serving_csrs_left_pending_total\{reason="NoSan"\} 1$/m);
});

test('deadline status: days or share of lifetime, either raises it; no notBefore → days only', () => {
  const now = new Date('2030-01-01T00:00:00Z');
  const day = 86_400_000;
  const iso = (d: number): string => new Date(now.getTime() + d * day).toISOString();
  // [report: deadline in days, notBefore in days (undefined: an older agent)], status, lifetimeLeft
  const rows: [string, number, number | undefined, string, number | null][] = [
    ['year-long, 100 days left (27.4 %): warning by share', 100, -265, 'warning', 0.274],
    ['year-long, 200 days left (54.8 %): ok', 200, -165, 'ok', 0.5479],
    ['10 years, 200 days left (5.5 %): critical by share', 200, -3450, 'critical', 0.0548],
    ['10 days, 5 left (50 %): critical by days', 5, -5, 'critical', 0.5],
    ['no notBefore in the report: days only', 100, undefined, 'ok', null],
  ];
  const nodes = rows.map(([name]) => ({ ...NODE, name, uid: name }));
  const v = buildFleetView(
    nodes,
    rows.map(([name, deadline, notBefore]) => ({
      node: name,
      scannedAt: now.toISOString(),
      deadline: iso(deadline),
      ...(notBefore !== undefined ? { deadlineNotBefore: iso(notBefore) } : {}),
      worstSeverity: 'ok',
    })),
    [],
    {
      now,
      silentAfterSeconds: 1800,
      warnDays: 30,
      criticalDays: 7,
      warnRatio: 1 / 3,
      criticalRatio: 0.1,
    },
  );
  for (const [name, , , status, share] of rows) {
    const r = v.nodes.find((x) => x.node === name);
    assert.deepEqual([r?.status, r?.lifetimeLeft], [status, share], name);
  }
  // Without ratio flags the share is still reported, and only days judge.
  const daysOnly = buildFleetView(
    nodes.slice(0, 1),
    [
      {
        node: rows[0]?.[0] ?? '',
        scannedAt: now.toISOString(),
        deadline: iso(100),
        deadlineNotBefore: iso(-265),
        worstSeverity: 'ok',
      },
    ],
    [],
    { now, silentAfterSeconds: 1800, warnDays: 30, criticalDays: 7 },
  );
  assert.equal(daysOnly.nodes[0]?.status, 'ok');
});
