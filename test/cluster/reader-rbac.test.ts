// The shipped certdrift-reader ClusterRole (deploy/base/reader-rbac.yaml) is exactly what
// `certdrift attribute --kubernetes` and `certdrift plan --kubernetes` need, decided by the real
// kube-apiserver: bound to a user as its header documents (a user with a client certificate from
// the cluster CA), both run without a 403 and use every rule (the audit log's verbs); removing
// any verb makes the server refuse the call that needs it, and nothing else.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeconfigConnection } from '../../src/adapters/kube/connect.js';
import { HttpCluster } from '../../src/adapters/kube/http-cluster.js';
import { KubeApi } from '../../src/adapters/kube/kube-api.js';
import { ClusterReportsSource } from '../../src/adapters/kube/report-knowledge.js';
import { clusterFleetSource } from '../../src/fleet/from-cluster.js';
import { renderDeploy, type Manifest, type PolicyRule } from '../support/deploy-manifests.js';
import { useControlPlane, type ControlPlane } from '../support/control-plane/index.js';
import { installCrds } from '../support/control-plane/install.js';
import { applyRbac, grantsOf, inForce, withoutEachVerb } from './rbac-variants.js';
import { needKubectl, resourceOf, testNode } from './setup.js';

interface Outcome {
  calls: { verb: string; resource: string; code: number }[];
  problems: string[];
  planError?: string;
}

interface Lab {
  cp: ControlPlane;
  ns: string;
}

/** The namespace, one Node with a report of its own (no ledger), the CRD installed. */
async function setUp(t: TestContext): Promise<Lab | undefined> {
  if (!needKubectl(t)) return undefined;
  const cp = useControlPlane(t);
  if (!cp) return undefined;
  await installCrds(cp, renderDeploy('base'));
  const ns = await cp.namespace(t, 'reader');
  const node = await testNode(cp, t, { kubelet: false });
  const path = '/apis/certdrift.io/v1alpha1/nodecertificatereports';
  await cp.admin.create(path, {
    apiVersion: 'certdrift.io/v1alpha1',
    kind: 'NodeCertificateReport',
    metadata: { name: node },
  });
  t.after(() => cp.admin.request('DELETE', `${path}/${node}`));
  await cp.admin.patch(`${path}/${node}/status`, {
    status: { scannedAt: '2026-11-25T10:00:00Z', worstSeverity: 'ok' },
  });
  return { cp, ns };
}

const readerRole = (manifests: Manifest[]): Manifest => {
  const role = manifests.find(
    (m) => m.kind === 'ClusterRole' && m.metadata.name === 'certdrift-reader',
  );
  assert.ok(role);
  return role;
};

/** attribute's and plan's cluster reads, as user `alice-<suffix>` bound to certdrift-reader. */
async function readerFlow(
  { cp, ns }: Lab,
  t: TestContext,
  manifests: Manifest[],
  suffix: string,
): Promise<Outcome> {
  const user = `alice-${ns}-${suffix}`;
  const binding: Manifest = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: `certdrift-reader-alice` },
    roleRef: {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'certdrift-reader',
    },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
  };
  const applied = await applyRbac(cp, t, [readerRole(manifests), binding], ns, `${ns}-${suffix}`);
  await inForce(cp, { name: user }, applied);
  const cert = cp.userCert(user);
  const file = join(mkdtempSync(join(tmpdir(), 'certdrift-reader-')), 'config');
  writeFileSync(
    file,
    `apiVersion: v1\nkind: Config\ncurrent-context: c\ncontexts:\n- {name: c, context: {cluster: k, user: u}}\nclusters:\n- {name: k, cluster: {server: '${cp.url}', certificate-authority: '${cp.info.caFile}'}}\nusers:\n- {name: u, user: {client-certificate: '${cert.cert}', client-key: '${cert.key}'}}\n`,
  );
  const client = new HttpCluster(
    new KubeApi(kubeconfigConnection(file, { env: {} }), {
      userAgent: 'certdrift/test',
      sleep: () => Promise.resolve(),
    }),
  );
  const mark = cp.auditMark();
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
    calls: (await cp.audit(user, mark)).map((e) => ({
      verb: e.verb,
      resource: resourceOf(e),
      code: e.responseStatus?.code ?? 0,
    })),
    problems: k.problems,
    ...(planError !== undefined ? { planError } : {}),
  };
}

test('certdrift-reader allows attribute and plan to read, and nothing they do not use', async (t) => {
  const lab = await setUp(t);
  if (!lab) return;
  const base = renderDeploy('base');
  const { calls, problems, planError } = await readerFlow(lab, t, base, 'base');
  assert.equal(planError, undefined);
  assert.ok(calls.length >= 2);
  assert.deepEqual(
    calls.filter((c) => c.code === 403),
    [],
  );
  // this test's report has no ledger: said, not an error
  assert.match(problems.join(), /no ledger published/);
  const used = new Set(calls.map((c) => `${c.resource}:${c.verb}`));
  const granted = grantsOf(readerRole(base).rules as PolicyRule[]);
  assert.deepEqual([...used].sort(), [...new Set(granted)].sort());
});

test('removing any verb of certdrift-reader makes the server refuse the read that needs it', async (t) => {
  const lab = await setUp(t);
  if (!lab) return;
  const base = renderDeploy('base');
  const variants = withoutEachVerb(base, [readerRole(base)]);
  assert.equal(variants.length, 2);
  for (const [i, { what, rule, verb, manifests }] of variants.entries()) {
    const { calls, problems, planError } = await readerFlow(lab, t, manifests, `v${i}`);
    const denied = calls.filter((c) => c.code === 403);
    assert.ok(denied.length > 0, `${what}: some call was refused`);
    assert.ok(
      denied.every((c) => c.verb === verb && rule.resources?.includes(c.resource)),
      `${what}: only the matching call was refused (${JSON.stringify(denied)})`,
    );
    assert.match(planError ?? '', / 403 /, `${what}: plan fails`);
    if (rule.resources?.includes('nodecertificatereports'))
      assert.match(problems.join(), /403 .*certdrift-reader/, `${what}: attribute says so`);
  }
});
