// The shipped certdrift-reader ClusterRole (deploy/base/reader-rbac.yaml) is exactly what
// `certdrift attribute --kubernetes` and `certdrift plan --kubernetes` need: bound to a user as
// its header documents, both run without a 403 and use every rule; removing any verb makes the
// call that needs it fail, and nothing else.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeconfigConnection } from '../../src/adapters/kube/connect.js';
import { HttpCluster } from '../../src/adapters/kube/http-cluster.js';
import { KubeApi } from '../../src/adapters/kube/kube-api.js';
import { ClusterReportsSource } from '../../src/adapters/kube/report-knowledge.js';
import { clusterFleetSource } from '../../src/fleet/from-cluster.js';
import {
  KubeEmulator,
  renderDeploy,
  type Manifest,
  type PolicyRule,
} from '../support/kube-emulator/index.js';
import { needKubectl } from './setup.js';

const BINDING = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRoleBinding',
  metadata: { name: 'certdrift-reader-alice' },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'certdrift-reader' },
  subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }],
} as Manifest;

interface Outcome {
  calls: { verb: string; resource: string; code: number }[];
  problems: string[];
  planError?: string;
}

/** attribute's and plan's cluster reads, as user alice bound to certdrift-reader. */
async function readerFlow(manifests: Manifest[]): Promise<Outcome> {
  const emu = new KubeEmulator({ manifests: [...manifests, BINDING] });
  await emu.start();
  try {
    emu.seed('', 'nodes', { metadata: { name: 'n1' }, status: { conditions: [] } });
    emu.seed('certdrift.io', 'nodecertificatereports', {
      metadata: { name: 'n1' },
      status: { scannedAt: '2026-11-25T10:00:00Z', worstSeverity: 'ok' },
    });
    const file = join(mkdtempSync(join(tmpdir(), 'certdrift-reader-')), 'config');
    writeFileSync(
      file,
      `apiVersion: v1\nkind: Config\ncurrent-context: c\ncontexts:\n- {name: c, context: {cluster: k, user: u}}\nclusters:\n- {name: k, cluster: {server: '${emu.url}', certificate-authority-data: ${Buffer.from(emu.ca.pem).toString('base64')}}}\nusers:\n- {name: u, user: {token: ${emu.tokens.issueUser('alice', ['system:authenticated'], 3600)}}}\n`,
    );
    const client = new HttpCluster(
      new KubeApi(kubeconfigConnection(file, { env: {} }), {
        userAgent: 'certdrift/test',
        sleep: () => Promise.resolve(),
      }),
    );
    const k = await new ClusterReportsSource(
      client,
      file,
      () => new Date('2026-11-25T10:05:00Z'),
    ).load();
    let planError: string | undefined;
    await clusterFleetSource(client, file)
      .load()
      .catch((e: unknown) => {
        planError = (e as Error).message;
      });
    return {
      calls: emu.requests.map((r) => ({ verb: r.verb, resource: r.resource, code: r.code })),
      problems: k.problems,
      ...(planError !== undefined ? { planError } : {}),
    };
  } finally {
    await emu.stop();
  }
}

test('certdrift-reader allows attribute and plan to read, and nothing they do not use', async (t) => {
  if (!needKubectl(t)) return;
  const base = renderDeploy('base');
  const { calls, problems, planError } = await readerFlow(base);
  assert.equal(planError, undefined);
  assert.deepEqual(
    calls.filter((c) => c.code === 403),
    [],
  );
  // the report has no ledger (seeded bare): said, not an error
  assert.match(problems.join(), /no ledger published/);
  const used = new Set(calls.map((c) => `${c.resource}:${c.verb}`));
  const role = base.find((m) => m.kind === 'ClusterRole' && m.metadata.name === 'certdrift-reader');
  assert.ok(role);
  const granted = (role.rules as PolicyRule[]).flatMap((r) =>
    (r.resources ?? []).flatMap((res) => r.verbs.map((v) => `${res}:${v}`)),
  );
  assert.deepEqual([...used].sort(), [...new Set(granted)].sort());
});

test('removing any verb of certdrift-reader makes the read that needs it fail', async (t) => {
  if (!needKubectl(t)) return;
  const base = renderDeploy('base');
  const role = base.find((m) => m.kind === 'ClusterRole' && m.metadata.name === 'certdrift-reader');
  assert.ok(role);
  let variants = 0;
  for (const [i, rule] of (role.rules as PolicyRule[]).entries())
    for (const verb of rule.verbs) {
      const manifests = structuredClone(base);
      const target = manifests.find(
        (m) => m.metadata.name === 'certdrift-reader' && m.kind === 'ClusterRole',
      );
      assert.ok(target);
      const rules = target.rules as PolicyRule[];
      const remaining = rule.verbs.filter((v) => v !== verb);
      if (remaining.length === 0) rules.splice(i, 1);
      else (rules[i] as PolicyRule).verbs = remaining;
      const { calls, problems, planError } = await readerFlow(manifests);
      const denied = calls.filter((c) => c.code === 403);
      const what = `without ${rule.resources?.join(',') ?? ''}:${verb}`;
      assert.ok(denied.length > 0, `${what}: some call was refused`);
      assert.ok(
        denied.every((c) => c.verb === verb && rule.resources?.includes(c.resource)),
        `${what}: only the matching call was refused (${JSON.stringify(denied)})`,
      );
      assert.match(planError ?? '', / 403 /, `${what}: plan fails`);
      if (rule.resources?.includes('nodecertificatereports'))
        assert.match(problems.join(), /403 .*certdrift-reader/, `${what}: attribute says so`);
      variants++;
    }
  assert.equal(variants, 2);
});
