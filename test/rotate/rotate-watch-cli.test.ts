// The real CLI (a child process, as the Deployment runs it) against the API emulation with the
// rotator's ServiceAccount token and shipped RBAC: `rotate --apply --watch` holds the Lease and
// works, and on SIGTERM finishes, releases the Lease and exits 0; a run without --watch releases
// the Lease when it ends, so the next run (or the Deployment) need not wait for it to expire.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LEASE_NAME, LEASE_NAMESPACE } from '../../src/adapters/kube/rotate-lock.js';
import { haveKubectl, type KubeEmulator } from '../support/kube-emulator/index.js';
import { BIN } from '../support/scan.js';
import { rotatorAccount, startRotatorCluster } from './rotator-cluster.js';

const skip = !haveKubectl() && !process.env.CI;
let emu: KubeEmulator;
let kubeconfig = '';
let policy = '';

before(async () => {
  if (skip) return;
  const lab = await startRotatorCluster(['drain']);
  emu = lab.emu;
  const sa = rotatorAccount(lab.manifests);
  const dir = mkdtempSync(join(tmpdir(), 'certdrift-rotate-watch-'));
  kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'emu',
          cluster: {
            server: emu.url,
            'certificate-authority-data': Buffer.from(emu.ca.pem).toString('base64'),
          },
        },
      ],
      users: [{ name: 'rotator', user: { token: emu.tokens.issue(sa.namespace, sa.name, 3600) } }],
      contexts: [{ name: 'emu', context: { cluster: 'emu', user: 'rotator' } }],
      'current-context': 'emu',
    }),
  );
  policy = join(dir, 'policy.yaml');
  writeFileSync(policy, 'maxNodeAge: 1s\n');
  emu.seed('', 'nodes', { metadata: { name: 'd1' } });
  emu.store.create(emu.type('', 'pods'), {
    metadata: { name: 'web-1', namespace: 'shop', labels: { app: 'web' } },
    spec: { nodeName: 'd1' },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  });
  // The budget never allows the eviction: the drain stays in progress while the test runs.
  emu.seed('policy', 'poddisruptionbudgets', {
    metadata: { name: 'web', namespace: 'shop' },
    spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } },
  });
});
after(async () => {
  if (!skip) await emu.stop();
});

const lease = () =>
  emu.find('coordination.k8s.io', 'leases', LEASE_NAME, LEASE_NAMESPACE)?.spec as
    { holderIdentity: string; leaseDurationSeconds: number } | undefined;

/** the built CLI as a child process; async: the emulation answers from this process */
function startCli(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const r = { child, stdout: '', stderr: '', status: new Promise<number | null>(() => undefined) };
  child.stdout.on('data', (c: Buffer) => (r.stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (r.stderr += c.toString()));
  r.status = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  return r;
}

async function runCli(
  args: string[],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const cli = startCli(args);
  const status = await cli.status;
  return { status, stdout: cli.stdout, stderr: cli.stderr };
}

async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('rotate --apply --watch: holds the Lease while it works, releases it on SIGTERM and exits 0', async (t) => {
  if (skip) return t.skip('kubectl is not installed (renders deploy/)');
  const cli = startCli([
    'rotate',
    '--kubernetes',
    kubeconfig,
    '--policy',
    policy,
    '--apply',
    '--watch',
    '--interval=1s',
    '--identity=rotator-cli',
    '-o',
    'json',
  ]);
  try {
    await until('the Lease', () => lease()?.holderIdentity === 'rotator-cli');
    const evictions = () =>
      emu.requests.filter((q) => q.path.endsWith('/web-1/eviction') && q.code === 429).length;
    // Two steps at least: the watch keeps going.
    await until('a second blocked eviction', () => evictions() >= 2);
    cli.child.kill('SIGTERM');
    assert.equal(await cli.status, 0, cli.stderr);
  } finally {
    cli.child.kill('SIGKILL');
  }
  const out = cli.stdout;
  const err = cli.stderr;
  assert.equal(lease()?.holderIdentity, '', 'released');
  assert.equal(lease()?.leaseDurationSeconds, 1);
  assert.match(err, /holding the Lease as rotator-cli/);
  assert.match(err, /SIGTERM: finishing the call in flight, then releasing/);
  assert.match(err, /released the Lease/);
  // JSON lines, one per step that changed (the repeated blocked step is printed once).
  const docs = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { kind: string; actions: { step: string; result: string }[] });
  assert.ok(docs.length >= 1 && docs.every((d) => d.kind === 'RotationStep'));
  assert.deepEqual(
    docs[0]?.actions.map((a) => `${a.step} ${a.result}`),
    ['cordon done', 'evict blocked'],
    'the finish comes in a later step, once a fresh list shows the pods gone',
  );
  assert.equal(
    emu.requests.filter((q) => q.method === 'PATCH' && q.path === '/api/v1/nodes/d1').length,
    1,
    'cordoned once',
  );
});

test('rotate --apply without --watch releases the Lease when it ends; a held Lease refuses it', async (t) => {
  if (skip) return t.skip('kubectl is not installed (renders deploy/)');
  const r = await runCli([
    'rotate',
    '--kubernetes',
    kubeconfig,
    '--policy',
    policy,
    '--apply',
    '--identity=operator-laptop',
  ]);
  assert.equal(r.status, 1, `the budget still blocks: exit 1 (${r.stderr})`);
  assert.match(r.stdout, /d1 {2}none {2}drain {2}continue/);
  assert.equal(lease()?.holderIdentity, '', 'released at the end of the run');
  // Someone else holds it now: the run refuses to act (exit 3) and writes nothing.
  const l = emu.find('coordination.k8s.io', 'leases', LEASE_NAME, LEASE_NAMESPACE);
  assert.ok(l);
  emu.store.write(emu.type('coordination.k8s.io', 'leases'), {
    ...l,
    spec: {
      holderIdentity: 'rotator-pod',
      leaseDurationSeconds: 300,
      renewTime: new Date(emu.now()).toISOString().replace('Z', '000Z'),
    },
  });
  const before = emu.requests.length;
  const held = await runCli(['rotate', '--kubernetes', kubeconfig, '--policy', policy, '--apply']);
  assert.equal(held.status, 3);
  assert.match(held.stderr, /held by rotator-pod until .*: not acting/);
  assert.deepEqual(
    emu.requests.slice(before).filter((q) => q.method !== 'GET'),
    [],
  );
});

test('--watch acts, so it needs --apply; --interval belongs to --watch', async (t) => {
  if (skip) return t.skip('kubectl is not installed (renders deploy/)');
  const before = emu.requests.length;
  const w = await runCli(['rotate', '--kubernetes', kubeconfig, '--watch']);
  assert.equal(w.status, 3);
  assert.match(w.stderr, /--watch keeps acting: it needs --apply/);
  const i = await runCli(['rotate', '--kubernetes', kubeconfig, '--apply', '--interval=1m']);
  assert.equal(i.status, 3);
  assert.match(i.stderr, /--interval is the time between steps of --watch/);
  const z = await runCli([
    'rotate',
    '--kubernetes',
    kubeconfig,
    '--apply',
    '--watch',
    '--interval=0s',
  ]);
  assert.equal(z.status, 3);
  assert.equal(emu.requests.length, before, 'no call made');
});
