// `kubectl get … -o yaml | certdrift audit -` reads what kubectl prints (a `kind: List`, lists in
// lists, every workload kind), and `audit --host-root` picks the node's static-pod directory by
// distribution.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { BIN, runCli } from '../support/scan.js';
import { HostTree } from '../support/tree.js';

const spec = (indent: number, vol: string): string =>
  `containers:
- name: app
  image: app:1
  volumeMounts:
  - name: c
    mountPath: /etc/app/${vol}.crt
volumes:
- name: c
  hostPath:
    path: /srv/kubernetes/${vol}.crt
`.replace(/^(?=.)/gm, ' '.repeat(indent));

const KUBECTL_LIST = `apiVersion: v1
kind: List
metadata:
  resourceVersion: ""
items:
- apiVersion: apps/v1
  kind: DaemonSet
  metadata:
    name: ds
    namespace: kube-system
  spec:
    template:
      spec:
${spec(8, 'ds')}- apiVersion: v1
  kind: List
  items:
  - apiVersion: v1
    kind: ReplicationController
    metadata:
      name: rc
    spec:
      template:
        spec:
${spec(10, 'rc')}  - apiVersion: v1
    kind: PodTemplate
    metadata:
      name: pt
    template:
      spec:
${spec(8, 'pt')}- apiVersion: v1
  kind: Service
  metadata:
    name: svc
`;

test('a kubectl List (with a nested List) is audited item by item', () => {
  const r = spawnSync(process.execPath, [BIN, 'audit', '-', '-o', 'json'], {
    input: KUBECTL_LIST,
    encoding: 'utf8',
  });
  assert.equal(r.status, 2, r.stderr);
  const doc = JSON.parse(r.stdout) as {
    files: {
      workloads: number;
      skippedKinds: string[];
      findings: { code: string; title: string; location: { line: number } }[];
    }[];
  };
  const f = doc.files[0];
  assert.ok(f);
  assert.equal(f.workloads, 3);
  assert.deepEqual(f.skippedKinds, ['Service']);
  assert.deepEqual(
    f.findings.map((x) => x.title.split(' ').slice(0, 2).join(' ')),
    ['DaemonSet kube-system/ds', 'ReplicationController default/rc', 'PodTemplate default/pt'],
  );
  assert.equal(
    f.findings[1]?.location.line,
    KUBECTL_LIST.split('\n').findIndex((l) => /^ +path: \/srv\/kubernetes\/rc\.crt$/.test(l)) + 1,
  );
});

const KUBE_PROXY = `kind: Pod
metadata:
  name: kube-proxy
spec:
  containers:
  - name: kube-proxy
    volumeMounts:
    - name: kc
      mountPath: /var/lib/rancher/DIST/agent/kubeproxy.kubeconfig
  volumes:
  - name: kc
    hostPath:
      path: /var/lib/rancher/DIST/agent/kubeproxy.kubeconfig
`;

for (const dist of ['k3s', 'rke2'])
  test(`${dist}: audit --host-root reads agent/pod-manifests, not kubeadm's directory`, () => {
    const tree = new HostTree(`certdrift-audit-${dist}-`);
    tree.write(
      `/var/lib/rancher/${dist}/agent/pod-manifests/kube-proxy.yaml`,
      KUBE_PROXY.replaceAll('DIST', dist),
    );
    const r = runCli(['audit', '--host-root', tree.root]);
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`agent/pod-manifests/kube-proxy\\.yaml:13:13: critical FILE_HOSTPATH_MOUNT`),
    );
  });
