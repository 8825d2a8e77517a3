// Done-when for `certdrift attribute`, on a real containerd: two kops-style kube-proxy pods on
// the lab node — one mounts its kubeconfig as a single file (kops ≤ 1.35), one its directory
// (kops ≥ 1.36) — then nodeup-style rotations. The API server's log names the old serial of
// each and one serial nobody knows. `scan -o json` (real CLI) explains the first (stale view),
// the agent's ledger the second (not reloaded: no scan can show what a process holds), and the
// third is unattributed with what would identify it.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/model/clock.js';
import { LedgerRecorder } from '../../src/agent/ledger-recorder.js';
import { agentScan } from '../../src/cli/agent-scan.js';
import { resolveScanConfig } from '../../src/cli/config/scan-config.js';
import {
  ledgerPath,
  readLedgerFile,
  writeLedgerFile,
} from '../../src/adapters/host/ledger-file.js';
import { kubeProxyPod, writeKubeProxyKubeconfig } from '../../src/lab/kube-proxy.js';
import type { Lab } from '../../src/lab/lab.js';
import { requireRuntime, runtimeUnavailable, startLab } from '../support/lab.js';
import { assertDocExample, normaliseRun } from '../support/doc-example.js';
import { runCli } from '../support/scan.js';

let lab: Lab | undefined;
let out: string;
before(async () => {
  if (runtimeUnavailable() === null || process.env.CI === 'true') lab = await startLab();
  out = mkdtempSync(join(tmpdir(), 'certdrift-attr-lab-'));
});
after(async () => {
  if (lab) await lab.down();
  rmSync(out, { recursive: true, force: true });
});

/** The API server's line; the key ids as it prints them (the lab's openssl certificates have both). */
const failure = (sn: number, at: string, ids: { skid: string; akid: string }): string =>
  `${at}.000000000Z stderr F E${at.slice(5, 7)}${at.slice(8, 10)} ${at.slice(11)}.000000       1 authentication.go:73] "Unable to authenticate the request" err="[x509: certificate has expired or is not yet valid: current time ${at}Z is after 2026-01-01T00:00:00Z, verifying certificate SN=${sn}, SKID=${ids.skid}, AKID=${ids.akid} failed: x509: certificate has expired or is not yet valid: current time ${at}Z is after 2026-01-01T00:00:00Z]"`;

interface Row {
  serialDecimal: string;
  attributed: boolean;
  node?: string;
  component?: string;
  count: number;
  places: { residence: string; location: string }[];
  cause?: { code: string; remedy: string };
  identify?: string;
  match?: string;
}

