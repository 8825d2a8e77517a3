// The shipped RBAC is exactly what the agent needs, decided by the real kube-apiserver: with the
// rendered deploy/base applied, the whole publishing flow runs without a single 403, and the
// verbs the audit log records are exactly the ones granted; removing any verb of any rule of the
// roles bound to the agent's service account makes the server refuse exactly the call that
// needs it — so no rule is missing and none is spare. (The certdrift-reader role, for people, is
// proven in reader-rbac.test.ts.)

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { publishNodeStatus } from '../../src/adapters/kube/publish.js';
import { kubeconfigConnection } from '../../src/adapters/kube/connect.js';
import { HttpCluster } from '../../src/adapters/kube/http-cluster.js';
import { KubeApi } from '../../src/adapters/kube/kube-api.js';
import { renderDeploy, type Manifest, type PolicyRule } from '../support/deploy-manifests.js';
import { useControlPlane, type ControlPlane } from '../support/control-plane/index.js';
import { installCrds } from '../support/control-plane/install.js';
import { finding, statusSpec } from './spec.js';
import { applyRbac, grantsOf, inForce, withoutEachVerb } from './rbac-variants.js';
import { needKubectl, resourceOf, testNode } from './setup.js';

/** The roles the install binds to the agent's service account (certdrift/certdrift). */
export function agentRoles(manifests: Manifest[]): Manifest[] {
  const bound = new Set(
    manifests
      .filter((m) => m.kind === 'ClusterRoleBinding' || m.kind === 'RoleBinding')
      .filter((b) =>
        (b.subjects as { kind: string; name: string; namespace?: string }[]).some(
          (s) =>
            s.kind === 'ServiceAccount' && s.name === 'certdrift' && s.namespace === 'certdrift',
        ),
      )
      .map((b) => {
        const ref = b.roleRef as { kind: string; name: string };
        return `${ref.kind}/${ref.name}/${ref.kind === 'Role' ? (b.metadata.namespace ?? '') : ''}`;
      }),
  );
  return manifests.filter(
    (m) =>
      (m.kind === 'ClusterRole' || m.kind === 'Role') &&
      bound.has(
        `${m.kind}/${m.metadata.name}/${m.kind === 'Role' ? (m.metadata.namespace ?? '') : ''}`,
      ),
  );
}

/**
 * The rules `--metrics-auth kubernetes` needs (reviews of a scraper's token): the publishing flow
 * never uses them; test/agent/metrics-endpoint.test.ts proves each one needed, on this server.
 */
const METRICS_AUTH = new Set(['tokenreviews', 'subjectaccessreviews']);
const forMetricsAuth = (rule: PolicyRule): boolean =>
  (rule.resources ?? []).some((r) => METRICS_AUTH.has(r));

interface Call {
  verb: string;
  resource: string;
  code: number;
}

async function setUp(t: TestContext): Promise<{ cp: ControlPlane; ns: string } | undefined> {
  if (!needKubectl(t)) return undefined;
  const cp = useControlPlane(t);
  if (!cp) return undefined;
  await installCrds(cp, renderDeploy('base'));
  return { cp, ns: await cp.namespace(t, 'rbac') };
}

/**
 * Every call the agent makes, with the roles of `manifests` applied under `suffix`: a node with
 * an ownerless report, a node without one, repeated events. The calls are the audit log's.
 */
async function runAgentFlow(
  cp: ControlPlane,
  t: TestContext,
  ns: string,
  manifests: Manifest[],
  suffix: string,
): Promise<{ calls: Call[]; errors: string[] }> {
  const sa = `agent-${suffix}`;
  const applied = await applyRbac(cp, t, manifests, ns, `${ns}-${suffix}`, sa);
  const user = `system:serviceaccount:${ns}:${sa}`;
  await inForce(cp, { name: user }, applied);
  const token = await cp.token(ns, sa, { create: false });
  const client = new HttpCluster(
    new KubeApi(kubeconfigConnection(cp.kubeconfig(token), { env: {} }), {
      userAgent: 'certdrift/test',
      sleep: () => Promise.resolve(),
    }),
  );
  const [n1, n2] = [
    await testNode(cp, t, { kubelet: false }),
    await testNode(cp, t, { kubelet: false }),
  ];
  await cp.admin.create('/apis/certdrift.io/v1alpha1/nodecertificatereports', {
    apiVersion: 'certdrift.io/v1alpha1',
    kind: 'NodeCertificateReport',
    metadata: { name: n1 },
  });
  const now = new Date('2026-11-25T10:00:00Z');
  const errors: string[] = [];
  const p = [finding('CERT_EXPIRING', 'warning', '/etc/kubernetes/pki/apiserver.crt')];
  const mark = cp.auditMark();
  for (const node of [n1, n1, n2])
    await publishNodeStatus(client, node, statusSpec(p, now, node), now).catch((e: unknown) => {
      errors.push((e as Error).message);
    });
  const calls = (await cp.audit(user, mark)).map((e) => ({
    verb: e.verb,
    resource: resourceOf(e),
    code: e.responseStatus?.code ?? 0,
  }));
  return { calls, errors };
}

test('the shipped role allows the whole flow and nothing it does not use', async (t) => {
  const lab = await setUp(t);
  if (!lab) return;
  const manifests = renderDeploy('base');
  const { calls, errors } = await runAgentFlow(lab.cp, t, lab.ns, manifests, 'base');
  assert.deepEqual(errors, []);
  assert.deepEqual(
    calls.filter((c) => c.code === 403),
    [],
  );
  const used = new Set(calls.map((c) => `${c.resource}:${c.verb}`));
  const rules = agentRoles(manifests).flatMap((m) => m.rules as PolicyRule[]);
  assert.deepEqual(
    grantsOf(rules.filter(forMetricsAuth)).sort(),
    ['subjectaccessreviews:create', 'tokenreviews:create'],
    'the rules left to the metrics endpoint test are exactly its reviews',
  );
  const granted = grantsOf(rules.filter((r) => !forMetricsAuth(r)));
  assert.deepEqual(
    [...used].sort(),
    [...new Set(granted)].sort(),
    'every granted verb is used, every used verb granted',
  );
});

test('removing any verb of any shipped rule makes the server refuse exactly the call that needs it', async (t) => {
  const lab = await setUp(t);
  if (!lab) return;
  const base = renderDeploy('base');
  const roles = agentRoles(base);
  assert.ok(roles.length >= 2, 'a ClusterRole and the events Role');
  const variants = withoutEachVerb(base, roles).filter((v) => !forMetricsAuth(v.rule));
  assert.ok(variants.length >= 8, `every verb of every rule is removed once (${variants.length})`);
  // One after another in one namespace: each variant has its own roles and service account.
  for (const [i, { what, rule, verb, manifests }] of variants.entries()) {
    const { calls, errors } = await runAgentFlow(lab.cp, t, lab.ns, manifests, `v${i}`);
    const denied = calls.filter((c) => c.code === 403);
    assert.ok(denied.length > 0, `${what}: some call was refused`);
    assert.ok(
      denied.every((c) => c.verb === verb && rule.resources?.includes(c.resource)),
      `${what}: only the matching call was refused (${JSON.stringify(denied)})`,
    );
    assert.ok(
      errors.some((e) => / 403 /.test(e) && e.includes(`cannot ${verb} resource`)),
      `${what}: the publish reports it (${errors.join(' | ')})`,
    );
  }
});
