// The matcher over real scan documents (built by the real report builder from hand-built
// inventories, through JSON as `--scan` reads them).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assess } from '../node/assess.js';
import { buildScanReport } from '../node/render/index.js';
import { cert, inventory } from '../../test/support/inventory.js';
import { container, fileView, mount, compare } from '../../test/support/workloads.js';
import { attributeFailures, FailureTally, keyIdVerdict } from './attribute.js';
import type { CertFailure } from './types.js';
import type { KnownCertificate } from './knowledge.js';
import { knowledgeFromScan, UNNAMED_NODE } from './from-scan.js';
import { parseApiServerLog } from './parse-log.js';

const NOW = new Date('2026-12-01T00:00:00Z');
const T = { warnMs: 30 * 864e5, criticalMs: 7 * 864e5 };

function scanDoc(node: string | undefined): unknown {
  const inv = inventory([
    cert({
      path: '/var/lib/kube-proxy/kubeconfig',
      serial: 'B2',
      component: 'kube-proxy',
      subject: 'CN=system:kube-proxy',
      notAfter: new Date('2028-01-01T00:00:00Z'),
      location: {
        path: '/var/lib/kube-proxy/kubeconfig',
        links: [],
        index: 0,
        kubeconfig: { entry: 'user', name: 'kube-proxy', field: 'client-certificate-data' },
      },
    }),
    cert({
      path: '/srv/kubernetes/old-client.crt',
      serial: '7F',
      component: 'other',
      notAfter: new Date('2026-11-01T00:00:00Z'),
    }),
  ]);
  // the container still reads serial 0A through a single-file mount; the node has B2
  inv.workloads = [
    container({
      id: 'c0ffee'.padEnd(64, '0'),
      component: 'kube-proxy',
      mounts: [
        mount({
          deleted: true,
          files: [
            compare(
              fileView({
                serial: 'B2',
                ino: 200,
                sha256: 'b'.repeat(64),
                notAfter: '2028-01-01T00:00:00Z',
              }),
              fileView({
                serial: '0A',
                ino: 100,
                sha256: 'a'.repeat(64),
                notAfter: '2026-11-30T05:18:59Z',
              }),
            ),
          ],
        }),
      ],
    }),
  ];
  const verdict = assess(inv, { now: NOW, thresholds: T });
  return JSON.parse(JSON.stringify(buildScanReport(inv, verdict, NOW, T, node)));
}

const line = (sn: number | string, when = '2026-11-30T06:00:01'): string =>
  `E1130 ${when.slice(11)}.000000       1 authentication.go:73] "Unable to authenticate the request" err="[x509: certificate has expired or is not yet valid: current time ${when}Z is after 2026-11-30T05:18:59Z, verifying certificate SN=${sn}, SKID=, AKID=AA:BB failed: x509: certificate has expired or is not yet valid: current time ${when}Z is after 2026-11-30T05:18:59Z]"`;

test('a stale container view is attributed to its node and component with the STALE_VIEW cause', () => {
  const k = knowledgeFromScan(scanDoc('node-a'), 'node-a.json');
  const log = [line(10), line(10, '2026-11-30T07:00:00'), line(127), line(999)].join('\n');
  const rows = attributeFailures(parseApiServerLog(log, { source: 'api.log' }), k.known);
  assert.equal(rows.length, 3);
  const stale = rows.find((r) => r.serialHex === 'A');
  assert.ok(stale?.attributed);
  assert.equal(stale.node, 'node-a');
  assert.equal(stale.component, 'kube-proxy');
  assert.equal(stale.count, 2);
  assert.equal(stale.first?.toISOString(), '2026-11-30T06:00:01.000Z');
  assert.equal(stale.last?.toISOString(), '2026-11-30T07:00:00.000Z');
  assert.equal(stale.places[0]?.residence, 'container-view');
  assert.equal(stale.cause?.code, 'stale-single-file-mount');
  assert.match(stale.cause.text, /Single-file bind mount/);
  assert.match(stale.cause.remedy, /Recreate the container/);

  const onDisk = rows.find((r) => r.serialHex === '7F');
  assert.equal(onDisk?.cause?.code, 'expired-on-disk');
  assert.equal(onDisk.places[0]?.residence, 'file');

  const unknown = rows.find((r) => r.serialHex === '3E7');
  assert.ok(unknown && !unknown.attributed);
  assert.equal(unknown.node, undefined);
  assert.match(unknown.identify ?? '', /sourceIPs/);
  assert.match(unknown.identify ?? '', /SN=999/);
});

test('the current file certificate is known but not blamed', () => {
  const k = knowledgeFromScan(scanDoc('node-a'), 'node-a.json');
  const [row] = attributeFailures(parseApiServerLog(line(0xb2), { source: 'x' }), k.known);
  assert.ok(row?.attributed);
  assert.equal(row.places[0]?.residence, 'file');
  assert.equal(row.cause, undefined);
});

test('scans without a node name and documents that are not scans', () => {
  assert.equal(knowledgeFromScan(scanDoc(undefined), 's.json').node, UNNAMED_NODE);
  const bad = knowledgeFromScan({ kind: 'Pod' }, 'pod.json');
  assert.equal(bad.known.length, 0);
  assert.match(bad.problems[0] ?? '', /not a certdrift scan document/);
  assert.equal(knowledgeFromScan(null, 'n').known.length, 0);
});

