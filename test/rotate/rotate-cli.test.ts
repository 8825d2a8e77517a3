// `certdrift rotate` as a user runs it (in process, against the API emulation through a
// kubeconfig holding the rotator ServiceAccount's token, with the RBAC deploy/rotator and its
// drain component ship): the dry run prints the exact calls and writes nothing; -o json is a
// RotationStep; --apply --wait drives to the end under the Lease and releases it.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/command.js';
import { haveKubectl, type KubeEmulator } from '../support/kube-emulator/index.js';
import { rotatorAccount, startRotatorCluster } from './rotator-cluster.js';

let emu: KubeEmulator;
let kubeconfig = '';
let policy = '';
let user = '';
const skip = !haveKubectl() && !process.env.CI;

before(async () => {
  if (skip) return;
  const lab = await startRotatorCluster(['drain']);
  emu = lab.emu;
  const sa = rotatorAccount(lab.manifests);
  user = `system:serviceaccount:${sa.namespace}:${sa.name}`;
  const dir = mkdtempSync(join(tmpdir(), 'certdrift-rotate-cli-'));
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
      users: [
        { name: 'rotator', user: { token: emu.tokens.issue(sa.namespace, sa.name, 86_400) } },
      ],
      contexts: [{ name: 'emu', context: { cluster: 'emu', user: 'rotator' } }],
      'current-context': 'emu',
    }),
  );
  policy = join(dir, 'policy.yaml');
  writeFileSync(policy, 'maxNodeAge: 1s\n');
  emu.seed('', 'nodes', { metadata: { name: 'd1' }, spec: {} });
  emu.store.create(emu.type('', 'pods'), {
    metadata: { name: 'web-1', namespace: 'shop' },
    spec: { nodeName: 'd1' },
    status: { phase: 'Running' },
  });
});
after(async () => {
  if (!skip) await emu.stop();
});

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = {
    stdout: { write: (s: string) => ((out += s), true), isTTY: false },
    stderr: { write: (s: string) => ((err += s), true), isTTY: false },
    env: {},
  } as unknown as Io;
  const code = await run(args, io);
  return { code, out, err };
}

test('rotate dry run: prints the cordon, the eviction and the record, writes nothing', async (t) => {
  if (skip) return t.skip('kubectl is not installed (renders deploy/base)');
  const at = new Date(emu.now() + 60_000).toISOString();
  const before = emu.requests.length;
  const r = await cli(['rotate', '--kubernetes', kubeconfig, '--policy', policy, '--at', at]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /dry run: nothing changed/);
  assert.match(r.out, /d1 {2}none {2}drain {2}start/);
  assert.match(
    r.out,
    /PATCH \/api\/v1\/nodes\/d1 \(application\/strategic-merge-patch\+json\) .*"unschedulable":true/,
  );
  assert.match(r.out, /POST \/api\/v1\/namespaces\/shop\/pods\/web-1\/eviction/);
  assert.deepEqual(
    emu.requests.slice(before).filter((q) => q.method !== 'GET'),
    [],
    'a dry run only reads',
  );
  const j = await cli([
    'rotate',
    '--kubernetes',
    kubeconfig,
    '--policy',
    policy,
    '--at',
    at,
    '-o',
    'json',
  ]);
  const doc = JSON.parse(j.out) as {
    kind: string;
    applied: boolean;
    actions: { step: string; result: string }[];
  };
  assert.equal(doc.kind, 'RotationStep');
  assert.equal(doc.applied, false);
  assert.deepEqual(
    doc.actions.map((a) => `${a.step} ${a.result}`),
    ['cordon planned', 'evict planned'],
    'the finish comes in a later step, once a fresh list shows the pods gone',
  );
});

test('rotate --apply --wait: steps until drained, JSON-lines progress on stderr, the run in -o json', async (t) => {
  if (skip) return t.skip('kubectl is not installed (renders deploy/base)');
  const usage = await cli(['rotate', '--kubernetes', kubeconfig, '--wait']);
  assert.equal(usage.code, 3);
  assert.match(usage.err, /--wait acts: it needs --apply/);
  const both = await cli(['rotate', '--kubernetes', kubeconfig, '--apply', '--wait', '--watch']);
  assert.equal(both.code, 3);
  assert.match(both.err, /--wait or --watch/);
  const from = emu.requests.length;
  const r = await cli([
    'rotate',
    '--kubernetes',
    kubeconfig,
    '--policy',
    policy,
    '--apply',
    '--wait',
    '--poll-interval',
    '1s',
    '--identity',
    'cli-test',
    '-o',
    'json',
  ]);
  assert.equal(r.code, 0, r.err);
  // stderr is JSON lines throughout: progress, and the Lease's messages as `message` events
  const lines = r.err
    .trim()
    .split('\n')
    .map(
      (l) =>
        JSON.parse(l) as {
          event: string;
          done: number;
          total: number;
          current: string;
          message?: string;
        },
    );
  assert.deepEqual(
    lines.filter((e) => e.event === 'message').map((e) => e.message),
    ['certdrift rotate: holding the Lease as cli-test', 'certdrift rotate: released the Lease'],
  );
  const events = lines.filter((e) => e.event === 'progress');
  assert.ok(events.length >= 2, r.err);
  assert.equal(events.length + 2, lines.length, 'nothing else on stderr');
  assert.deepEqual(
    events.map((e) => `${e.done}/${e.total}`),
    [...events.slice(0, -1).map(() => '0/1'), '1/1'],
  );
  assert.equal(events[0]?.current, 'd1 evict done');
  assert.doesNotMatch(r.err, /[\r\x1b]/, 'no control characters when stderr is not a terminal');
  const doc = JSON.parse(r.out) as { run: { end: string; finished: string[] } };
  assert.deepEqual(doc.run.end, 'finished');
  assert.deepEqual(doc.run.finished, ['d1']);
  assert.equal(emu.find('', 'pods', 'web-1', 'shop'), undefined);
  const calls = emu.requests.slice(from);
  assert.deepEqual(
    calls.filter((q) => q.code === 403 || q.user !== user),
    [],
    'every call as the rotator ServiceAccount, none refused',
  );
  const lease = emu.find('coordination.k8s.io', 'leases', 'certdrift-rotate', 'certdrift');
  assert.equal((lease?.spec as { holderIdentity?: string }).holderIdentity, '', 'released');
  assert.ok(
    calls.filter((q) => q.resource === 'leases' && (q.verb === 'create' || q.verb === 'update'))
      .length >= 2,
    'taken, then released',
  );
});
