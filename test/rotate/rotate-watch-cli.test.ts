// The real CLI (a child process, as the Deployment runs it) against the REAL control plane with
// the rotator's ServiceAccount token and shipped RBAC: `rotate --apply --watch` holds the Lease
// and works — a real PodDisruptionBudget refuses the eviction every time — and on SIGTERM
// finishes, releases the Lease and exits 0; a run without --watch releases the Lease when it
// ends, so the next run (or the Deployment) need not wait for it to expire; a held Lease refuses.
// Runs on the shared control plane of test/support/control-plane.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { BIN } from '../support/scan.js';
import { budgetSettled, deployment, pdb, readyPods } from './cluster-workloads.js';
import { rotatorLab, type RotatorLab } from './rotator-cluster.js';

interface Setup {
  lab: RotatorLab;
  args: string[];
  d1: string;
  pod: string;
}

/** d1: due, running the only replica of `web`, whose budget never allows the eviction */
async function setup(t: TestContext): Promise<Setup | undefined> {
  const lab = await rotatorLab(t, ['drain']);
  if (!lab) return undefined;
  const { cp } = lab;
  const apps = await cp.namespace(t, 'shop');
  const d1 = lab.name('d1');
  await lab.oldNode(d1);
  await deployment(cp, apps, 'web', {
    replicas: 1,
    nodeSelector: { 'kubernetes.io/hostname': d1 },
  });
  const [pod] = await readyPods(cp, apps, 'app=web', 1);
  assert.ok(pod);
  await pdb(cp, apps, 'web', { minAvailable: 1 });
  await budgetSettled(cp, apps, 'web', 0);
  const args = [
    '--kubernetes',
    lab.kubeconfig(),
    `--selector=${lab.selector}`,
    // capacity over this test's nodes: the control plane is shared by the test files
    `--fleet-selector=${lab.selector}`,
    `--namespace=${lab.namespace}`,
  ];
  return { lab, args, d1, pod: pod.name };
}

/** the built CLI as a child process */
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

test('rotate --apply --watch: holds the Lease while it works, releases it on SIGTERM and exits 0', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const { lab } = s;
  const mark = lab.cp.auditMark();
  const evictions = async () =>
    (await lab.cp.audit(lab.user, mark, 50)).filter(
      (e) => e.objectRef?.subresource === 'eviction' && e.objectRef.name === s.pod,
    );
  const cli = startCli([
    'rotate',
    ...s.args,
    '--apply',
    '--watch',
    '--interval=1s',
    '--identity=rotator-cli',
    '-o',
    'json',
  ]);
  try {
    await lab.cp.waitFor('the Lease', 20_000, async () =>
      (await lab.lease())?.holderIdentity === 'rotator-cli' ? true : undefined,
    );
    // Two steps at least: the watch keeps going.
    await lab.cp.waitFor('a second blocked eviction', 20_000, async () =>
      (await evictions()).length >= 2 ? true : undefined,
    );
    cli.child.kill('SIGTERM');
    assert.equal(await cli.status, 0, cli.stderr);
  } finally {
    cli.child.kill('SIGKILL');
  }
  const lease = await lab.lease();
  assert.equal(lease?.holderIdentity, '', 'released');
  assert.equal(lease.leaseDurationSeconds, 1);
  assert.match(cli.stderr, /holding the Lease as rotator-cli/);
  assert.match(cli.stderr, /SIGTERM: finishing the call in flight, then releasing/);
  assert.match(cli.stderr, /released the Lease/);
  // JSON lines, one per step that changed (the repeated blocked step is printed once).
  const docs = cli.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { kind: string; actions: { step: string; result: string }[] });
  assert.ok(docs.length >= 1 && docs.every((d) => d.kind === 'RotationStep'));
  assert.deepEqual(
    docs[0]?.actions.map((a) => `${a.step} ${a.result}`),
    ['record-cordoned done', 'cordon done', 'evict blocked'],
    'the finish comes in a later step, once a fresh list shows the pods gone',
  );
  const events = await lab.cp.audit(lab.user, mark);
  assert.ok(
    events
      .filter((e) => e.objectRef?.subresource === 'eviction')
      .every((e) => e.responseStatus?.code === 429),
    'the real budget refused every eviction',
  );
  assert.equal(
    events.filter((e) => e.verb === 'patch' && e.objectRef?.name === s.d1).length,
    1,
    'cordoned once',
  );
});

