// What a real cluster's admission checks need from deploy/base, on the rendered output
// (`kubectl kustomize`): Pod Security exemption, AppArmor and SELinux settings that let the agent
// read other processes' /proc/<pid>/root, Linux-only real nodes, the quota GKE needs for
// system-node-critical, and the component that makes kube-prometheus-stack pick up the monitors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT, renderDeploy, type Manifest } from '../support/deploy-manifests.js';
import { needKubectl } from './setup.js';

interface PodTemplate {
  metadata: { annotations: Record<string, string> };
  spec: {
    priorityClassName: string;
    nodeSelector: Record<string, string>;
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: {
            matchExpressions: { key: string; operator: string; values: string[] }[];
          }[];
        };
      };
    };
    containers: {
      name: string;
      securityContext: { appArmorProfile: { type: string }; seLinuxOptions: { type: string } };
    }[];
  };
}

const one = (objs: Manifest[], kind: string): Manifest => {
  const o = objs.find((x) => x.kind === kind);
  assert.ok(o, `${kind} rendered`);
  return o;
};

test('deploy/base passes Pod Security, AppArmor and SELinux, and lands only on real Linux nodes', (t) => {
  if (!needKubectl(t)) return;
  const objs = renderDeploy('base');
  const ns = one(objs, 'Namespace');
  assert.equal(
    (ns.metadata.labels as Record<string, string>)['pod-security.kubernetes.io/enforce'],
    'privileged',
  );
  const pod = (one(objs, 'DaemonSet').spec as { template: PodTemplate }).template;
  const c = pod.spec.containers[0];
  assert.ok(c);
  assert.deepEqual(c.securityContext.appArmorProfile, { type: 'Unconfined' });
  assert.equal(
    pod.metadata.annotations[`container.apparmor.security.beta.kubernetes.io/${c.name}`],
    'unconfined',
    'the annotation names the container',
  );
  assert.deepEqual(c.securityContext.seLinuxOptions, { type: 'spc_t' });
  assert.deepEqual(pod.spec.nodeSelector, { 'kubernetes.io/os': 'linux' });
  const terms =
    pod.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
  assert.equal(terms.length, 1, 'one term: its expressions are ANDed');
  assert.deepEqual(terms[0]?.matchExpressions, [
    { key: 'eks.amazonaws.com/compute-type', operator: 'NotIn', values: ['fargate'] },
    { key: 'type', operator: 'NotIn', values: ['virtual-kubelet'] },
  ]);
  const quota = one(objs, 'ResourceQuota') as Manifest & {
    spec: {
      scopeSelector: {
        matchExpressions: { scopeName: string; operator: string; values: string[] }[];
      };
    };
  };
  assert.equal(quota.metadata.namespace, 'certdrift');
  assert.deepEqual(quota.spec.scopeSelector.matchExpressions, [
    { operator: 'In', scopeName: 'PriorityClass', values: [pod.spec.priorityClassName] },
  ]);
  const role = one(objs, 'Role');
  assert.equal(role.metadata.namespace, 'default', 'node events are recorded in default');
  assert.equal(one(objs, 'RoleBinding').metadata.namespace, 'default');
});

test('the prometheus-release component labels the ServiceMonitor and PrometheusRule for kube-prometheus-stack', (t) => {
  if (!needKubectl(t)) return;
  // kustomize refuses absolute paths to bases: build an overlay next to a copy of deploy/.
  const dir = mkdtempSync(join(tmpdir(), 'certdrift-kustomize-'));
  try {
    cpSync(join(REPO_ROOT, 'deploy'), join(dir, 'deploy'), { recursive: true });
    mkdirSync(join(dir, 'overlay'));
    writeFileSync(
      join(dir, 'overlay', 'kustomization.yaml'),
      'resources: [../deploy/monitoring]\ncomponents: [../deploy/components/prometheus-release]\n',
    );
    const r = spawnSync('kubectl', ['kustomize', join(dir, 'overlay')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const objs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Manifest);
    for (const kind of ['ServiceMonitor', 'PrometheusRule']) {
      const o = one(objs, kind);
      assert.equal(
        (o.metadata.labels as Record<string, string>).release,
        'kube-prometheus-stack',
        kind,
      );
      assert.equal(o.metadata.name, 'certdrift', `${kind} keeps its name`);
    }
    assert.equal(
      objs.filter((o) => (o.metadata.labels as Record<string, string> | undefined)?.release).length,
      2,
      'nothing else is labelled',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
