// deploy/ renders with `kubectl kustomize` into a complete install, the agent's own DaemonSet
// passes certdrift's audit (no single-file mounts, propagation where it matters), and the real
// kube-apiserver accepts every rendered object (server-side dry run, strict field validation).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { auditManifest } from '../../src/audit/index.js';
import { REPO } from '../support/scan.js';
import { objectPath, useControlPlane } from '../support/control-plane/index.js';
import { installCrds, relocate } from '../support/control-plane/install.js';
import { renderDeploy } from '../support/deploy-manifests.js';
import { needKubectl } from '../cluster/setup.js';

interface Obj {
  kind: string;
  metadata: { name: string };
  [k: string]: unknown;
}

function render(
  dir: string,
  t: import('node:test').TestContext,
): { text: string; objs: Obj[] } | null {
  const r = spawnSync('kubectl', ['kustomize', `${REPO}deploy/${dir}`], { encoding: 'utf8' });
  if (r.error) {
    t.skip('kubectl is not installed (needed for `kubectl kustomize`)');
    return null;
  }
  assert.equal(r.status, 0, r.stderr);
  return { text: r.stdout, objs: parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj) };
}

test('the base renders a complete install', (t) => {
  const out = render('base', t);
  if (!out) return;
  assert.deepEqual(out.objs.map((o) => o.kind).sort(), [
    'ClusterRole',
    'ClusterRole',
    'ClusterRole',
    'ClusterRoleBinding',
    'CustomResourceDefinition',
    'DaemonSet',
    'Namespace',
    'ResourceQuota',
    'Role',
    'RoleBinding',
    'Service',
    'ServiceAccount',
    'ValidatingAdmissionPolicy',
    'ValidatingAdmissionPolicyBinding',
  ]);
  const ds = out.objs.find((o) => o.kind === 'DaemonSet') as unknown as {
    spec: {
      template: {
        spec: {
          hostPID: boolean;
          hostNetwork: boolean;
          dnsPolicy: string;
          tolerations: unknown[];
          volumes: {
            name: string;
            hostPath?: { path: string; type?: string };
            secret?: { secretName: string };
          }[];
          containers: {
            args: string[];
            securityContext: { capabilities: { drop: string[]; add: string[] } };
            volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
            resources: Record<string, object>;
          }[];
        };
      };
    };
  };
  const pod = ds.spec.template.spec;
  assert.equal(pod.hostPID, true);
  // the served-certificate probe reaches the node's loopback endpoints
  assert.equal(pod.hostNetwork, true);
  assert.equal(pod.dnsPolicy, 'ClusterFirstWithHostNet');
  assert.deepEqual(pod.tolerations, [{ operator: 'Exists' }]);
  assert.deepEqual(
    pod.volumes.map((v) => [v.name, v.hostPath?.path ?? v.secret?.secretName, v.hostPath?.type]),
    [
      ['host', '/', 'Directory'],
      ['state', '/var/lib/certdrift', 'DirectoryOrCreate'],
      ['tls', 'certdrift-agent-tls', undefined],
    ],
    'host paths are directories, never single files; the serving certificate is a Secret',
  );
  const c = pod.containers[0];
  assert.ok(c);
  assert.deepEqual(c.securityContext.capabilities, {
    drop: ['ALL'],
    add: ['DAC_READ_SEARCH', 'SYS_PTRACE'],
  });
  // the node read-only; the ledger's own directory the one writable mount, at --state-dir
  assert.deepEqual(
    c.volumeMounts.map((m) => [m.name, m.mountPath, m.readOnly === true]),
    [
      ['host', '/host', true],
      ['state', '/var/lib/certdrift', false],
      ['tls', '/etc/certdrift/tls', true],
    ],
  );
  assert.ok(c.args.includes('--state-dir=/var/lib/certdrift'));
  // the endpoint: the node's own address, TLS, and only authorized scrapers (issue #26)
  for (const arg of [
    '--listen=$(NODE_IP):9731',
    '--tls-cert-file=/etc/certdrift/tls/tls.crt',
    '--tls-key-file=/etc/certdrift/tls/tls.key',
    '--metrics-auth=kubernetes',
  ])
    assert.ok(c.args.includes(arg), arg);
  assert.deepEqual(Object.keys(c.resources).sort(), ['limits', 'requests']);
  const role = out.objs.find(
    (o) => o.kind === 'ClusterRole' && o.metadata.name === 'certdrift-agent',
  ) as unknown as {
    rules: { resources: string[]; verbs: string[] }[];
  };
  assert.deepEqual(
    role.rules.map((r) => `${r.resources.join(',')}:${r.verbs.join(',')}`),
    [
      'nodes:get',
      'nodes/status:patch',
      'nodecertificatereports:get,create,patch',
      'nodecertificatereports/status:update',
      'tokenreviews:create',
      'subjectaccessreviews:create',
    ],
  );
  // the reader role: list only, shipped unbound (bound to people, not to the agent)
  const reader = out.objs.find(
    (o) => o.kind === 'ClusterRole' && o.metadata.name === 'certdrift-reader',
  ) as unknown as { rules: { resources: string[]; verbs: string[] }[] };
  assert.deepEqual(
    reader.rules.map((r) => `${r.resources.join(',')}:${r.verbs.join(',')}`),
    ['nodecertificatereports:list', 'nodes:list'],
  );
  assert.ok(
    !out.objs.some(
      (o) => (o as { roleRef?: { name: string } }).roleRef?.name === 'certdrift-reader',
    ),
    'certdrift-reader is not bound by the install',
  );
  const audit = auditManifest('deploy/base', out.text);
  assert.deepEqual(
    audit.findings,
    [],
    'certdrift audit has nothing to say about its own DaemonSet',
  );
});

