// The ledger in the NodeCertificateReport: published by the agent's own service account through
// the shipped CRD (which prunes what it does not declare and enforces maxItems/maxLength), read
// back intact, and bounded — the report of a 10,000-certificate node whose every certificate was
// replaced five times stays far below etcd's 1.5 MiB request limit.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reportOf } from '../../src/adapters/kube/map-objects.js';
import { publishNodeStatus } from '../../src/adapters/kube/publish.js';
import { PUBLISH_LIMITS, publishedLedger, utf8Length } from '../../src/ledger/publish-ledger.js';
import { updateLedger } from '../../src/ledger/update-ledger.js';
import { bigLedger } from '../support/big-ledger.js';
import { cert, inventory } from '../support/inventory.js';
import { ETCD_MAX_REQUEST_BYTES } from '../support/kube-emulator/size-limits.js';
import { finding, statusSpec } from './spec.js';
import { needKubectl, startCluster } from './setup.js';

const NOW = new Date('2026-11-25T10:00:00Z');

test('the agent publishes its ledger; the CRD keeps every field; the client reads it back', async (t) => {
  if (!needKubectl(t)) return;
  const lab = await startCluster();
  t.after(() => lab.emu.stop());
  const inv = inventory([
    cert({
      path: '/var/lib/kube-proxy/kubeconfig',
      serial: '0A',
      component: 'kube-proxy',
      subjectKeyId: '11:22',
      authorityKeyId: 'AA:BB',
    }),
  ]);
  const ledger = updateLedger(null, inv, 'n1', NOW);
  const published = publishedLedger(ledger);
  const spec = statusSpec([finding('STALE_VIEW', 'critical', 'x')], NOW);
  await publishNodeStatus(
    lab.client(),
    'n1',
    { ...spec, report: { ...spec.report, ledger: published } },
    NOW,
  );
  const stored = lab.emu.find('certdrift.io', 'nodecertificatereports', 'n1') as unknown as {
    status: { ledger: unknown };
  };
  assert.deepEqual(stored.status.ledger, JSON.parse(JSON.stringify(published)), 'nothing pruned');
  // read back as `attribute --kubernetes` reads it (cluster/map-objects.ts)
  assert.deepEqual(reportOf(stored).status?.ledger, published);
});

test('a 10,000-certificate node: the published ledger is bounded, the most useful first, and etcd takes the report', async (t) => {
  if (!needKubectl(t)) return;
  const ledger = bigLedger();
  const full = utf8Length(JSON.stringify(ledger));
  const published = publishedLedger(ledger);
  const spec = statusSpec([], NOW);
  const report = { ...spec.report, ledger: published };
  const size = utf8Length(JSON.stringify(report));
  t.diagnostic(
    `ledger: ${ledger.locations.length} locations, ${(full / 1024 / 1024).toFixed(1)} MiB in full; published: ${published.locations.length} locations, report status ${(size / 1024).toFixed(0)} KiB`,
  );
  assert.ok(full > ETCD_MAX_REQUEST_BYTES, 'unbounded, the ledger would not fit');
  assert.ok(size <= PUBLISH_LIMITS.maxBytes + 4096, `report status ${size} bytes`);
  assert.ok(size < ETCD_MAX_REQUEST_BYTES / 4);
  assert.equal(published.totalLocations, ledger.locations.length);
  assert.equal(published.omittedLocations, ledger.locations.length - published.locations.length);
  assert.ok(published.omittedLocations > 0);
  // every process and container view is published before any file
  const live = ledger.locations.filter((l) => l.kind !== 'file').length;
  assert.ok(live > 0);
  assert.deepEqual(
    published.locations.slice(0, live).map((l) => l.kind !== 'file'),
    Array(live).fill(true),
  );
  assert.ok(published.locations.every((l) => l.entries.length <= 5));
  const lab = await startCluster();
  t.after(() => lab.emu.stop());
  await publishNodeStatus(lab.client(), 'n1', { ...spec, report }, NOW);
  const stored = lab.emu.find('certdrift.io', 'nodecertificatereports', 'n1');
  assert.ok(utf8Length(JSON.stringify(stored)) < ETCD_MAX_REQUEST_BYTES / 4);
  // without the bound the same report is refused (etcd's limit, or the API server's 3 MiB)
  const unbounded = publishedLedger(ledger, { maxLocations: 1e9, maxBytes: 1e9 });
  await assert.rejects(
    publishNodeStatus(
      lab.client(),
      'n1',
      { ...spec, report: { ...spec.report, ledger: unbounded } },
      NOW,
    ),
    /too large|Too many/,
  );
});
