// The pure decisions of renew, table-driven: who must restart (consumers.ts), the proof's served
// check, the k3s/RKE2 steps, and the kubeconfig edit that changes nothing but the credential.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FileComparison, FileView, Workload } from '../model/index.js';
import { cert, inventory } from '../../test/support/inventory.js';
import { staleConsumers } from './consumers.js';
import { proveRenewal } from './prove.js';
import { rancherSteps } from './plan-rancher.js';
import { readKubeconfigCredential, replaceCredential } from './kubeconfig-credential.js';

const T = (s: number): Date => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
const view = (sha: string, ctime: Date): FileView => ({
  dev: 1,
  ino: 1,
  size: 1,
  mtime: ctime,
  ctime,
  sha256: sha,
  certificates: [],
});
const file = (hostPath: string, host: FileView, container: FileView | null): FileComparison => ({
  hostPath,
  containerPath: hostPath,
  host,
  container,
});
function container(name: string, started: Date, files: FileComparison[], once = false): Workload {
  return {
    kind: 'container',
    id: `${name}-id`,
    name,
    pod: { namespace: 'kube-system', name: `${name}-cp`, uid: 'u' },
    attempt: 0,
    state: 'running',
    startedAt: started,
    loadsCertsOnce: once,
    mounts: [
      {
        containerPath: '/x',
        hostPath: '/x',
        kind: 'dir',
        deleted: false,
        files,
        hiddenHostMounts: [],
      },
    ],
    certFiles: [],
  };
}
const P = '/etc/kubernetes/pki/apiserver-etcd-client.crt';
const S = '/etc/kubernetes/pki/apiserver.crt';

test('who restarts: stale views always; load-once users started before the change; dynamic reloaders never', () => {
  const flag = (path: string, f: string): ReturnType<typeof cert> =>
    cert({
      path,
      usedBy: [
        {
          by: 'kube-apiserver',
          via: 'flag',
          detail: `/etc/kubernetes/manifests/kube-apiserver.yaml ${f}`,
        },
      ],
    });
  const rows: { name: string; certs: ReturnType<typeof cert>[]; w: Workload; want: string[] }[] = [
    {
      name: 'single-file mount pinning the old inode',
      certs: [],
      w: container('kube-scheduler', T(50), [file(P, view('new', T(10)), view('old', T(0)))]),
      want: ['STALE_VIEW'],
    },
    {
      name: '--etcd-certfile is held until restart',
      certs: [flag(P, '--etcd-certfile')],
      w: container('kube-apiserver', T(5), [file(P, view('new', T(10)), view('new', T(10)))]),
      want: ['NOT_RELOADED'],
    },
    {
      name: '--tls-cert-file is reloaded by kube-apiserver',
      certs: [flag(S, '--tls-cert-file')],
      w: container('kube-apiserver', T(5), [file(S, view('new', T(10)), view('new', T(10)))]),
      want: [],
    },
    {
      name: 'started after the change',
      certs: [flag(P, '--etcd-certfile')],
      w: container('kube-apiserver', T(20), [file(P, view('new', T(10)), view('new', T(10)))]),
      want: [],
    },
    {
      name: '--loads-once names it',
      certs: [],
      w: container(
        'kube-controller-manager',
        T(5),
        [file(P, view('new', T(10)), view('new', T(10)))],
        true,
      ),
      want: ['NOT_RELOADED'],
    },
    {
      name: 'a file renew does not own',
      certs: [],
      w: container(
        'kube-proxy',
        T(5),
        [file('/var/lib/kube-proxy/kubeconfig', view('new', T(10)), view('old', T(0)))],
        true,
      ),
      want: [],
    },
  ];
  for (const r of rows) {
    const inv = { ...inventory(r.certs), workloads: [r.w] };
    const got = staleConsumers(inv, new Set([P, S])).map((c) => c.reason.split(':')[0]);
    assert.deepEqual(got, r.want, r.name);
  }
});

