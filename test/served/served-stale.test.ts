// SERVED_STALE against a real TLS server on loopback: a kube-scheduler-style static pod whose
// --tls-cert-file was renewed on disk while the server still presents the old certificate.
// Discovery from the manifest under a host root, the real handshake, the real CLI.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assess } from '../../src/node/assess.js';
import { probeServedCertificates } from '../../src/adapters/host/served-certs.js';
import { probeServedCertificate } from '../../src/adapters/host/tls-probe.js';
import { inventory } from '../support/inventory.js';
import { daysFrom, issue, type Issued } from '../support/certs.js';
import { execFile } from 'node:child_process';
import { BIN } from '../support/scan.js';

const assessFindings = (
  inv: Parameters<typeof assess>[0],
  ctx: Parameters<typeof assess>[1],
): ReturnType<typeof assess>['findings'] => assess(inv, ctx).findings;

const NOW = new Date();
let root: string;
let emptyProc: string;
let ca: Issued;
let old: Issued;
let renewed: Issued;
const servers: Server[] = [];

async function serve(cert: Issued): Promise<number> {
  const server = createServer({ cert: cert.pem + ca.pem, key: cert.keyPem });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function manifest(port: number, certFile: string): void {
  const dir = join(root, 'etc/kubernetes/manifests');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'kube-scheduler.yaml'),
    `apiVersion: v1
kind: Pod
metadata:
  name: kube-scheduler
  namespace: kube-system
spec:
  containers:
  - command:
    - kube-scheduler
    - --bind-address=127.0.0.1
    - --secure-port=${port}
    - --tls-cert-file=${certFile}
    image: registry.k8s.io/kube-scheduler:v1.29.4
    name: kube-scheduler
`,
  );
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'certdrift-served-'));
  emptyProc = mkdtempSync(join(tmpdir(), 'certdrift-noproc-')); // no processes: the manifest tells
  ca = await issue({
    cn: 'kubernetes-ca',
    isCA: true,
    key: 'p256',
    notBefore: daysFrom(NOW, -400),
    notAfter: daysFrom(NOW, 3000),
  });
  const leaf = {
    cn: 'kube-scheduler',
    key: 'p256' as const,
    eku: ['serverAuth' as const],
    sans: ['IP:127.0.0.1'],
    issuer: ca,
  };
  old = await issue({ ...leaf, notBefore: daysFrom(NOW, -360), notAfter: daysFrom(NOW, 5) });
  renewed = await issue({ ...leaf, notBefore: daysFrom(NOW, -1), notAfter: daysFrom(NOW, 364) });
  mkdirSync(join(root, 'etc/kubernetes/pki'), { recursive: true });
  writeFileSync(join(root, 'etc/kubernetes/pki/scheduler.crt'), renewed.pem);
  writeFileSync(join(root, 'etc/kubernetes/pki/old-on-disk.crt'), old.pem);
});
after(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  rmSync(root, { recursive: true, force: true });
  rmSync(emptyProc, { recursive: true, force: true });
});

/** The CLI as a child that does not block this process: the TLS server lives in this event loop. */
function runCli(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err && typeof err.code === 'number' ? err.code : 0;
      resolve({ status: code, stdout, stderr });
    });
  });
}

const cfg = (): Parameters<typeof probeServedCertificates>[0] => ({
  hostRoot: root,
  procRoot: emptyProc,
  maxFileSize: 1 << 20,
  timeoutMs: 2000,
});

test('the probe returns the presented leaf, as openssl-independent facts of its DER', async () => {
  const port = await serve(old);
  const r = await probeServedCertificate({ host: '127.0.0.1', port, timeoutMs: 2000 });
  assert.ok(r.ok);
  assert.equal(r.cert.fingerprintSha256, old.fingerprint);
  assert.deepEqual(Buffer.from(r.der), Buffer.from(old.der));
  assert.equal(
    r.cert.notAfter.toISOString(),
    old.notAfter.toISOString().replace(/\.\d+Z/, '.000Z'),
  );
});

