// Serving endpoints from real command lines (kubeadm static pods, a kubelet service, etcd).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { discoverServingEndpoints, flagValue } from './served-endpoints.js';

test('kubeadm control plane and a kubelet with defaults', () => {
  const got = discoverServingEndpoints([
    { source: 'pid:10', argv: ['/usr/bin/kubelet', '--config=/var/lib/kubelet/config.yaml'] },
    {
      source: 'm/kube-apiserver.yaml',
      argv: [
        'kube-apiserver',
        '--secure-port=6443',
        '--tls-cert-file=/etc/kubernetes/pki/apiserver.crt',
      ],
    },
    {
      source: 'm/etcd.yaml',
      argv: [
        'etcd',
        '--listen-client-urls=https://127.0.0.1:2379,https://10.0.0.5:2379',
        '--listen-peer-urls=https://10.0.0.5:2380',
        '--cert-file=/etc/kubernetes/pki/etcd/server.crt',
        '--peer-cert-file',
        '/etc/kubernetes/pki/etcd/peer.crt',
        '--listen-metrics-urls=http://127.0.0.1:2381',
      ],
    },
    { source: 'm/kube-scheduler.yaml', argv: ['kube-scheduler', '--bind-address=127.0.0.1'] },
    { source: 'm/kcm.yaml', argv: ['kube-controller-manager', '--secure-port', '10357'] },
    { source: 'pid:11', argv: ['kube-proxy', '--kubeconfig=/var/lib/kube-proxy/kubeconfig'] },
  ]);
  assert.deepEqual(
    got.map((e) => [e.component, `${e.host}:${e.port}`, e.certFile ?? null]),
    [
      ['kubelet', '127.0.0.1:10250', '/var/lib/kubelet/pki/kubelet.crt'],
      ['kube-apiserver', '127.0.0.1:6443', '/etc/kubernetes/pki/apiserver.crt'],
      ['etcd', '127.0.0.1:2379', '/etc/kubernetes/pki/etcd/server.crt'],
      ['etcd', '10.0.0.5:2379', '/etc/kubernetes/pki/etcd/server.crt'],
      ['etcd-peer', '10.0.0.5:2380', '/etc/kubernetes/pki/etcd/peer.crt'],
      ['kube-scheduler', '127.0.0.1:10259', null],
      ['kube-controller-manager', '127.0.0.1:10357', null],
    ],
  );
});

test('kubelet: KubeletConfiguration and flags pick the serving certificate', () => {
  const k = (argv: string[], cfg = {}): string | undefined =>
    discoverServingEndpoints([{ source: 'x', argv: ['kubelet', ...argv] }], cfg)[0]?.certFile;
  assert.equal(
    k([], { serverTLSBootstrap: true }),
    '/var/lib/kubelet/pki/kubelet-server-current.pem',
  );
  assert.equal(
    k([], { tlsCertFile: '/srv/kubernetes/kubelet-server.crt' }),
    '/srv/kubernetes/kubelet-server.crt',
  );
  assert.equal(k(['--tls-cert-file=/a.crt'], { tlsCertFile: '/b.crt' }), '/a.crt');
  assert.equal(
    discoverServingEndpoints([{ source: 'x', argv: ['kubelet'] }], { port: 11250 })[0]?.port,
    11250,
  );
});

test('a running process wins over its manifest for the same endpoint; plain-HTTP etcd has none', () => {
  const got = discoverServingEndpoints([
    { source: 'pid:1', argv: ['kube-apiserver', '--tls-cert-file=/run.crt'] },
    { source: 'manifest', argv: ['kube-apiserver', '--tls-cert-file=/declared.crt'] },
    { source: 'pid:2', argv: ['etcd'] },
  ]);
  assert.deepEqual(
    got.map((e) => [e.source, e.certFile]),
    [['pid:1', '/run.crt']],
  );
  assert.equal(flagValue(['x', '--a=1', '--a', '2'], '--a'), '2');
});
