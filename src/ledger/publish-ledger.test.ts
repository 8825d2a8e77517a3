// The published part of a ledger: the most useful locations first, bounded in count and bytes,
// strings cut to the CRD's maxLength, and read back from API JSON.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_LENGTH, parsePublishedLedger, publishedLedger, utf8Length } from './publish-ledger.js';
import type { Ledger, LedgerLocation } from './types.js';

const entry = (serial: string, lastSeen = '2026-11-20T00:00:00.000Z') => ({
  serial,
  fingerprintSha256: serial.padEnd(64, '0'),
  subject: 'CN=x',
  notAfter: '2027-01-01T00:00:00.000Z',
  firstSeen: '2026-11-01T00:00:00.000Z',
  lastSeen,
});
const loc = (over: Partial<LedgerLocation>): LedgerLocation => ({
  kind: 'file',
  path: '/x',
  component: 'other',
  entries: [entry('01')],
  ...over,
});
const ledger = (locations: LedgerLocation[]): Ledger => ({
  apiVersion: 'certdrift.io/v1alpha1',
  kind: 'CertificateLedger',
  node: 'n1',
  updatedAt: '2026-11-20T00:00:00.000Z',
  locations,
});

test('order: processes, container views, replaced files, component files, the rest', () => {
  const l = ledger([
    loc({ path: '/other' }),
    loc({ path: '/kubelet', component: 'kubelet-client' }),
    loc({ path: '/replaced', entries: [entry('01'), entry('02')] }),
    loc({ kind: 'container-view', path: '/view' }),
    loc({ kind: 'process', path: '/proc' }),
  ]);
  const p = publishedLedger(l);
  assert.deepEqual(
    p.locations.map((x) => x.path),
    ['/proc', '/view', '/replaced', '/kubelet', '/other'],
  );
  assert.equal(p.omittedLocations, 0);
  const two = publishedLedger(l, { maxLocations: 2, maxBytes: 1e6 });
  assert.deepEqual(
    two.locations.map((x) => x.path),
    ['/proc', '/view'],
  );
  assert.equal(two.omittedLocations, 3);
  assert.equal(two.totalLocations, 5);
  const small = publishedLedger(l, { maxLocations: 100, maxBytes: 700 });
  assert.ok(small.locations.length < 5 && small.locations.length > 0);
  assert.ok(utf8Length(JSON.stringify(small)) <= 700 + 200);
});

test('strings longer than the CRD allows are cut, not refused', () => {
  const long = loc({
    path: `/${'p'.repeat(5000)}`,
    entries: [{ ...entry('01'), subject: `CN=${'é'.repeat(2000)}` }],
  });
  const [p] = publishedLedger(ledger([long])).locations;
  assert.ok(p);
  assert.equal(p.path.length, MAX_LENGTH.path);
  assert.equal(p.entries[0]?.subject.length, MAX_LENGTH.text);
  assert.ok(p.entries[0].subject.endsWith('…'));
});

test('utf8Length counts bytes', () => {
  assert.equal(utf8Length('a'), 1);
  assert.equal(utf8Length('é'), 2);
  assert.equal(utf8Length('…'), 3);
  assert.equal(utf8Length('😀'), 4);
});

test('parsePublishedLedger: round trip; anything else is undefined', () => {
  const p = publishedLedger(ledger([loc({ kind: 'process', path: '/p' })]));
  assert.deepEqual(parsePublishedLedger(JSON.parse(JSON.stringify(p))), p);
  for (const bad of [undefined, null, 1, 'x', [], {}, { updatedAt: 'nope' }])
    assert.equal(parsePublishedLedger(bad), undefined);
});
