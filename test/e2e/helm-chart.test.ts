// The Helm chart deploy/helm/certdrift, checked by the real helm (built from helm.sh/helm/v4,
// scripts/helm-binary.sh) and the real API server: `helm lint --strict`, `helm template` with the
// defaults and with every toggle, values.schema.json refusing bad values; the defaults render the
// very objects `kubectl kustomize deploy/base` does, and each toggle those of the kustomize base or
// component it stands for, object by object; every object of the chart with everything on goes
// to the real kube-apiserver as a server-side dry run with strict field validation; and a real
// release is installed, upgraded and uninstalled on the real control plane.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { objectPath, RUN_LABEL, unique, useControlPlane } from '../support/control-plane/index.js';
import { installCrds, relocate } from '../support/control-plane/install.js';
import {
  REPO_ROOT,
  renderDeploy,
  renderOverlay,
  type Manifest,
} from '../support/deploy-manifests.js';
import { CHART, helmKitCrds, helmTemplate, requireHelm, runHelm } from '../support/helm.js';
import { needKubectl } from '../cluster/setup.js';

// Every kustomize actuator component has its chart toggle (rotator.actuators.<camelCase>): a new
// component without one fails the toggle test below, not a user's upgrade.
const ACTUATORS = readdirSync(join(REPO_ROOT, 'deploy/rotator/actuators')).sort();
const AFTER_DRAIN = ['delete-node', 'force'];
const actuatorKey = (a: string): string => a.replace(/-(.)/g, (_, c: string) => c.toUpperCase());
const ALL_ON = [
  'monitoring.enabled=true',
  'rotator.enabled=true',
  ...ACTUATORS.map((a) => `rotator.actuators.${actuatorKey(a)}=true`),
  'fleet.enabled=true',
  'fleet.approveKubeletServing=true',
  'certManagerTls.enabled=true',
];
const sets = (xs: string[]): string[] => xs.flatMap((x) => ['--set', x]);

const keyOf = (o: Manifest): string =>
  `${o.apiVersion ?? ''} ${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** Two renders hold the same objects: the same keys, each object deep-equal. */
function assertSameObjects(chart: Manifest[], kustomize: Manifest[], what: string): void {
  const a = new Map(chart.map((o) => [keyOf(o), o]));
  const b = new Map(kustomize.map((o) => [keyOf(o), o]));
  assert.equal(a.size, chart.length, `${what}: the chart renders an object twice`);
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort(), `${what}: the same objects`);
  for (const [k, o] of a) assert.deepEqual(o, b.get(k), `${what}: ${k}`);
}

test('helm lint --strict passes with the defaults and with every toggle on', (t) => {
  const helm = requireHelm(t);
  if (!helm) return;
  for (const args of [[], sets(ALL_ON), sets(['agent.enabled=false', 'namespace.create=false'])]) {
    const r = runHelm(helm, ['lint', '--strict', CHART, ...args]);
    assert.equal(r.status, 0, `helm lint --strict ${args.join(' ')}:\n${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  }
});

