// The ledger over successive scans: history per location, bounds, and the serial a load-once
// process holds after its file was replaced — the fact no single scan has.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Inventory } from '../model/index.js';
import { cert, inventory } from '../../test/support/inventory.js';
import { compare, container, fileView, mount } from '../../test/support/workloads.js';
import { knowledgeFromLedger } from '../attribute/from-ledger.js';
import { parseLedger } from './parse-ledger.js';
import { updateLedger } from './update-ledger.js';

const KP = '/var/lib/kube-proxy/kubeconfig';
const at = (s: string): Date => new Date(s);

function scanWith(serial: string, fp: string, ctime: string, startedAt: string): Inventory {
  const inv = inventory([
    cert({
      path: KP,
      serial,
      fingerprintSha256: fp,
      component: 'kube-proxy',
      subject: 'CN=system:kube-proxy',
    }),
  ]);
  const view = fileView({ serial, sha256: fp, ctime: at(ctime) });
  // fileView's leaf carries a fixed fingerprint: give it this certificate's
  const leaf = view.certificates[1];
  if (leaf) leaf.fingerprintSha256 = fp;
  inv.workloads = [
    container({
      startedAt: at(startedAt),
      component: 'kube-proxy',
      mounts: [mount({ kind: 'dir', files: [compare(view, view)] })],
    }),
  ];
  return inv;
}

test('a process that started before a rotation is known to hold the old serial', () => {
  const started = '2026-11-01T00:00:00Z';
  const l1 = updateLedger(
    null,
    scanWith('A1', 'a'.repeat(64), '2026-10-01T00:00:00Z', started),
    'n1',
    at('2026-11-10T00:00:00Z'),
  );
  const p1 = l1.locations.find((l) => l.kind === 'process');
  assert.equal(p1?.entries[0]?.serial, 'A1');
  assert.match(p1.entries[0].basis ?? '', /not changed since the process started/);

  // rotation: the file now holds B2, replaced after the process started; the process keeps A1
  const l2 = updateLedger(
    l1,
    scanWith('B2', 'b'.repeat(64), '2026-11-20T00:00:00Z', started),
    'n1',
    at('2026-11-21T00:00:00Z'),
  );
  const file = l2.locations.find((l) => l.kind === 'file');
  assert.deepEqual(
    file?.entries.map((e) => [e.serial, e.lastSeen]),
    [
      ['A1', '2026-11-10T00:00:00.000Z'],
      ['B2', '2026-11-21T00:00:00.000Z'],
    ],
  );
  const p2 = l2.locations.find((l) => l.kind === 'process');
  const held = p2?.entries.find((e) => e.lastSeen === l2.updatedAt);
  assert.equal(held?.serial, 'A1');

  const known = knowledgeFromLedger(l2, 'ledger.json').known;
  const mem = known.find((k) => k.residence === 'process-memory' && k.serialHex === 'A1');
  assert.equal(mem?.cause?.code, 'not-reloaded');
  assert.equal(mem.node, 'n1');
  assert.equal(mem.component, 'kube-proxy');
  const old = known.find((k) => k.residence === 'file-history' && k.serialHex === 'A1');
  assert.equal(old?.cause?.code, 'superseded');
  assert.equal(known.find((k) => k.residence === 'file' && k.serialHex === 'B2')?.cause, undefined);

  // once the process restarts after the rotation it holds B2, and nothing blames it any more
  const l3 = updateLedger(
    l2,
    scanWith('B2', 'b'.repeat(64), '2026-11-20T00:00:00Z', '2026-11-22T00:00:00Z'),
    'n1',
    at('2026-11-23T00:00:00Z'),
  );
  const k3 = knowledgeFromLedger(l3, 'x').known.filter(
    (k) => k.residence === 'process-memory' && k.cause,
  );
  assert.deepEqual(k3, []);
});

