// deploy/rotator renders (`kubectl kustomize`, alone and with every actuator component) into a
// one-replica Deployment that runs `certdrift rotate --apply --watch` as its own ServiceAccount,
// with the agent's image, a Pod Security "restricted" security context, resources, a policy that
// `certdrift plan` accepts mounted as a directory, and flags the command knows. The real API
// server accepts every object (server-side dry run), and its Pod Security admission, enforcing
// "restricted" in the namespace, admits the rotator's pod.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { auditManifest } from '../../src/audit/index.js';
import { rotateCommand } from '../../src/cli/commands/rotate.js';
import { readPolicy } from '../../src/fleet/read-policy.js';
import {
  haveKubectl,
  renderDeploy,
  renderOverlay,
  type Manifest,
} from '../support/deploy-manifests.js';
import { useControlPlane } from '../support/control-plane/index.js';
import { relocate } from '../support/control-plane/install.js';

/** Skips (laptop) or fails (CI) when kubectl cannot render deploy/. */
function needKubectl(t: TestContext): boolean {
  if (haveKubectl()) return true;
  if (process.env.CI) throw new Error('kubectl is required under CI to render deploy/');
  t.skip('kubectl is not installed (needed to render deploy/)');
  return false;
}

interface Container {
  name: string;
  image: string;
  args: string[];
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext: {
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
    privileged?: boolean;
  };
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[];
}
interface PodSpec {
  serviceAccountName: string;
  hostPID?: boolean;
  hostNetwork?: boolean;
  securityContext: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    seccompProfile?: { type: string };
  };
  containers: Container[];
  volumes: { name: string; configMap?: { name: string }; hostPath?: unknown }[];
}

const deploymentOf = (objs: Manifest[]) => {
  const d = objs.find((o) => o.kind === 'Deployment');
  assert.ok(d, 'a Deployment');
  return d as Manifest & {
    spec: { replicas: number; strategy: { type: string }; template: { spec: PodSpec } };
  };
};
const containerOf = (objs: Manifest[]): Container => {
  const c = deploymentOf(objs).spec.template.spec.containers[0];
  assert.ok(c);
  return c;
};

test('deploy/rotator: one replica, its own ServiceAccount, the agent image, restricted security', (t) => {
  if (!needKubectl(t)) return;
  const objs = renderDeploy('rotator');
  const d = deploymentOf(objs);
  assert.equal(d.metadata.namespace, 'certdrift');
  assert.equal(d.spec.replicas, 1);
  assert.equal(d.spec.strategy.type, 'Recreate');
  const pod = d.spec.template.spec;
  const sa = objs.find((o) => o.kind === 'ServiceAccount');
  assert.equal(sa?.metadata.name, pod.serviceAccountName);
  assert.notEqual(pod.serviceAccountName, 'certdrift', "not the agent's ServiceAccount");
  // Every binding names the rotator's ServiceAccount, and only it.
  for (const b of objs.filter((o) => o.kind.endsWith('Binding')))
    assert.deepEqual(
      b.subjects,
      [{ kind: 'ServiceAccount', name: pod.serviceAccountName, namespace: 'certdrift' }],
      b.metadata.name,
    );

  const c = containerOf(objs);
  const agent = renderDeploy('base').find((o) => o.kind === 'DaemonSet') as
    (Manifest & { spec: { template: { spec: PodSpec } } }) | undefined;
  assert.equal(c.image, agent?.spec.template.spec.containers[0]?.image, "the agent's image");

  // Pod Security Standards, restricted profile (kubernetes.io/docs/concepts/security/pod-security-standards)
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.ok((pod.securityContext.runAsUser ?? 0) > 0);
  assert.deepEqual(pod.securityContext.seccompProfile, { type: 'RuntimeDefault' });
  assert.equal(pod.hostPID ?? false, false);
  assert.equal(pod.hostNetwork ?? false, false);
  assert.ok(pod.volumes.every((v) => v.hostPath === undefined));
  assert.deepEqual(c.securityContext, {
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
  });
  assert.deepEqual(Object.keys(c.resources).sort(), ['limits', 'requests']);
  assert.ok(c.resources.limits?.memory);

  // The arguments are the command's: rotate, acting, watching, in-cluster.
  assert.deepEqual(c.args.slice(0, 1), ['rotate']);
  for (const a of c.args.slice(1)) {
    const name = /^--([a-z-]+)/.exec(a)?.[1] ?? '';
    assert.ok(name in rotateCommand.options, `${a} is an option of certdrift rotate`);
  }
  for (const a of ['--apply', '--watch', '--kubernetes=auto']) assert.ok(c.args.includes(a), a);

  // The policy: a ConfigMap that `certdrift plan`'s reader accepts, mounted as a directory.
  const policyArg = c.args.find((a) => a.startsWith('--policy='))?.slice('--policy='.length);
  const mount = c.volumeMounts.find((m) => policyArg?.startsWith(`${m.mountPath}/`));
  assert.ok(mount && mount.readOnly === true && mount.subPath === undefined, 'a directory mount');
  const vol = pod.volumes.find((v) => v.name === mount.name);
  const cm = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === vol?.configMap?.name);
  const file = policyArg?.slice(mount.mountPath.length + 1) ?? '';
  const text = (cm?.data as Record<string, string> | undefined)?.[file];
  assert.ok(text, `the ConfigMap holds ${file}`);
  assert.deepEqual(readPolicy(text).problems, []);

  assert.deepEqual(
    auditManifest('deploy/rotator', objs.map((o) => stringify(o)).join('---\n')).findings,
    [],
    'certdrift audit has nothing to say about the rotator',
  );
});

