// `certdrift rotate --nodes FILE --reports FILE --pods FILE` (issue 21 item 9): the step from
// kubectl's own documents, with no cluster. The documents are captured from the REAL control
// plane with the real kubectl (`kubectl get nodes|nodecertificatereports|pods -o json`), and the
// preview must say exactly what a dry run against that cluster says at the same time: the same
// work per node and the same calls (-o json, field for field). It refuses to act, and an input
// over its size bound is refused before it is read.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/command.js';
import { MAX_OFFLINE_BYTES } from '../../src/cli/rotate-offline.js';
import { barePod, deployment, readyPods } from './cluster-workloads.js';
import { rotatorLab } from './rotator-cluster.js';

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

test('offline preview from kubectl documents of the real control plane equals the dry run against it', async (t) => {
  const lab = await rotatorLab(t, ['drain']);
  if (!lab) return;
  const { cp } = lab;
  const apps = await cp.namespace(t, 'shop');
  const d1 = lab.name('d1');
  const d2 = lab.name('d2');
  await lab.oldNode(d1);
  await lab.oldNode(d2, { labels: { 'eks.amazonaws.com/nodegroup': lab.name('ng') } });
  await deployment(cp, apps, 'web', {
    replicas: 1,
    nodeSelector: { 'kubernetes.io/hostname': d1 },
  });
  await readyPods(cp, apps, 'app=web', 1);
  // a pod nothing recreates: kubectl drain refuses it without --force
  await barePod(cp, apps, 'lonely', d2);
  const kubeconfig = lab.kubeconfig();
  const dir = mkdtempSync(join(tmpdir(), 'certdrift-offline-'));
  const kubectl = (file: string, args: string[]): string => {
    const r = spawnSync('kubectl', ['--kubeconfig', kubeconfig, 'get', ...args, '-o', 'json'], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    assert.equal(r.status, 0, r.stderr);
    const path = join(dir, file);
    writeFileSync(path, r.stdout);
    return path;
  };
  const nodes = kubectl('nodes.json', ['nodes', '-l', lab.selector]);
  const reports = kubectl('reports.json', ['nodecertificatereports']);
  const pods = kubectl('pods.json', ['pods', '-A']);
  const at = new Date().toISOString();

  const offline = await cli([
    'rotate',
    '--nodes',
    nodes,
    '--reports',
    reports,
    '--pods',
    pods,
    '--at',
    at,
    '-o',
    'json',
  ]);
  const online = await cli([
    'rotate',
    '--kubernetes',
    kubeconfig,
    '--selector',
    lab.selector,
    // the fleet nodes.json holds (the control plane is shared by the test files)
    '--fleet-selector',
    lab.selector,
    '--namespace',
    lab.namespace,
    '--at',
    at,
    '-o',
    'json',
  ]);
  assert.equal(online.code, 1, online.err); // d2 is blocked: exit 1 both ways
  assert.equal(offline.code, online.code, offline.err);
  const doc = JSON.parse(offline.out) as {
    nodes: { node: string; state: string; note: string }[];
    actions: { node: string; step: string; call?: { path: string } }[];
  };
  assert.deepEqual(doc, JSON.parse(online.out), 'the preview says what the dry run says');
  const states = Object.fromEntries(doc.nodes.map((w) => [w.node, w.state]));
  assert.equal(states[d1], 'start');
  assert.equal(states[d2], 'blocked');
  assert.match(doc.nodes.find((w) => w.node === d2)?.note ?? '', /lonely has no controller/);
  assert.deepEqual(
    doc.actions.filter((a) => a.node === d1).map((a) => a.step),
    ['record-cordoned', 'cordon', 'evict'],
  );
  // no state object offline: every node has no record, and the preview says so
  assert.match(
    offline.err,
    /certdrift-rotation-state\) is not read: every node is shown with no record/,
  );
  assert.doesNotMatch(online.err, /is not read: every node/);

  // text output too, escaped; no cluster is named
  const text = await cli(['rotate', '--nodes', nodes, '--reports', reports, '--pods', pods]);
  assert.match(text.out, new RegExp(`${d1} {2}none {2}drain {2}start`));
  assert.match(text.out, /dry run: nothing changed/);

  // it never acts
  for (const flag of ['--apply', '--wait', '--watch']) {
    const r = await cli(['rotate', '--nodes', nodes, '--reports', reports, flag]);
    assert.equal(r.code, 3, flag);
    assert.match(r.err, /offline preview: it never acts/);
  }
  assert.equal((await cli(['rotate', '--nodes', nodes])).code, 3, '--reports is required');
  // bounded: a file over the limit is refused by its size, before it is read (a sparse file)
  const huge = join(dir, 'huge.json');
  writeFileSync(huge, '');
  truncateSync(huge, MAX_OFFLINE_BYTES + 1);
  const big = await cli(['rotate', '--nodes', nodes, '--reports', reports, '--pods', huge]);
  assert.equal(big.code, 3);
  assert.match(big.err, /over the \d+-byte limit/);
});