test('the proof: an endpoint serving another certificate than its renewed file, or none, fails it', () => {
  const summary = (
    fp: string,
  ): NonNullable<Parameters<typeof proveRenewal>[0]['served']>[number]['file'] => ({
    subject: 'CN=kube-apiserver',
    serial: fp,
    notBefore: T(0),
    notAfter: T(100),
    fingerprintSha256: fp,
    isCA: false,
  });
  const inv = {
    ...inventory([]),
    served: [
      {
        component: 'kube-apiserver',
        endpoint: '127.0.0.1:6443',
        source: 'pid:1',
        certFile: S,
        served: summary('A'),
        file: summary('A'),
      },
      {
        component: 'etcd',
        endpoint: '127.0.0.1:2379',
        source: 'pid:2',
        certFile: '/etc/kubernetes/pki/etcd/server.crt',
        served: summary('B'),
        file: summary('C'),
      },
    ],
  };
  const p = proveRenewal(inv, new Set([S, '/etc/kubernetes/pki/etcd/server.crt']));
  assert.equal(p.ok, false);
  assert.deepEqual(p.servedOk, ['kube-apiserver 127.0.0.1:6443']);
  assert.match(p.served[0]?.problem ?? '', /serves serial B .* the file holds serial C/);
});

test('k3s/RKE2: the documented steps for what was found, nothing guessed', () => {
  assert.deepEqual(
    rancherSteps({
      distribution: 'rke2',
      server: true,
      agent: true,
      units: ['rke2-server'],
      binary: '/usr/local/bin/rke2',
    })[0]?.commands,
    [
      'systemctl stop rke2-server',
      '/usr/local/bin/rke2 certificate rotate',
      'systemctl start rke2-server',
    ],
  );
  const noUnit = rancherSteps({
    distribution: 'k3s',
    server: true,
    agent: true,
    units: [],
    binary: '/usr/local/bin/k3s',
  })[0];
  assert.deepEqual(noUnit?.commands, []);
  assert.ok(noUnit.notes.some((n) => n.includes('no k3s.service unit found')));
  assert.deepEqual(
    rancherSteps({ distribution: 'k3s', server: false, agent: true, units: ['k3s-agent'] })[0]
      ?.commands,
    ['systemctl restart k3s-agent'],
  );
});

test('kubeconfig edit: only the credential of the current context changes', () => {
  const text = [
    'apiVersion: v1',
    'clusters:',
    '- cluster:',
    '    certificate-authority-data: Q0E=',
    '    server: https://10.0.0.10:6443',
    '  name: kubernetes',
    'contexts:',
    '- context:',
    '    cluster: kubernetes',
    '    user: other',
    '  name: other@kubernetes',
    '- context:',
    '    cluster: kubernetes',
    '    user: system:kube-scheduler',
    '  name: s@kubernetes',
    'current-context: s@kubernetes',
    'kind: Config',
    'users:',
    '- name: other',
    '  user:',
    '    client-certificate-data: T1RIRVI=',
    '- name: system:kube-scheduler',
    '  user:',
    '    client-certificate-data: T0xE',
    '    client-key-data: S0VZ',
    '',
  ].join('\n');
  const cred = readKubeconfigCredential(text);
  assert.ok(cred.ok);
  assert.equal(cred.value.user, 'system:kube-scheduler');
  const out = replaceCredential(text, cred.value, 'TkVX');
  assert.ok(out.ok);
  assert.equal(
    out.value,
    text.replace('client-certificate-data: T0xE', 'client-certificate-data: TkVX'),
  );
  // A value that occurs twice cannot be replaced safely.
  const twice = text.replace('T1RIRVI=', 'T0xE');
  const c2 = readKubeconfigCredential(twice);
  assert.ok(c2.ok);
  assert.equal(replaceCredential(twice, c2.value, 'TkVX').ok, false);
});