test('monitoring adds ServiceMonitor, PrometheusRule and the dashboard', (t) => {
  const out = render('monitoring', t);
  if (!out) return;
  const rule = out.objs.find((o) => o.kind === 'PrometheusRule') as unknown as {
    spec: { groups: { rules: { alert: string; labels: { severity: string } }[] }[] };
  };
  const alerts = Object.fromEntries(
    (rule.spec.groups[0]?.rules ?? []).map((r) => [r.alert, r.labels.severity]),
  );
  assert.equal(alerts.NodeCertificateExpiringSoon, 'warning');
  assert.equal(alerts.NodeCertificateExpiringCritical, 'critical');
  assert.equal(alerts.ContainerSeesStaleCertificate, 'critical');
  assert.equal(alerts.ComponentNotReloaded, 'critical');
  assert.ok(alerts.NodeReplacementDue && alerts.CertdriftAgentDown && alerts.CertdriftScanErrors);
  const cm = out.objs.find((o) => o.kind === 'ConfigMap') as unknown as {
    data: Record<string, string>;
  };
  const dash = JSON.parse(cm.data['certdrift-dashboard.json'] ?? '{}') as { panels: unknown[] };
  assert.ok(dash.panels.length >= 5);
  assert.ok(out.objs.some((o) => o.kind === 'ServiceMonitor'));
});

// Kinds whose CRDs this control plane cannot have: the Prometheus Operator's (kube-prometheus
// ships them, not Kubernetes); their shape is proven by promtool in test/monitoring.
const NOT_ON_THIS_CLUSTER = new Set([
  'monitoring.coreos.com/v1 ServiceMonitor',
  'monitoring.coreos.com/v1 PrometheusRule',
]);

test('the real API server accepts every object deploy/base and deploy/monitoring render (server-side dry run)', async (t) => {
  if (!needKubectl(t)) return;
  const cp = useControlPlane(t);
  if (!cp) return;
  const base = renderDeploy('base');
  // The CRD for real (its objects are validated against it), everything else dry run only, in
  // the test's namespace (cluster-scoped names suffixed): nothing of the install is left behind.
  await installCrds(cp, base);
  const ns = await cp.namespace(t, 'deploy');
  const ours = [...base, ...renderDeploy('monitoring')];
  const namespace = ours.find((o) => o.kind === 'Namespace');
  assert.ok(namespace);
  const skipped: string[] = [];
  const accepted: string[] = [];
  for (const o of [namespace, ...relocate(ours, ns).objects]) {
    const kind = `${o.apiVersion ?? ''} ${o.kind}`;
    if (NOT_ON_THIS_CLUSTER.has(kind)) {
      skipped.push(kind);
      continue;
    }
    const r = await cp.admin.request(
      'PATCH',
      `${objectPath(o)}?fieldManager=certdrift-test&force=true&dryRun=All&fieldValidation=Strict`,
      o,
      'application/apply-patch+yaml',
    );
    assert.ok(
      r.status === 200 || r.status === 201,
      `${kind} ${o.metadata.name}: ${r.status} ${r.text}`,
    );
    accepted.push(o.kind);
  }
  assert.deepEqual(skipped.sort(), [...NOT_ON_THIS_CLUSTER].sort());
  for (const kind of [
    'DaemonSet',
    'ClusterRole',
    'RoleBinding',
    'ResourceQuota',
    'Service',
    'ConfigMap',
    'ValidatingAdmissionPolicy',
    'ValidatingAdmissionPolicyBinding',
  ])
    assert.ok(accepted.includes(kind), `${kind} was sent`);
  // and a report as the agent writes it is valid against the shipped CRD (strict: no field the
  // schema does not know)
  const report = await cp.admin.request(
    'POST',
    '/apis/certdrift.io/v1alpha1/nodecertificatereports?dryRun=All&fieldValidation=Strict',
    {
      apiVersion: 'certdrift.io/v1alpha1',
      kind: 'NodeCertificateReport',
      metadata: { name: ns },
      spec: {},
    },
  );
  assert.equal(report.status, 400, 'spec is not in the schema: strict validation refuses it');
  assert.match(String(report.body.message), /unknown field "spec"/);
});
