// The shipped RBAC is exactly what the agent needs: with the rendered deploy/base the whole
// publishing flow runs without a single 403, and removing any verb of any rule of the roles bound
// to the agent's service account makes the call that needs it fail — so no rule is missing and
// none is spare. (The certdrift-reader role, for people, is proven in reader-rbac.test.ts.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { publishNodeStatus } from '../../src/adapters/kube/publish.js';
import { renderDeploy, type Manifest, type PolicyRule } from '../support/kube-emulator/index.js';
import { finding, statusSpec } from './spec.js';
import { needKubectl, startCluster } from './setup.js';

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

interface Call {
  verb: string;
  resource: string;
  code: number;
}

/** Every call the agent makes: a node with an ownerless report, a node without one, repeated events. */
async function runAgentFlow(manifests: Manifest[]): Promise<{ calls: Call[]; errors: string[] }> {
  const lab = await startCluster({ manifests });
  try {
    lab.emu.seed('', 'nodes', { metadata: { name: 'n2' }, status: { conditions: [] } });
    lab.emu.seed('certdrift.io', 'nodecertificatereports', { metadata: { name: 'n1' } });
    const client = lab.client();
    const now = new Date('2026-11-25T10:00:00Z');
    const errors: string[] = [];
    const p = [finding('CERT_EXPIRING', 'warning', '/etc/kubernetes/pki/apiserver.crt')];
    for (const node of ['n1', 'n1', 'n2'])
      await publishNodeStatus(client, node, statusSpec(p, now, node), now).catch((e: unknown) => {
        errors.push((e as Error).message);
      });
    return {
      calls: lab.emu.requests.map((r) => ({ verb: r.verb, resource: r.resource, code: r.code })),
      errors,
    };
  } finally {
    await lab.emu.stop();
  }
}

test('the shipped role allows the whole flow and nothing it does not use', async (t) => {
  if (!needKubectl(t)) return;
  const manifests = renderDeploy('base');
  const { calls, errors } = await runAgentFlow(manifests);
  assert.deepEqual(errors, []);
  assert.deepEqual(
    calls.filter((c) => c.code === 403),
    [],
  );
  const used = new Set(calls.map((c) => `${c.resource}:${c.verb}`));
  const granted = agentRoles(manifests).flatMap((m) =>
    (m.rules as PolicyRule[]).flatMap((r) =>
      (r.resources ?? []).flatMap((res) => r.verbs.map((v) => `${res}:${v}`)),
    ),
  );
  assert.deepEqual(
    [...used].sort(),
    [...new Set(granted)].sort(),
    'every granted verb is used, every used verb granted',
  );
});

test('removing any verb of any shipped rule makes the call that needs it fail', async (t) => {
  if (!needKubectl(t)) return;
  const base = renderDeploy('base');
  const roles = agentRoles(base);
  assert.ok(roles.length >= 2, 'a ClusterRole and the events Role');
  let variants = 0;
  for (const role of roles) {
    const rules = role.rules as PolicyRule[];
    for (const [i, rule] of rules.entries())
      for (const verb of rule.verbs) {
        const manifests = structuredClone(base);
        const target = manifests.find(
          (m) => m.kind === role.kind && m.metadata.name === role.metadata.name,
        );
        assert.ok(target);
        const targetRules = target.rules as PolicyRule[];
        const remaining = rule.verbs.filter((v) => v !== verb);
        if (remaining.length === 0) targetRules.splice(i, 1);
        else (targetRules[i] as PolicyRule).verbs = remaining;
        const { calls, errors } = await runAgentFlow(manifests);
        const denied = calls.filter((c) => c.code === 403);
        const what = `${role.kind}/${role.metadata.name} without ${rule.resources?.join(',') ?? ''}:${verb}`;
        assert.ok(denied.length > 0, `${what}: some call was refused`);
        assert.ok(
          denied.every((c) => c.verb === verb && rule.resources?.includes(c.resource)),
          `${what}: only the matching call was refused (${JSON.stringify(denied)})`,
        );
        assert.ok(
          errors.some((e) => / 403 /.test(e) && e.includes(`cannot ${verb} resource`)),
          `${what}: the publish reports it (${errors.join(' | ')})`,
        );
        variants++;
      }
  }
  assert.ok(variants >= 8, `every verb of every rule was removed once (${variants})`);
});