// Serials are unique only per CA: the key identifiers the API server logs decide.
const CA_A = 'AA:AA';
const CA_B = 'BB:BB';
const logLine = (akid: string, skid = '11:11'): string =>
  `E1130 06:00:01.000000       1 authentication.go:73] "Unable to authenticate the request" err="verifying certificate SN=10, SKID=${skid}, AKID=${akid} failed: x509: certificate has expired or is not yet valid: current time 2026-11-30T06:00:01Z is after 2026-11-30T05:18:59Z"`;
const knownCert = (
  node: string,
  ids: { subjectKeyId?: string; authorityKeyId?: string },
): KnownCertificate => ({
  node,
  serialHex: 'A',
  fingerprintSha256: node,
  subject: 'CN=system:kube-proxy',
  component: 'kube-proxy',
  residence: 'container-view',
  location: `${node} kube-proxy`,
  source: 'test',
  ...ids,
});

for (const row of [
  {
    name: 'same serial, same AKID and SKID: attributed, confirmed by key ids',
    known: [knownCert('n1', { authorityKeyId: CA_A, subjectKeyId: '11:11' })],
    log: logLine(CA_A),
    want: { attributed: true, node: 'n1', match: 'serial+key-ids', otherCa: 0 },
  },
  {
    name: 'same serial, other CA (AKID differs): not attributed, the other certificate named',
    known: [knownCert('n1', { authorityKeyId: CA_B, subjectKeyId: '11:11' })],
    log: logLine(CA_A),
    want: { attributed: false, otherCa: 1, identify: /another CA/ },
  },
  {
    name: 'same serial and AKID, another key (SKID differs): not attributed',
    known: [knownCert('n1', { authorityKeyId: CA_A, subjectKeyId: '22:22' })],
    log: logLine(CA_A),
    want: { attributed: false, otherCa: 1 },
  },
  {
    name: 'a collision across CAs on two nodes: only the node with the logged CA',
    known: [
      knownCert('n1', { authorityKeyId: CA_B, subjectKeyId: '11:11' }),
      knownCert('n2', { authorityKeyId: CA_A, subjectKeyId: '11:11' }),
    ],
    log: logLine(CA_A),
    want: { attributed: true, node: 'n2', match: 'serial+key-ids', otherCa: 1, places: 1 },
  },
  {
    name: 'knowledge without key ids (older scans): serial only, said so',
    known: [knownCert('n1', {})],
    log: logLine(CA_A),
    want: { attributed: true, node: 'n1', match: 'serial', otherCa: 0 },
  },
  {
    name: 'serial only, on two nodes: ambiguous',
    known: [knownCert('n1', {}), knownCert('n2', {})],
    log: logLine(CA_A),
    want: { attributed: true, match: 'serial', ambiguous: true, places: 2 },
  },
  {
    name: 'the log has no AKID (certificate without one) but the known one has: differs',
    known: [knownCert('n1', { authorityKeyId: CA_A })],
    log: logLine(''),
    want: { attributed: false, otherCa: 1 },
  },
])
  test(`key ids: ${row.name}`, () => {
    const [r] = attributeFailures(parseApiServerLog(row.log, { source: 'x' }), row.known);
    assert.ok(r);
    const w = row.want;
    assert.equal(r.attributed, w.attributed);
    if (w.node !== undefined) assert.equal(r.node, w.node);
    if (!w.attributed) assert.equal(r.node, undefined);
    if (w.match !== undefined) assert.equal(r.match, w.match);
    if (w.otherCa !== undefined) assert.equal(r.otherCa?.length ?? 0, w.otherCa);
    if (w.places !== undefined) assert.equal(r.places.length, w.places);
    assert.equal(r.ambiguous === true, w.ambiguous === true);
    if (w.identify) assert.match(r.identify ?? '', w.identify);
  });

test('keyIdVerdict: compares only what the knowledge recorded', () => {
  assert.equal(keyIdVerdict({ skid: 'A1', akid: 'B2' }, {}), 'unknown');
  assert.equal(keyIdVerdict({ skid: 'A1', akid: 'B2' }, { authorityKeyId: 'b2' }), 'same');
  assert.equal(keyIdVerdict({ skid: 'A1', akid: 'B2' }, { subjectKeyId: 'A2' }), 'differs');
  assert.equal(keyIdVerdict({ skid: '', akid: '' }, { authorityKeyId: '' }), 'same');
});

test('the tally keeps at most its cap, dropping the certificate seen least recently', () => {
  const tally = new FailureTally(3);
  const seen = (sn: number): CertFailure => ({
    serialDecimal: String(sn),
    serialHex: sn.toString(16).toUpperCase(),
    skid: '',
    akid: '',
    kind: 'unknown-authority',
    message: 'x509: certificate signed by unknown authority',
    line: sn,
    source: '-',
  });
  for (const sn of [1, 2, 3]) assert.equal(tally.add(seen(sn)), true);
  assert.equal(tally.add(seen(1)), false); // 1 is now the most recent
  tally.add(seen(4)); // drops 2
  tally.add(seen(5)); // drops 3
  assert.equal(tally.add(seen(1)), false);
  assert.deepEqual(
    tally
      .rows([])
      .map((r) => r.serialDecimal)
      .sort(),
    ['1', '4', '5'],
  );
  assert.equal(tally.evictedCertificates, 2);
  assert.equal(tally.totalFailures, 7);
  assert.equal(tally.add(seen(2)), true); // dropped, so new again (--follow prints it again)
});
