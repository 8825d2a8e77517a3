// `certdrift fleet --warn-ratio/--critical-ratio` on the real control plane: the report's
// deadlineNotBefore survives the CRD's structural schema (an unlisted field would be pruned), and
// the fleet judges the share of the deadline certificate's lifetime left next to the days; a
// report without it (an older agent) is judged by days only and says so (lifetimeLeft: null).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unique, useControlPlane } from '../support/control-plane/index.js';
import { install } from '../support/control-plane/install.js';
import { haveKubectl, renderOverlay } from '../support/deploy-manifests.js';
import { runFleet } from '../support/fleet-cli.js';

const REPORTS = '/apis/certdrift.io/v1alpha1/nodecertificatereports';

test('fleet: deadlines judged by share of lifetime as well as days', async (t) => {
  const cp = useControlPlane(t);
  if (!cp) return;
  if (!haveKubectl()) return t.skip('kubectl renders the shipped manifests');
  const { namespace: ns } = await install(cp, t, renderOverlay(['base', 'fleet']));
  const kubeconfig = cp.kubeconfig(await cp.token(ns, 'certdrift-fleet', { create: false }));
  const T0 = Date.parse('2031-03-01T12:00:00Z');
  const day = 86_400_000;
  const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
  const names = {
    year: unique('fr-year'), // 100 of 365 days left: 27 %
    decade: unique('fr-decade'), // 200 of 3650 days left: 5.5 %
    old: unique('fr-old-agent'), // no deadlineNotBefore
  };
  const reports: Record<string, { deadline: number; notBefore?: number }> = {
    [names.year]: { deadline: T0 + 100 * day, notBefore: T0 - 265 * day },
    [names.decade]: { deadline: T0 + 200 * day, notBefore: T0 - 3450 * day },
    [names.old]: { deadline: T0 + 100 * day },
  };
  for (const [n, r] of Object.entries(reports)) {
    const node = await cp.node(n, { kubelet: false });
    t.after(() => cp.admin.request('DELETE', `/api/v1/nodes/${n}`));
    const uid = String((node.metadata as { uid?: string }).uid);
    await cp.admin.create(REPORTS, {
      apiVersion: 'certdrift.io/v1alpha1',
      kind: 'NodeCertificateReport',
      metadata: { name: n, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: n, uid }] },
    });
    const current = await cp.admin.get(`${REPORTS}/${n}`);
    await cp.admin.ok('PUT', `${REPORTS}/${n}/status`, {
      ...current,
      status: {
        scannedAt: iso(T0 - 60_000),
        deadline: iso(r.deadline),
        ...(r.notBefore !== undefined ? { deadlineNotBefore: iso(r.notBefore) } : {}),
        worstSeverity: 'ok',
        certificates: 3,
        staleViews: 0,
        notReloaded: 0,
        findings: [],
      },
    });
  }
  // the field is in the schema: the API server kept it
  const stored = (await cp.admin.get(`${REPORTS}/${names.year}`)) as {
    status?: { deadlineNotBefore?: string };
  };
  assert.equal(stored.status?.deadlineNotBefore, iso(T0 - 265 * day));

  type View = { nodes: { node: string; status: string; lifetimeLeft: number | null }[] };
  const judge = async (...flags: string[]): Promise<{ code: number; view: View }> => {
    const r = await runFleet(['--kubernetes', kubeconfig, '--at', iso(T0), '-o', 'json', ...flags]);
    return { code: r.code, view: JSON.parse(r.out) as View };
  };
  const row = (v: View, n: string) => {
    const r = v.nodes.find((x) => x.node === n);
    return r && [r.status, r.lifetimeLeft];
  };
  const days = await judge();
  assert.deepEqual(
    Object.values(names).map((n) => row(days.view, n)),
    [
      ['ok', 0.274],
      ['ok', 0.0548],
      ['ok', null],
    ],
  );
  const ratio = await judge('--warn-ratio', '0.33', '--critical-ratio', '0.1');
  assert.equal(ratio.code, 2);
  assert.deepEqual(
    Object.values(names).map((n) => row(ratio.view, n)?.[0]),
    ['warning', 'critical', 'ok'],
  );
  const bad = await runFleet([
    '--kubernetes',
    kubeconfig,
    '--warn-ratio',
    '0.1',
    '--critical-ratio',
    '0.5',
  ]);
  assert.equal(bad.code, 3);
  assert.match(bad.err, /--critical-ratio \(0.5\) must not exceed --warn-ratio \(0.1\)/);
});