test('an older certificate served than the file holds: SERVED_STALE critical, both certificates shown', async () => {
  const port = await serve(old);
  manifest(port, '/etc/kubernetes/pki/scheduler.crt');
  const served = await probeServedCertificates(cfg());
  const [s0] = served;
  assert.ok(s0 && served.length === 1);
  assert.equal(s0.served?.fingerprintSha256, old.fingerprint);
  assert.equal(s0.file?.fingerprintSha256, renewed.fingerprint);
  const inv = { ...inventory([]), served };
  const findings = assessFindings(inv, {
    now: NOW,
    thresholds: { warnMs: 30 * 864e5, criticalMs: 7 * 864e5 },
  }).filter((f) => f.code === 'SERVED_STALE');
  assert.equal(findings.length, 1);
  const f = findings[0];
  assert.equal(f?.severity, 'critical');
  assert.equal(f.evidence.endpoint, `127.0.0.1:${port}`);
  assert.match(f.evidence.served ?? '', /CN=kube-scheduler/);
  assert.match(f.evidence.file ?? '', /scheduler\.crt/);
  assert.match(f.cause ?? '', /reloads --tls-cert-file dynamically/);

  // the real CLI: exit 2, and the finding in -o json
  const res = await runCli([
    'scan',
    '--host-root',
    root,
    '--proc-root',
    emptyProc,
    '--runtime-endpoint',
    'none',
    '-o',
    'json',
  ]);
  assert.equal(res.status, 2, res.stderr);
  const doc = JSON.parse(res.stdout) as {
    findings: { code: string }[];
    served: { endpoint: string }[];
  };
  assert.ok(doc.findings.some((x) => x.code === 'SERVED_STALE'));
  assert.ok(doc.served.some((s) => s.endpoint === `127.0.0.1:${port}`));
  // --no-probe: no handshake, no served section
  const off = await runCli([
    'scan',
    '--host-root',
    root,
    '--proc-root',
    emptyProc,
    '--runtime-endpoint',
    'none',
    '--no-probe',
    '-o',
    'json',
  ]);
  assert.equal((JSON.parse(off.stdout) as { served?: unknown }).served, undefined);
});

test('serving a newer certificate than an old file is a warning; the same one is nothing', async () => {
  const port = await serve(renewed);
  manifest(port, '/etc/kubernetes/pki/old-on-disk.crt');
  const warn = assessFindings(
    { ...inventory([]), served: await probeServedCertificates(cfg()) },
    { now: NOW, thresholds: { warnMs: 1, criticalMs: 1 } },
  ).filter((f) => f.code === 'SERVED_STALE');
  assert.deepEqual(
    warn.map((f) => f.severity),
    ['warning'],
  );

  manifest(port, '/etc/kubernetes/pki/scheduler.crt');
  const same = assessFindings(
    { ...inventory([]), served: await probeServedCertificates(cfg()) },
    { now: NOW, thresholds: { warnMs: 1, criticalMs: 1 } },
  ).filter((f) => f.code === 'SERVED_STALE');
  assert.deepEqual(same, []);
});

test('nothing listening: a problem recorded, no finding, no hang', async () => {
  const port = await serve(old);
  const s = servers.pop();
  await new Promise((r) => s?.close(r));
  manifest(port, '/etc/kubernetes/pki/scheduler.crt');
  const t0 = Date.now();
  const served = await probeServedCertificates(cfg());
  assert.ok(Date.now() - t0 < 2500);
  const [s0] = served;
  assert.ok(s0);
  assert.equal(s0.served, null);
  assert.equal(s0.problem?.reason, 'connect_failed');
  assert.deepEqual(
    assessFindings(
      { ...inventory([]), served },
      { now: NOW, thresholds: { warnMs: 1, criticalMs: 1 } },
    ).filter((f) => f.code === 'SERVED_STALE'),
    [],
  );
});