test('deploy/rotator components: each adds its own roles; delete-node turns on --after-drain delete-node, force --force-after', (t) => {
  if (!needKubectl(t)) return;
  const roles = (objs: Manifest[]) =>
    objs
      .filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role')
      .map((o) => o.metadata.name)
      .sort();
  const base = roles(renderDeploy('rotator'));
  assert.deepEqual(base, [
    'certdrift-rotator',
    'certdrift-rotator-lease',
    'certdrift-rotator-state',
  ]);
  for (const c of ['drain', 'delete-node', 'force', 'capi', 'karpenter']) {
    const objs = renderOverlay(['rotator'], [`rotator/actuators/${c}`]);
    assert.deepEqual(roles(objs), [...base, `certdrift-rotator-${c}`].sort(), c);
    assert.equal(
      containerOf(objs).args.includes('--after-drain=delete-node'),
      c === 'delete-node',
      c,
    );
    assert.equal(containerOf(objs).args.includes('--force-after=15m'), c === 'force', c);
  }
});

test('deploy/rotator on the real API server: every object valid (dry run), the pod admitted by Pod Security "restricted"', async (t) => {
  if (!needKubectl(t)) return;
  const cp = useControlPlane(t);
  if (!cp) return;
  const ns = await cp.namespace(t, 'rotator');
  await cp.admin.patch(`/api/v1/namespaces/${ns}`, {
    metadata: {
      labels: {
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
      },
    },
  });
  const all = renderOverlay(
    ['rotator'],
    ['drain', 'delete-node', 'force', 'capi', 'karpenter'].map((c) => `rotator/actuators/${c}`),
  );
  const { objects } = relocate(all, ns);
  // Dry run, except the ServiceAccount: admission looks it up for the pod below.
  for (const o of objects) await cp.admin.apply(o, o.kind !== 'ServiceAccount');
  // The pod the Deployment would make, as its ReplicaSet would create it: admission decides.
  const d = deploymentOf(objects);
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'certdrift-rotator-probe', namespace: ns },
    spec: d.spec.template.spec,
  };
  const admitted = await cp.admin.request('POST', `/api/v1/namespaces/${ns}/pods?dryRun=All`, pod);
  assert.equal(admitted.status, 201, admitted.text);
  // and the same admission refuses a pod that is not restricted (the check is live)
  const loose = structuredClone(pod);
  (loose.spec.containers[0] as Container).securityContext.allowPrivilegeEscalation = true;
  const refused = await cp.admin.request('POST', `/api/v1/namespaces/${ns}/pods?dryRun=All`, loose);
  assert.equal(refused.status, 403, refused.text);
  assert.match(
    String(refused.body.message),
    /violates PodSecurity "restricted:latest": allowPrivilegeEscalation/,
  );
});