test('stale kube-proxy, not-reloaded kube-proxy and an unknown client', async (t) => {
  if (!requireRuntime(t) || !lab) return;
  const staleHost = join(lab.hostDir, 'stale');
  const reloadHost = join(lab.hostDir, 'reload');
  writeKubeProxyKubeconfig(staleHost, 30, 11);
  writeKubeProxyKubeconfig(reloadHost, 30, 21);
  await lab.runPod({ ...kubeProxyPod(staleHost, 'file'), name: 'kp-stale' });
  await lab.runPod({ ...kubeProxyPod(reloadHost, 'dir'), name: 'kp-reload' });
  const paths = [`${staleHost}/**`, `${reloadHost}/**`];

  // the agent's scans, with its ledger persisted under a state dir, before and after rotation
  const config = resolveScanConfig([
    { name: 'test', values: { presets: ['none'], paths, runtimeEndpoint: lab.socket } },
  ]);
  const file = ledgerPath(join(out, 'state'));
  const recorder = new LedgerRecorder(
    { read: () => readLedgerFile(file), write: (l) => writeLedgerFile(file, l) },
    'lab-node',
    () => undefined,
  );
  recorder.record(await agentScan(config, systemClock)());
  writeKubeProxyKubeconfig(staleHost, 455, 12);
  writeKubeProxyKubeconfig(reloadHost, 455, 22);
  recorder.record(await agentScan(config, systemClock)());

  // an operator's scan of the node with the real CLI
  const scan = runCli([
    'scan',
    '--preset',
    'none',
    ...paths.flatMap((p) => ['--path', p]),
    '--runtime-endpoint',
    lab.socket,
    '--node-name',
    'lab-node',
    '-o',
    'json',
  ]);
  assert.equal(scan.status, 2, scan.stderr); // STALE_VIEW and NOT_RELOADED are critical
  const scanFile = join(out, 'lab-node.json');
  writeFileSync(scanFile, scan.stdout);

  // the key identifiers of the old certificates, as the ledger recorded them from the real files
  const recorded = readLedgerFile(file).ledger?.locations.flatMap((l) => l.entries) ?? [];
  const ids = (sn: number): { skid: string; akid: string } => {
    const e = recorded.find((x) => x.serial.replace(/^0+/, '') === sn.toString(16).toUpperCase());
    assert.ok(
      e?.subjectKeyId && e.authorityKeyId,
      `serial ${sn} and its key ids are in the ledger`,
    );
    return { skid: e.subjectKeyId, akid: e.authorityKeyId };
  };
  const log = join(out, 'kube-apiserver.log');
  writeFileSync(
    log,
    [
      failure(11, '2026-11-30T06:00:01', ids(11)),
      failure(21, '2026-11-30T06:00:02', ids(21)),
      // unknown serial from the same CA
      failure(31337, '2026-11-30T06:00:03', { ...ids(11), skid: '01:02' }),
      failure(11, '2026-11-30T06:00:31', ids(11)),
    ].join('\n') + '\n',
  );
  const res = runCli([
    'attribute',
    '--log',
    log,
    '--scan',
    scanFile,
    '--ledger',
    file,
    '-o',
    'json',
  ]);
  assert.equal(res.status, 2, res.stderr);
  const rows = (JSON.parse(res.stdout) as { certificates: Row[] }).certificates;
  const by = (sn: number): Row | undefined => rows.find((r) => r.serialDecimal === String(sn));

  const stale = by(11);
  assert.ok(stale?.attributed, res.stdout);
  assert.equal(stale.node, 'lab-node');
  assert.equal(stale.component, 'kube-proxy');
  assert.equal(stale.count, 2);
  assert.equal(stale.places[0]?.residence, 'container-view');
  assert.match(stale.places[0].location, /kp-stale/);
  assert.equal(stale.cause?.code, 'stale-single-file-mount');
  assert.match(stale.cause.remedy, /mount the parent directory/);
  assert.equal(stale.match, 'serial+key-ids', 'scan and ledger record the key ids');

  const reload = by(21);
  assert.ok(reload?.attributed, res.stdout);
  assert.equal(reload.node, 'lab-node');
  assert.equal(reload.component, 'kube-proxy');
  assert.equal(reload.places[0]?.residence, 'process-memory');
  assert.match(reload.places[0].location, /kp-reload/);
  assert.equal(reload.cause?.code, 'not-reloaded');

  const unknown = by(31337);
  assert.ok(unknown && !unknown.attributed);
  assert.equal(unknown.node, undefined);
  assert.match(unknown.identify ?? '', /sourceIPs/);

  // without the ledger the not-reloaded serial is only known as an old file's content
  const noLedger = runCli(['attribute', '--log', log, '--scan', scanFile, '-o', 'json']);
  const r21 = (JSON.parse(noLedger.stdout) as { certificates: Row[] }).certificates.find(
    (r) => r.serialDecimal === '21',
  );
  assert.equal(r21?.attributed, false);

  // the table says the same to a person
  const table = runCli(['attribute', '--log', log, '--scan', scanFile, '--ledger', file]);
  assert.match(
    table.stdout,
    /2\s+2026-11-30T06:00:01Z\s+2026-11-30T06:00:31Z\s+expired\s+B\s+lab-node\s+kube-proxy\s+container view\s+stale-single-file-mount/,
  );
  assert.match(
    table.stdout,
    /expired\s+15\s+lab-node\s+kube-proxy\s+process memory\s+not-reloaded/,
  );
  assert.match(table.stdout, /expired\s+7A69\s+unattributed/);

  // docs/troubleshooting-x509.md shows this table: what differs per run made stable
  assertDocExample(
    'docs/troubleshooting-x509.md',
    'attribute-lab',
    normaliseRun(table.stdout, {
      paths: [out, lab.hostDir],
      patterns: [
        // how many certificates the scan knew: it also sees whatever else runs on this machine
        // (the test control plane's processes name their certificate files)
        { re: /(?<=knowledge: )\d+(?= certificates)/g, label: 'count', same: true },
        // 20-byte key ids (random keys per run)
        { re: /[0-9A-F]{2}(?::[0-9A-F]{2}){19}/g, label: 'key-id' },
        // container ids, full and short
        { re: /\b[0-9a-f]{64}\b|\b[0-9a-f]{13}\b/g, label: 'container' },
        // wall-clock times of this run (the log's own times are fixed: 2026-11-30, 2026-01-01)
        {
          re: /\b20(?!26-11-30T|26-01-01T)\d\d-\d\d-\d\dT[\d:.]+Z/g,
          label: 'time',
          same: true,
        },
      ],
    }),
  );
});
