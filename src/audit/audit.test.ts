import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { auditManifest } from './index.js';

const fixture = (dir: string): { file: string; text: string }[] => {
  const base = new URL(`../../test/fixtures/manifests/${dir}/`, import.meta.url);
  return readdirSync(base).map((f) => ({
    file: `${dir}/${f}`,
    text: readFileSync(new URL(f, base), 'utf8'),
  }));
};
const problems = (dir: string): string[] =>
  fixture(dir)
    .flatMap(({ file, text }) => auditManifest(file, text).findings)
    .filter((f) => f.severity !== 'info')
    .map((f) => `${f.code} ${f.location.file}:${f.location.line}:${f.location.column}`);

test('kops ≤ 1.35 kube-proxy: the single-file kubeconfig mount is critical, at its line', () => {
  assert.deepEqual(problems('kops-1.35'), [
    'FILE_HOSTPATH_MOUNT kops-1.35/kube-proxy.manifest:55:13',
  ]);
  const f = auditManifest('k', fixture('kops-1.35')[0]?.text ?? '').findings.find(
    (x) => x.code === 'FILE_HOSTPATH_MOUNT',
  );
  assert.ok(f?.fix);
  assert.equal(f.severity, 'critical');
  assert.match(f.cause ?? '', /mountPropagation does not change this/);
});

test('kops 1.36 (directory mount) and a kubeadm control plane: no problem reported', () => {
  assert.deepEqual(problems('kops-1.36'), []);
  assert.deepEqual(problems('kubeadm'), []);
  // kubeadm is entirely silent, informational notes included.
  assert.deepEqual(
    fixture('kubeadm').flatMap(({ file, text }) => auditManifest(file, text).findings),
    [],
  );
});

const POD = (mounts: string, volumes: string, kind = 'Pod'): string => {
  const spec = `containers:\n- name: app\n  image: app:1\n  volumeMounts:\n${mounts}\nvolumes:\n${volumes}\n`;
  const indent = (s: string, n: number): string => s.replace(/^(?=.)/gm, ' '.repeat(n));
  if (kind === 'Pod')
    return `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n${indent(spec, 2)}`;
  if (kind === 'CronJob')
    return `kind: CronJob\nmetadata:\n  name: c\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n${indent(spec, 10)}`;
  return `kind: ${kind}\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n${indent(spec, 6)}`;
};
const codes = (text: string): string[] =>
  auditManifest('f.yaml', text).findings.map((f) => `${f.code}:${f.severity}`);

const cases: [string, string, string[]][] = [
  [
    'subPath of a Secret with a certificate',
    POD(
      '  - name: tls\n    mountPath: /etc/tls/tls.crt\n    subPath: tls.crt',
      '- name: tls\n  secret:\n    secretName: web-tls',
    ),
    ['SUBPATH_PROJECTED_MOUNT:warning'],
  ],
  [
    'subPath of an unrelated ConfigMap',
    POD(
      '  - name: cfg\n    mountPath: /etc/app/app.ini\n    subPath: app.ini',
      '- name: cfg\n  configMap:\n    name: app',
    ),
    [],
  ],
  [
    '/var/lib/kubelet without propagation',
    POD(
      '  - name: kubelet\n    mountPath: /var/lib/kubelet',
      '- name: kubelet\n  hostPath:\n    path: /var/lib/kubelet',
    ),
    ['PROPAGATION_NONE:warning'],
  ],
  [
    '/var/lib/kubelet with HostToContainer',
    POD(
      '  - name: kubelet\n    mountPath: /var/lib/kubelet\n    mountPropagation: HostToContainer',
      '- name: kubelet\n  hostPath:\n    path: /var/lib/kubelet',
    ),
    [],
  ],
  [
    'a certificate of unknown rotation as a file',
    POD(
      '  - name: c\n    mountPath: /etc/app/client.pem',
      '- name: c\n  hostPath:\n    path: /opt/pki/client.pem\n    type: File',
    ),
    ['FILE_HOSTPATH_MOUNT:warning'],
  ],
  [
    'the popular #16400 advice: propagation on a file mount',
    POD(
      '  - name: kc\n    mountPath: /var/lib/kube-proxy/kubeconfig\n    mountPropagation: HostToContainer',
      '- name: kc\n  hostPath:\n    path: /var/lib/kube-proxy/kubeconfig',
    ),
    ['FILE_HOSTPATH_MOUNT:critical', 'PROPAGATION_CANNOT_HELP:info'],
  ],
  [
    'DaemonSet templates are audited',
    POD(
      '  - name: c\n    mountPath: /etc/x.crt',
      '- name: c\n  hostPath:\n    path: /srv/kubernetes/x.crt',
      'DaemonSet',
    ),
    ['FILE_HOSTPATH_MOUNT:critical'],
  ],
  [
    'CronJob templates are audited',
    POD(
      '  - name: c\n    mountPath: /etc/x.crt',
      '- name: c\n  hostPath:\n    path: /srv/kubernetes/x.crt',
      'CronJob',
    ),
    ['FILE_HOSTPATH_MOUNT:critical'],
  ],
];
for (const [name, text, want] of cases)
  test(name, () => assert.deepEqual(codes(text).sort(), want.sort()));

test('bad input: malformed YAML and unknown kinds are reported, other documents still audited', () => {
  const text = `kind: Service\nmetadata: {name: s}\n---\n${POD('  - name: c\n    mountPath: /etc/x.crt', '- name: c\n  hostPath:\n    path: /srv/kubernetes/x.crt')}---\nkind: Pod\nspec: [oops\n`;
  const a = auditManifest('multi.yaml', text);
  assert.deepEqual(a.skippedKinds, ['Service']);
  assert.equal(a.workloads, 1);
  assert.equal(a.findings.length, 1);
  assert.match(a.problems[0]?.message ?? '', /document 2: not valid YAML/);
});