test('`helm package` makes the archive a release carries, and it renders as the directory does', (t) => {
  const helm = requireHelm(t);
  if (!helm) return;
  const out = mkdtempSync(join(tmpdir(), 'certdrift-chart-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const r = runHelm(helm, ['package', CHART, '--destination', out]);
  assert.equal(r.status, 0, r.stderr);
  // the chart's version and appVersion (the image tag) follow the package's
  const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    version: string;
  };
  const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as Record<string, string>;
  assert.deepEqual([chart.version, chart.appVersion], [version, version]);
  const archive = join(out, `certdrift-${version}.tgz`);
  assert.ok(existsSync(archive), r.stdout);
  for (const args of [[], sets(ALL_ON)]) {
    const fromArchive = runHelm(helm, [
      'template',
      'certdrift',
      archive,
      '--namespace',
      'certdrift',
      '--include-crds',
      ...args,
    ]);
    const fromDir = runHelm(helm, [
      'template',
      'certdrift',
      CHART,
      '--namespace',
      'certdrift',
      '--include-crds',
      ...args,
    ]);
    assert.equal(fromArchive.status, 0, fromArchive.stderr);
    assert.equal(fromArchive.stdout, fromDir.stdout);
  }
});

test("the chart's copies of deploy/ files are byte for byte the originals", () => {
  // Helm reads only files inside the chart; these are the kustomize bases' own files.
  for (const [copy, original] of [
    ['crds/nodecertificatereports.yaml', 'deploy/base/crd.yaml'],
    ['files/certdrift-dashboard.json', 'deploy/monitoring/certdrift-dashboard.json'],
    ['files/prometheusrule.yaml', 'deploy/monitoring/prometheusrule.yaml'],
    ['files/rotator-policy.yaml', 'deploy/rotator/policy.yaml'],
  ] as const)
    assert.equal(
      readFileSync(join(CHART, copy), 'utf8'),
      readFileSync(join(REPO_ROOT, original), 'utf8'),
      `${copy} differs from ${original}: copy it again`,
    );
});

test('the defaults render exactly the objects of `kubectl kustomize deploy/base`', (t) => {
  const helm = requireHelm(t);
  if (!helm || !needKubectl(t)) return;
  const chart = helmTemplate(helm);
  assert.equal(chart.length, renderDeploy('base').length);
  assertSameObjects(chart, renderDeploy('base'), 'defaults vs deploy/base');
});

test('each toggle renders the objects of its kustomize base or component', (t) => {
  const helm = requireHelm(t);
  if (!helm || !needKubectl(t)) return;
  const cases: { set: string[]; resources: string[]; components: string[] }[] = [
    { set: ['monitoring.enabled=true'], resources: ['monitoring'], components: [] },
    {
      set: ['monitoring.enabled=true', 'monitoring.labels.release=kube-prometheus-stack'],
      resources: ['monitoring'],
      components: ['components/prometheus-release'],
    },
    { set: ['rotator.enabled=true'], resources: ['base', 'rotator'], components: [] },
    // delete-node and force act after a drain: the schema wants drain with them
    ...ACTUATORS.map((a) => {
      const withDrain = AFTER_DRAIN.includes(a) ? ['drain'] : [];
      return {
        set: [
          'rotator.enabled=true',
          ...[...withDrain, a].map((x) => `rotator.actuators.${actuatorKey(x)}=true`),
        ],
        resources: ['base', 'rotator'],
        components: [...withDrain, a].map((x) => `rotator/actuators/${x}`),
      };
    }),
    { set: ['fleet.enabled=true'], resources: ['base', 'fleet'], components: [] },
    {
      set: ['fleet.enabled=true', 'fleet.approveKubeletServing=true'],
      resources: ['base', 'fleet'],
      components: ['fleet/approver'],
    },
    {
      set: ['certManagerTls.enabled=true'],
      resources: ['base'],
      components: ['components/cert-manager-tls'],
    },
    {
      set: ALL_ON,
      resources: ['monitoring', 'rotator', 'fleet'],
      components: [
        ...ACTUATORS.map((a) => `rotator/actuators/${a}`),
        'fleet/approver',
        'components/cert-manager-tls',
      ],
    },
  ];
  for (const c of cases)
    assertSameObjects(
      helmTemplate(helm, sets(c.set)),
      renderOverlay(c.resources, c.components),
      c.set.join(','),
    );
});

test('per-alert toggles and severities, the namespace, the image and off switches', (t) => {
  const helm = requireHelm(t);
  if (!helm) return;
  const rules = (objs: Manifest[]): Map<string, string> => {
    const rule = objs.find((o) => o.kind === 'PrometheusRule') as unknown as {
      spec: { groups: { rules: { alert: string; labels: { severity: string } }[] }[] };
    };
    return new Map(
      rule.spec.groups.flatMap((g) => g.rules.map((r) => [r.alert, r.labels.severity])),
    );
  };
  const on = rules(helmTemplate(helm, sets(['monitoring.enabled=true'])));
  assert.equal(on.size, 17);
  const tuned = rules(
    helmTemplate(
      helm,
      sets([
        'monitoring.enabled=true',
        'monitoring.prometheusRule.alerts.CertdriftScanErrors.enabled=false',
        'monitoring.prometheusRule.alerts.NodeCertificateExpiringSoon.severity=critical',
      ]),
    ),
  );
  assert.equal(tuned.has('CertdriftScanErrors'), false, 'the disabled alert is gone');
  assert.equal(tuned.get('NodeCertificateExpiringSoon'), 'critical');
  assert.equal(on.get('NodeCertificateExpiringSoon'), 'warning');
  assert.equal(tuned.size, 16);
  for (const [alert, severity] of tuned)
    if (alert !== 'NodeCertificateExpiringSoon') assert.equal(severity, on.get(alert), alert);
  // every fleet alert off: its group goes, the agent's stays
  const fleetAlerts = [
    'NodeWithoutCertdriftAgent',
    'CertdriftAgentSilent',
    'SilentNodeCertificateDeadline',
    'KubeletCSRPendingTooLong',
    'KubeletCSRDenied',
  ];
  const noFleet = helmTemplate(
    helm,
    sets([
      'monitoring.enabled=true',
      ...fleetAlerts.map((a) => `monitoring.prometheusRule.alerts.${a}.enabled=false`),
    ]),
  ).find((o) => o.kind === 'PrometheusRule') as unknown as { spec: { groups: { name: string }[] } };
  assert.deepEqual(
    noFleet.spec.groups.map((g) => g.name),
    ['certdrift'],
  );

  // another namespace: every namespaced object, every subject, the certificate's name follow it
  const other = helmTemplate(helm, sets(ALL_ON), 'cert-ops');
  for (const o of other) {
    const ns = o.metadata.namespace;
    if (ns !== undefined && ns !== 'default') assert.equal(ns, 'cert-ops', keyOf(o));
    for (const s of (o.subjects ?? []) as { namespace?: string }[])
      assert.equal(s.namespace, 'cert-ops', keyOf(o));
  }
  assert.equal(other.find((o) => o.kind === 'Namespace')?.metadata.name, 'cert-ops');
  const text = JSON.stringify(other);
  assert.ok(text.includes('certdrift.cert-ops.svc'));
  assert.ok(!text.includes('"namespace":"certdrift"'));
  assert.ok(!text.includes('certdrift.certdrift.svc'));

  // the image: a tag, or a digest instead
  const images = (objs: Manifest[]): string[] =>
    [...JSON.stringify(objs).matchAll(/"image":"([^"]+)"/g)].map((m) => m[1] ?? '');
  const digest = `sha256:${'ab'.repeat(32)}`;
  assert.deepEqual(
    new Set(images(helmTemplate(helm, sets([...ALL_ON, 'image.tag=0.2.0'])))),
    new Set(['ghcr.io/certdrift/certdrift:0.2.0']),
  );
  const pinned = helmTemplate(
    helm,
    sets([...ALL_ON, `image.digest=${digest}`, 'image.pullPolicy=Always']),
  );
  assert.deepEqual(new Set(images(pinned)), new Set([`ghcr.io/certdrift/certdrift@${digest}`]));
  assert.equal((JSON.stringify(pinned).match(/"imagePullPolicy":"Always"/g) ?? []).length, 3);

  // off switches
  const bare = helmTemplate(
    helm,
    sets([
      'namespace.create=false',
      'agent.enabled=false',
      'readerRole.enabled=false',
      'metricsReaderRole.enabled=false',
    ]),
  );
  assert.deepEqual(
    bare.map((o) => o.kind),
    ['CustomResourceDefinition'],
    'only the CRD (crds/) is left',
  );

  // a policy of one's own: another ConfigMap name (a hash of it), and the Deployment follows
  const policy = 'maxNodeAge: 200d\nmargin: 7d\n';
  const custom = helmTemplate(helm, [
    '--set',
    'rotator.enabled=true',
    '--set-string',
    `rotator.policy=${policy}`,
  ]);
  const cm = custom.find((o) => o.kind === 'ConfigMap');
  assert.equal((cm?.data as Record<string, string>)['policy.yaml'], policy);
  const defaultName = helmTemplate(helm, sets(['rotator.enabled=true'])).find(
    (o) => o.kind === 'ConfigMap',
  )?.metadata.name;
  assert.match(cm?.metadata.name ?? '', /^certdrift-rotator-policy-[a-z0-9]{10}$/);
  assert.notEqual(cm?.metadata.name, defaultName);
  assert.ok(JSON.stringify(custom).includes(`"configMap":{"name":"${cm?.metadata.name}"}`));
});

test('values.schema.json refuses bad values before anything renders', (t) => {
  const helm = requireHelm(t);
  if (!helm) return;
  for (const [set, path] of [
    ['agent.port=0', /agent.*port/],
    ['agent.bogus=1', /bogus/],
    ['monitoring.prometheusRule.alerts.NodeCertificateExpiringSoon.severity=loud', /severity/],
    ['monitoring.prometheusRule.alerts.NoSuchAlert.enabled=true', /NoSuchAlert/],
    ['image.digest=sha256:1234', /digest/],
    ['rotator.forceAfter=soon', /forceAfter/],
    ['agent.extraArgs[0]=$(rm -rf /)', /extraArgs/],
    // the actuators that finish a drain, without drain
    ['rotator.actuators.deleteNode=true', /actuators\/drain.*must be true/],
    ['rotator.actuators.force=true', /actuators\/drain.*must be true/],
    // the chart's own selector label and AppArmor annotation: a duplicate key, a pod unselected
    // (helm names the key, at a path of its own: santhosh-tekuri/jsonschema's propertyNames)
    [
      'agent.podLabels.app\\.kubernetes\\.io/name=other',
      /propertyName 'app\.kubernetes\.io\/name'/,
    ],
    [
      'agent.podAnnotations.container\\.apparmor\\.security\\.beta\\.kubernetes\\.io/certdrift=runtime/default',
      /propertyName 'container\.apparmor\.security\.beta\.kubernetes\.io\/certdrift'/,
    ],
  ] as const) {
    const r = runHelm(helm, ['template', 'certdrift', CHART, '-n', 'certdrift', '--set', set]);
    assert.notEqual(r.status, 0, `${set} was accepted`);
    assert.match(r.stderr, /schema/i, set);
    assert.match(r.stderr, path, set);
  }
  // a value the templates write into YAML cannot add fields of its own (a newline, then a key)
  const injected = runHelm(helm, [
    'template',
    'certdrift',
    CHART,
    '-n',
    'certdrift',
    '--set-json',
    `agent.priorityClassName=${JSON.stringify('x\n      hostIPC: true')}`,
  ]);
  assert.notEqual(injected.status, 0, injected.stdout.slice(0, 500));
  assert.match(injected.stderr, /schema[\s\S]*priorityClassName/);
  assert.doesNotMatch(injected.stdout, /hostIPC/);
  // the chart's Namespace object would relabel a shared namespace privileged: refused
  for (const ns of ['default', 'kube-system']) {
    const r = runHelm(helm, ['template', 'certdrift', CHART, '--namespace', ns]);
    assert.notEqual(r.status, 0, `namespace ${ns} was accepted`);
    assert.match(r.stderr, /install certdrift into a namespace of its own/);
    const without = runHelm(helm, [
      'template',
      'certdrift',
      CHART,
      '--namespace',
      ns,
      '--set',
      'namespace.create=false',
    ]);
    assert.equal(without.status, 0, without.stderr);
    assert.doesNotMatch(without.stdout, /kind: Namespace/);
  }
  // and a good value of each passes
  const r = runHelm(helm, [
    'template',
    'certdrift',
    CHART,
    '-n',
    'certdrift',
    ...sets([
      'agent.port=9800',
      'rotator.forceAfter=45m',
      'agent.extraArgs[0]=--interval=10m',
      'agent.podLabels.team=sre',
      'agent.podAnnotations.example\\.com/owner=sre',
    ]),
  ]);
  assert.equal(r.status, 0, r.stderr);
});

test('the real API server accepts every object the chart renders with everything on (server-side dry run)', async (t) => {
  const helm = requireHelm(t);
  if (!helm || !needKubectl(t)) return;
  const cp = useControlPlane(t);
  if (!cp) return;
  const objs = helmTemplate(
    helm,
    sets([...ALL_ON, 'monitoring.labels.release=kube-prometheus-stack']),
  );
  // The CRDs for real: certdrift's own from the chart, the Prometheus Operator's and
  // cert-manager's from their projects' modules (scripts/helm-binary.sh), Cluster API's and
  // Karpenter's nothing here needs (RBAC only names their resources).
  await installCrds(cp, objs);
  const kit = helmKitCrds(helm);
  for (const f of readdirSync(kit).sort())
    for (const d of parseAllDocuments(readFileSync(join(kit, f), 'utf8'))) {
      const crd = d.toJS() as Manifest | null;
      if (crd) await cp.applyCrd(crd);
    }
  const ns = await cp.namespace(t, 'helm');
  const namespace = objs.find((o) => o.kind === 'Namespace');
  assert.ok(namespace);
  const sent = new Set<string>();
  for (const o of [namespace, ...relocate(objs, ns).objects]) {
    const r = await cp.admin.request(
      'PATCH',
      `${objectPath(o)}?fieldManager=certdrift-test&force=true&dryRun=All&fieldValidation=Strict`,
      o,
      'application/apply-patch+yaml',
    );
    assert.ok(r.status === 200 || r.status === 201, `${keyOf(o)}: ${r.status} ${r.text}`);
    sent.add(o.kind);
  }
  assert.deepEqual(
    [...sent].sort(),
    [
      'Certificate',
      'ClusterRole',
      'ClusterRoleBinding',
      'ConfigMap',
      'DaemonSet',
      'Deployment',
      'Issuer',
      'Namespace',
      'PrometheusRule',
      'ResourceQuota',
      'Role',
      'RoleBinding',
      'Service',
      'ServiceAccount',
      'ServiceMonitor',
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
    ],
    'every kind the chart renders was validated by the API server',
  );
  // the validation is real: a field no schema knows is refused
  const sm = relocate(objs, ns).objects.find((o) => o.kind === 'ServiceMonitor');
  assert.ok(sm);
  const bad = await cp.admin.request(
    'PATCH',
    `${objectPath(sm)}?fieldManager=certdrift-test&force=true&dryRun=All&fieldValidation=Strict`,
    { ...sm, spec: { ...(sm.spec as object), scrapeEverything: true } },
    'application/apply-patch+yaml',
  );
  // (a server-side apply names it in a 500: the typed patch cannot be built)
  assert.ok(bad.status >= 400, `${bad.status} ${bad.text}`);
  assert.match(bad.text, /\.spec\.scrapeEverything: field not declared in schema/);
});

test('a real helm release on the real control plane: install into a namespace made first, upgrade with the rotator, uninstall', async (t) => {
  const helm = requireHelm(t);
  if (!helm) return;
  const cp = useControlPlane(t);
  if (!cp) return;
  const kubeconfig = cp.info.adminKubeconfig;
  // The CRD exists already when another test installed it; helm then leaves it alone.
  await installCrds(
    cp,
    helmTemplate(helm).filter((o) => o.kind === 'CustomResourceDefinition'),
  );
  // As README "Install" says: the namespace first (Pod Security labels), the chart without its own
  const ns = await cp.namespace(t, 'helm-release');
  await cp.admin.ok(
    'PATCH',
    `/api/v1/namespaces/${ns}`,
    { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } } },
    'application/merge-patch+json',
  );
  // Every pod of the release on one KWOK node of this test's, none on other tests' nodes.
  const node = unique('helm');
  await cp.node(node, { labels: { [RUN_LABEL]: node } });
  await cp.nodeReady(node);
  const pin = (what: string): string[] => [
    '--set-json',
    `${what}.nodeSelector=${JSON.stringify({ 'kubernetes.io/os': 'linux', [RUN_LABEL]: node })}`,
  ];
  t.after(() => {
    runHelm(helm, ['uninstall', 'certdrift', '--namespace', ns, '--ignore-not-found'], kubeconfig);
  });

  // the chart's own Namespace object into a namespace that exists: helm refuses to adopt it
  const clash = runHelm(
    helm,
    ['install', 'certdrift', CHART, '--namespace', ns, ...pin('agent')],
    kubeconfig,
  );
  assert.notEqual(clash.status, 0, clash.stdout);
  assert.match(clash.stderr, /Namespace "[^"]+".*exists and cannot be imported/);

  const install = runHelm(
    helm,
    [
      'install',
      'certdrift',
      CHART,
      '--namespace',
      ns,
      '--set',
      'namespace.create=false',
      ...pin('agent'),
      '--wait',
      '--timeout',
      '120s',
    ],
    kubeconfig,
  );
  assert.equal(install.status, 0, `${install.stdout}${install.stderr}`);
  assert.match(install.stdout, /STATUS: deployed/);
  assert.match(install.stdout, /kubectl get nodecertificatereports/, 'NOTES.txt is shown');
  // the DaemonSet's one pod is on this test's node, and ready (KWOK plays its kubelet)
  const ds = await cp.admin.get(`/apis/apps/v1/namespaces/${ns}/daemonsets/certdrift`);
  const dsStatus = ds.status as { desiredNumberScheduled: number; numberReady: number };
  assert.deepEqual([dsStatus.desiredNumberScheduled, dsStatus.numberReady], [1, 1]);
  const role = await cp.admin.get(
    '/apis/rbac.authorization.k8s.io/v1/clusterroles/certdrift-agent',
  );
  const annotations = (role.metadata as { annotations?: Record<string, string> }).annotations ?? {};
  assert.equal(annotations['meta.helm.sh/release-namespace'], ns);
  const binding = await cp.admin.get(
    '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/certdrift-agent',
  );
  assert.deepEqual(binding.subjects, [
    { kind: 'ServiceAccount', name: 'certdrift', namespace: ns },
  ]);

  const upgrade = runHelm(
    helm,
    [
      'upgrade',
      'certdrift',
      CHART,
      '--namespace',
      ns,
      '--reuse-values',
      '--set',
      'rotator.enabled=true',
      '--set',
      'rotator.actuators.drain=true',
      ...pin('rotator'),
    ],
    kubeconfig,
  );
  assert.equal(upgrade.status, 0, `${upgrade.stdout}${upgrade.stderr}`);
  const rotator = await cp.admin.get(
    `/apis/apps/v1/namespaces/${ns}/deployments/certdrift-rotator`,
  );
  const pod = (
    rotator.spec as { template: { spec: { volumes: { configMap?: { name: string } }[] } } }
  ).template.spec;
  const policyName = pod.volumes[0]?.configMap?.name ?? '';
  assert.match(policyName, /^certdrift-rotator-policy-/);
  const cm = await cp.admin.request('GET', `/api/v1/namespaces/${ns}/configmaps/${policyName}`);
  assert.equal(cm.status, 200, 'the policy ConfigMap the Deployment mounts exists');
  const drain = await cp.admin.request(
    'GET',
    '/apis/rbac.authorization.k8s.io/v1/clusterroles/certdrift-rotator-drain',
  );
  assert.equal(drain.status, 200);

  const uninstall = runHelm(
    helm,
    ['uninstall', 'certdrift', '--namespace', ns, '--wait'],
    kubeconfig,
  );
  assert.equal(uninstall.status, 0, `${uninstall.stdout}${uninstall.stderr}`);
  for (const path of [
    '/apis/rbac.authorization.k8s.io/v1/clusterroles/certdrift-agent',
    '/apis/rbac.authorization.k8s.io/v1/clusterroles/certdrift-rotator-drain',
    '/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles/certdrift-agent-events',
  ])
    assert.equal((await cp.admin.request('GET', path)).status, 404, `${path} is gone`);
  // the CRD stays (Helm never deletes crds/), and with it every node's report
  const crd = await cp.admin.request(
    'GET',
    '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/nodecertificatereports.certdrift.io',
  );
  assert.equal(crd.status, 200);
});
