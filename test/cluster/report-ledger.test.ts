// The ledger in the NodeCertificateReport on the real control plane: published by the agent's own
// service account through the shipped CRD (the real API server prunes what the schema does not
// declare and enforces maxItems/maxLength), read back intact, and bounded — the report of a
// 10,000-certificate node whose every certificate was replaced five times stays far below etcd's
// 1.5 MiB request limit, and what the bound leaves out is what the real server and etcd refuse.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HttpCluster } from '../../src/adapters/kube/http-cluster.js';
import { KubeApi } from '../../src/adapters/kube/kube-api.js';
import { kubeconfigConnection } from '../../src/adapters/kube/kubeconfig.js';
import { reportOf } from '../../src/adapters/kube/map-objects.js';
import { publishNodeStatus } from '../../src/adapters/kube/publish.js';
import { PUBLISH_LIMITS, publishedLedger, utf8Length } from '../../src/ledger/publish-ledger.js';
import { updateLedger } from '../../src/ledger/update-ledger.js';
import { bigLedger } from '../support/big-ledger.js';
import { cert, inventory } from '../support/inventory.js';
import { finding, statusSpec } from './spec.js';
import { startCluster } from './setup.js';

/** etcd's --max-request-bytes default (server/embed/config.go DefaultMaxRequestBytes), which
 * the test control plane keeps */
const ETCD_MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;
/** kube-apiserver's MaxRequestBodyBytes (staging/src/k8s.io/apiserver/pkg/server/config.go) */
const MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024;

const NOW = new Date('2026-11-25T10:00:00Z');

test('the agent publishes its ledger; the CRD keeps every field; the client reads it back', async (t) => {
  const lab = await startCluster(t, { kubelet: false });
  if (!lab) return;
  const { cp, node } = lab;
  const inv = inventory([
    cert({
      path: '/var/lib/kube-proxy/kubeconfig',
      serial: '0A',
      component: 'kube-proxy',
      subjectKeyId: '11:22',
      authorityKeyId: 'AA:BB',
    }),
  ]);
  const ledger = updateLedger(null, inv, node, NOW);
  const published = publishedLedger(ledger);
  const spec = statusSpec([finding('STALE_VIEW', 'critical', 'x')], NOW, node);
  await publishNodeStatus(
    lab.client(),
    node,
    { ...spec, report: { ...spec.report, ledger: published } },
    NOW,
  );
  const path = `/apis/certdrift.io/v1alpha1/nodecertificatereports/${node}`;
  const stored = (await cp.admin.get(path)) as unknown as { status: { ledger: unknown } };
  assert.deepEqual(stored.status.ledger, JSON.parse(JSON.stringify(published)), 'nothing pruned');
  // read back as `attribute --kubernetes` reads it (cluster/map-objects.ts)
  assert.deepEqual(reportOf(stored).status?.ledger, published);
  // The schema is what the server enforces: a field it does not declare is pruned (an agent
  // newer than its CRD loses it, silently), and a bound it declares is a 422.
  const [location] = published.locations;
  assert.ok(location);
  const extra = { ...location, entries: location.entries.map((e) => ({ ...e, issuer: 'x' })) };
  await publishNodeStatus(
    lab.client(),
    node,
    { ...spec, report: { ...spec.report, ledger: { ...published, locations: [extra] } } },
    NOW,
  );
  const pruned = (await cp.admin.get(path)) as unknown as {
    status: { ledger: { locations: { entries: Record<string, unknown>[] }[] } };
  };
  assert.equal(pruned.status.ledger.locations[0]?.entries[0]?.issuer, undefined, 'pruned');
  assert.equal(pruned.status.ledger.locations[0]?.entries[0]?.serial, '0A');
  const six = {
    ...location,
    entries: Array(6).fill(location.entries[0]) as typeof location.entries,
  };
  await assert.rejects(
    publishNodeStatus(
      lab.client(),
      node,
      { ...spec, report: { ...spec.report, ledger: { ...published, locations: [six] } } },
      NOW,
    ),
    /PUT .*\/status: 422 .*entries: Too many: 6: must have at most 5 items/,
  );
});

test('a 10,000-certificate node: the published ledger is bounded, the most useful first, and etcd takes the report', async (t) => {
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
  const lab = await startCluster(t, { kubelet: false });
  if (!lab) return;
  const { cp, node } = lab;
  await publishNodeStatus(lab.client(), node, { ...spec, report }, NOW);
  const stored = await cp.admin.get(`/apis/certdrift.io/v1alpha1/nodecertificatereports/${node}`);
  assert.ok(utf8Length(JSON.stringify(stored)) < ETCD_MAX_REQUEST_BYTES / 4);
  // Without the bound the same report is refused by the API server (over its 3 MiB body limit).
  const unbounded = publishedLedger(ledger, { maxLocations: 1e9, maxBytes: 1e9 });
  assert.ok(utf8Length(JSON.stringify(unbounded)) > MAX_REQUEST_BODY_BYTES);
  // Straight to the API server, not through the fault proxy: what is asserted is the real
  // server's and etcd's answer to a large upload (which they give before reading all of it).
  const token = readFileSync(join(lab.saDir, 'token'), 'utf8').trim();
  const client = new HttpCluster(
    new KubeApi(kubeconfigConnection(cp.kubeconfig(token), { env: {} }), {
      userAgent: 'certdrift/test',
      sleep: () => Promise.resolve(),
    }),
  );
  await assert.rejects(
    publishNodeStatus(
      client,
      node,
      { ...spec, report: { ...spec.report, ledger: unbounded } },
      NOW,
    ),
    /: 413 Request entity too large: limit is 3145728/,
  );
  // Within the body limit and the CRD's 1,000 locations, but over etcd's: etcd refuses it.
  const big = publishedLedger(ledger, { maxLocations: 1000, maxBytes: 2.5 * 1024 * 1024 });
  const bigSize = utf8Length(JSON.stringify(big));
  t.diagnostic(`1,000 locations unbounded in bytes: ${(bigSize / 1024).toFixed(0)} KiB`);
  assert.ok(bigSize > ETCD_MAX_REQUEST_BYTES && bigSize < MAX_REQUEST_BODY_BYTES);
  await assert.rejects(
    publishNodeStatus(client, node, { ...spec, report: { ...spec.report, ledger: big } }, NOW),
    /etcdserver: request is too large/,
  );
});
