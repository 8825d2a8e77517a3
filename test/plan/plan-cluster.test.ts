// `certdrift plan --kubernetes KUBECONFIG` against the in-process API emulation (RBAC and the
// NodeCertificateReport CRD from the rendered deploy/base): the real CLI lists nodes and reports
// with an admin's kubeconfig, and the agent's own service account is refused (it may not list).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeEmulator, type KObj } from '../support/kube-emulator/index.js';
import { BIN } from '../support/scan.js';
import { needKubectl } from '../cluster/setup.js';
import { daysFrom, kopsNode, plainNode, report } from './fleet-fixtures.js';

const AT = new Date('2026-11-25T12:00:00Z');

function runCliAsync(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status: status ?? -1, stdout, stderr }));
  });
}

function kubeconfig(emu: KubeEmulator, token: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'certdrift-kubeconfig-')), 'config');
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: emu\n  cluster:\n    server: ${emu.url}\n    certificate-authority-data: ${Buffer.from(emu.ca.pem).toString('base64')}`,
      'users:',
      `- name: admin\n  user:\n    token: ${token}`,
      'contexts:',
      '- name: emu\n  context:\n    cluster: emu\n    user: admin',
      'current-context: emu',
      '',
    ].join('\n'),
  );
  return file;
}

test('plan --kubernetes lists nodes and reports from the API server', async (t) => {
  if (!needKubectl(t)) return;
  const emu = new KubeEmulator();
  await emu.start();
  t.after(() => emu.stop());
  // The fixtures are kubectl-shaped objects; the emulation keys them by metadata.
  const k = (o: Record<string, unknown>): KObj => o as unknown as KObj;
  const seedNode = (n: Record<string, unknown>): void => void emu.seed('', 'nodes', k(n));
  seedNode(kopsNode('i-0k8s000000000001', 'nodes-a', daysFrom(AT, -100)));
  seedNode(kopsNode('i-0k8s000000000002', 'nodes-a', daysFrom(AT, -100)));
  seedNode(plainNode('metal-1', daysFrom(AT, -100)));
  emu.seed(
    'certdrift.io',
    'nodecertificatereports',
    k(report('i-0k8s000000000001', daysFrom(AT, 20), AT)),
  );
  emu.seed('certdrift.io', 'nodecertificatereports', k(report('metal-1', daysFrom(AT, -1), AT)));
  const r = await runCliAsync([
    'plan',
    '--kubernetes',
    kubeconfig(emu, emu.adminToken()),
    '--at',
    AT.toISOString(),
    '-o',
    'json',
  ]);
  assert.equal(r.status, 2, r.stderr);
  const doc = JSON.parse(r.stdout) as {
    sources: string[];
    schedule: { node: string; group: string; deadline: string | null; deadlineSource: string }[];
  };
  assert.match(doc.sources[0] ?? '', /^kubernetes: /);
  const byNode = Object.fromEntries(doc.schedule.map((s) => [s.node, s]));
  assert.deepEqual(Object.keys(byNode).sort(), ['i-0k8s000000000001', 'metal-1']);
  assert.equal(byNode['i-0k8s000000000001']?.group, 'kops/nodes-a');
  assert.equal(byNode['i-0k8s000000000001'].deadline, daysFrom(AT, 20).toISOString());
  assert.equal(byNode['metal-1']?.deadlineSource, 'report');
  // The agent's service account may not list nodes: an operational error, exit 3.
  const agentToken = emu.tokens.issue('certdrift', 'certdrift', 3600);
  const denied = await runCliAsync([
    'plan',
    '--kubernetes',
    kubeconfig(emu, agentToken),
    '--at',
    AT.toISOString(),
  ]);
  assert.equal(denied.status, 3);
  assert.match(denied.stderr, /403|forbidden|cannot list/i);
});