test('bounded: five entries per location, none older than 30 days', () => {
  let ledger = null;
  for (let i = 0; i < 8; i++) {
    const fp = String(i).repeat(64);
    ledger = updateLedger(
      ledger,
      scanWith(`C${i}`, fp, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
      'n1',
      at(`2026-11-0${i + 1}T00:00:00Z`),
    );
  }
  const file = ledger?.locations.find((l) => l.kind === 'file');
  assert.deepEqual(
    file?.entries.map((e) => e.serial),
    ['C3', 'C4', 'C5', 'C6', 'C7'],
  );
  const later = updateLedger(ledger, inventory([]), 'n1', at('2026-12-20T00:00:00Z'));
  assert.deepEqual(later.locations, []);
});

test('container views record the mount kind; a differing view is a stale single-file mount', () => {
  const inv = scanWith('B2', 'b'.repeat(64), '2026-11-20T00:00:00Z', '2026-11-01T00:00:00Z');
  const stale = fileView({ serial: 'A1', sha256: 'a'.repeat(64) });
  const leaf = stale.certificates[1];
  if (leaf) leaf.fingerprintSha256 = 'a'.repeat(64);
  const host = fileView({ serial: 'B2', sha256: 'b'.repeat(64) });
  const hleaf = host.certificates[1];
  if (hleaf) hleaf.fingerprintSha256 = 'b'.repeat(64);
  inv.workloads = [container({ mounts: [mount({ kind: 'file', files: [compare(host, stale)] })] })];
  const l = updateLedger(null, inv, 'n1', at('2026-11-21T00:00:00Z'));
  const view = l.locations.find((x) => x.kind === 'container-view');
  assert.equal(view?.workload?.mountKind, 'file');
  const k = knowledgeFromLedger(l, 'x').known.find((x) => x.residence === 'container-view');
  assert.equal(k?.serialHex, 'A1');
  assert.equal(k.cause?.code, 'stale-single-file-mount');
});

test('parseLedger: round trip, and garbage is a problem, not an exception', () => {
  const l = updateLedger(
    null,
    scanWith('A1', 'a'.repeat(64), '2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z'),
    'n1',
    at('2026-11-10T00:00:00Z'),
  );
  const back = parseLedger(JSON.parse(JSON.stringify(l)));
  assert.ok('ledger' in back);
  assert.deepEqual(back.ledger, l);
  for (const bad of [null, 1, 'x', [], {}, { kind: 'CertificateLedger' }])
    assert.ok('problem' in parseLedger(bad));
  const partial = parseLedger({
    ...l,
    locations: [{ kind: 'nope' }, ...l.locations, { kind: 'file' }],
  });
  assert.ok('ledger' in partial);
  assert.equal(partial.ledger.locations.length, l.locations.length);
});

test('key identifiers are recorded per entry, survive a round trip and reach the knowledge', () => {
  const inv = inventory([
    cert({
      path: KP,
      serial: '0A',
      fingerprintSha256: 'f'.repeat(64),
      component: 'kube-proxy',
      subjectKeyId: '11:22',
      authorityKeyId: 'AA:BB',
    }),
    cert({ path: '/etc/other.crt', serial: '0B', fingerprintSha256: 'e'.repeat(64) }),
  ]);
  const l = updateLedger(null, inv, 'n1', at('2026-11-01T00:00:00Z'));
  const parsed = parseLedger(JSON.parse(JSON.stringify(l)));
  assert.ok('ledger' in parsed);
  const byPath = new Map(parsed.ledger.locations.map((x) => [x.path, x.entries[0]]));
  assert.equal(byPath.get(KP)?.subjectKeyId, '11:22');
  assert.equal(byPath.get(KP)?.authorityKeyId, 'AA:BB');
  assert.equal(byPath.get('/etc/other.crt')?.authorityKeyId, undefined);
  const k = knowledgeFromLedger(parsed.ledger, 'ledger').known.find((x) => x.serialHex === 'A');
  assert.equal(k?.authorityKeyId, 'AA:BB');
  // an entry written before key ids were recorded gets them at its next sighting
  const old = structuredClone(l);
  for (const loc of old.locations)
    for (const e of loc.entries) {
      delete e.subjectKeyId;
      delete e.authorityKeyId;
    }
  const next = updateLedger(old, inv, 'n1', at('2026-11-02T00:00:00Z'));
  const e = next.locations.find((x) => x.path === KP)?.entries;
  assert.equal(e?.length, 1);
  assert.equal(e[0]?.authorityKeyId, 'AA:BB');
});
