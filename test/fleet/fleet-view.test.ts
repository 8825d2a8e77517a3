// `certdrift fleet` on the real control plane with the view's own ServiceAccount (deploy/fleet,
// no approver): a node whose report stops being updated is silent once --silent-after has passed
// (time is --at, not real waiting), a Linux node without a report has no agent, a Windows node
// without one is not counted, a deadline that passed while silent is critical; the same facts
// as `-o table`, `-o json` and /metrics (whose families the alert rules use).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unique, useControlPlane } from '../support/control-plane/index.js';
import { install } from '../support/control-plane/install.js';
import { haveKubectl, renderOverlay } from '../support/deploy-manifests.js';
import { runFleet } from '../support/fleet-cli.js';

const REPORTS = '/apis/certdrift.io/v1alpha1/nodecertificatereports';

test('fleet: reporting, silent after N minutes, no agent, not Linux, deadline passed while silent', async (t) => {
  const cp = useControlPlane(t);
  if (!cp) return;
  if (!haveKubectl()) return t.skip('kubectl renders the shipped manifests');
  const { namespace: ns } = await install(cp, t, renderOverlay(['base', 'fleet']));
  const kubeconfig = cp.kubeconfig(await cp.token(ns, 'certdrift-fleet', { create: false }));
  const T0 = Date.parse('2031-03-01T12:00:00Z');
  const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
  const day = 86_400_000;
  const names = {
    ok: unique('fv-reporting'),
    silent: unique('fv-silent'),
    gone: unique('fv-expired-silent'),
    noAgent: unique('fv-no-agent'),
    windows: unique('fv-windows'),
  };
  const reports: Record<string, { scannedAt: number; deadline: number }> = {
    [names.ok]: { scannedAt: T0 - 2 * 60_000, deadline: T0 + 200 * day },
    [names.silent]: { scannedAt: T0 - 45 * 60_000, deadline: T0 + 20 * day },
    [names.gone]: { scannedAt: T0 - 40 * day, deadline: T0 - 3 * day },
  };
  for (const n of Object.values(names)) {
    const labels: Record<string, string> =
      n === names.windows ? { 'kubernetes.io/os': 'windows' } : {};
    const node = await cp.node(n, { kubelet: false, labels });
    t.after(() => cp.admin.request('DELETE', `/api/v1/nodes/${n}`));
    const r = reports[n];
    if (!r) continue;
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
        scannedAt: iso(r.scannedAt),
        deadline: iso(r.deadline),
        worstSeverity: 'ok',
        certificates: 3,
        staleViews: 0,
        notReloaded: 0,
        findings: [],
      },
    });
  }

  const json = await runFleet(['--kubernetes', kubeconfig, '--at', iso(T0), '-o', 'json']);
  assert.equal(json.code, 2, json.err); // a deadline passed while silent is critical
  const view = JSON.parse(json.out) as {
    nodes: {
      node: string;
      coverage: string;
      status: string;
      reportAgeSeconds: number | null;
      deadlinePassedWhileSilent: boolean;
    }[];
  };
  const row = (n: string) => view.nodes.find((x) => x.node === n);
  assert.deepEqual(
    Object.values(names).map((n) => {
      const r = row(n);
      return r && [r.coverage, r.status, r.reportAgeSeconds, r.deadlinePassedWhileSilent];
    }),
    [
      ['reporting', 'ok', 120, false],
      ['silent', 'warning', 2700, false],
      ['silent', 'expired', 40 * 86_400, true],
      ['no-agent', 'unknown', null, false],
      ['not-linux', 'unknown', null, false],
    ],
  );
  // Ten minutes earlier the 45-minute-old report was 35 minutes old: silent after 40m, not yet.
  const earlier = await runFleet([
    '--kubernetes',
    kubeconfig,
    '--at',
    iso(T0),
    '--silent-after',
    '50m',
    '-o',
    'json',
  ]);
  const v2 = JSON.parse(earlier.out) as typeof view;
  assert.equal(v2.nodes.find((x) => x.node === names.silent)?.coverage, 'reporting');

  const table = await runFleet(['--kubernetes', kubeconfig, '--at', iso(T0), '--color', 'never']);
  const lines = table.out.split('\n');
  const line = (n: string) => lines.find((l) => l.startsWith(n)) ?? '';
  assert.match(line(names.gone), /2031-02-26 \(3d ago\), passed while silent +silent 40d/);
  assert.match(line(names.silent), /silent 45m/);
  assert.match(line(names.noAgent), /unknown +no agent/);
  assert.match(line(names.windows), /not linux \(windows\)/);
  assert.match(line(names.ok), /reporting +2m/);
  // The most urgent first: the node whose deadline passed unseen heads the table.
  assert.ok(lines.indexOf(line(names.gone)) < lines.indexOf(line(names.ok)));
  if (process.env.FLEET_TABLE_OUT)
    process.stderr.write(
      lines
        .filter((l, i) => i === 0 || Object.values(names).some((n) => l.startsWith(n)))
        .join('\n') + '\n',
    );
});