test('rotate --apply without --watch releases the Lease when it ends; a held Lease refuses it', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const { lab } = s;
  const r = await runCli(['rotate', ...s.args, '--apply', '--identity=operator-laptop']);
  assert.equal(r.status, 1, `the budget blocks: exit 1 (${r.stderr})`);
  assert.match(r.stdout, new RegExp(`${s.d1} {2}none {2}drain {2}start`));
  assert.equal((await lab.lease())?.holderIdentity, '', 'released at the end of the run');
  // Someone else holds it now (the in-cluster rotator): the run refuses (exit 3), writes nothing.
  const path = `/apis/coordination.k8s.io/v1/namespaces/${lab.namespace}/leases/certdrift-rotate`;
  const l = await lab.cp.admin.get(path);
  await lab.cp.admin.ok('PUT', path, {
    ...l,
    spec: {
      holderIdentity: 'rotator-pod',
      leaseDurationSeconds: 300,
      renewTime: new Date().toISOString().replace('Z', '000Z'),
    },
  });
  const mark = lab.cp.auditMark();
  const held = await runCli(['rotate', ...s.args, '--apply']);
  assert.equal(held.status, 3);
  assert.match(held.stderr, /held by rotator-pod until .*: not acting/);
  assert.deepEqual(
    (await lab.cp.audit(lab.user, mark)).filter((e) => e.verb !== 'get' && e.verb !== 'list'),
    [],
  );
});

test('--watch acts, so it needs --apply; --interval belongs to --watch', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const mark = s.lab.cp.auditMark();
  const w = await runCli(['rotate', ...s.args, '--watch']);
  assert.equal(w.status, 3);
  assert.match(w.stderr, /--watch keeps acting: it needs --apply/);
  const i = await runCli(['rotate', ...s.args, '--apply', '--interval=1m']);
  assert.equal(i.status, 3);
  assert.match(i.stderr, /--interval is the time between steps of --watch/);
  const z = await runCli(['rotate', ...s.args, '--apply', '--watch', '--interval=0s']);
  assert.equal(z.status, 3);
  assert.deepEqual(await s.lab.cp.audit(s.lab.user, mark), [], 'no call made');
});

test('two terminals: two `rotate --apply --wait` with the default identity — exactly one holds the Lease, the other refuses and writes nothing', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const { lab } = s;
  // The budget never allows the eviction: the first run keeps waiting under the Lease.
  const first = startCli(['rotate', ...s.args, '--apply', '--wait']);
  try {
    const holder = await lab.cp.waitFor('the first run holds the Lease', 20_000, async () => {
      const h = (await lab.lease())?.holderIdentity;
      return h ? h : undefined;
    });
    // client-go's default identity: the host name and a random suffix
    assert.match(holder, /^.+_[0-9a-f]{8}$/);
    const mark = lab.cp.auditMark();
    const second = await runCli(['rotate', ...s.args, '--apply', '--wait']);
    // (a second candidate's take-over would be a Lease write answered 409 or a holder change)
    assert.equal(second.status, 3, second.stderr);
    assert.match(second.stderr, new RegExp(`held by ${holder} until .*: not acting`));
    const writes = (await lab.cp.audit(lab.user, mark)).filter(
      (e) => e.verb !== 'get' && e.verb !== 'list',
    );
    // only the first run's renewals (which succeed) and its step (the state object's record, the
    // cordon, evictions — the holder may still be starting its node): no refused Lease write
    assert.ok(
      writes.every(
        (e) =>
          (e.objectRef?.resource === 'leases' && e.responseStatus?.code === 200) ||
          (e.objectRef?.resource === 'configmaps' &&
            (e.objectRef.name ?? 'certdrift-rotation-state') === 'certdrift-rotation-state') ||
          (e.objectRef?.resource === 'nodes' && e.verb === 'patch') ||
          e.objectRef?.subresource === 'eviction',
      ),
      JSON.stringify(writes.map((e) => `${e.verb} ${e.objectRef?.resource ?? ''}`)),
    );
    const l = await lab.lease();
    assert.equal(l?.holderIdentity, holder, 'still the first run');
    assert.equal(l.leaseTransitions ?? 0, 0, 'never changed hands');
    first.child.kill('SIGTERM');
    await first.status;
  } finally {
    first.child.kill('SIGKILL');
  }
  assert.equal((await lab.lease())?.holderIdentity, '', 'released by the first run on SIGTERM');
});
