// Table tests for usage/: flags, kubelet's config, superseded names, and how uses combine.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cert, inventory } from '../../../test/support/inventory.js';
import type { Workload } from '../../model/index.js';
import {
  applyUsage,
  fileFlags,
  readKubeletConfigPaths,
  readKubeletRotation,
  splitWords,
  supersededByName,
} from './index.js';

test('fileFlags reads --flag=value and --flag value, and ignores other flags', () => {
  assert.deepEqual(
    fileFlags([
      '--tls-cert-file=/etc/kubernetes/pki/apiserver.crt',
      '--kubeconfig',
      '/var/lib/kube-proxy/kubeconfig',
      '--v=2',
      '--client-ca-file=',
      '--etcd-certfile',
      '--next-flag',
      '--cert-file=/etc/kubernetes/pki/etcd/server.crt',
    ]),
    [
      { flag: '--tls-cert-file', path: '/etc/kubernetes/pki/apiserver.crt' },
      { flag: '--kubeconfig', path: '/var/lib/kube-proxy/kubeconfig' },
      { flag: '--cert-file', path: '/etc/kubernetes/pki/etcd/server.crt' },
    ],
  );
});

test('splitWords splits a kops-style sh -c command line, honouring quotes', () => {
  assert.deepEqual(
    splitWords(`kube-proxy --kubeconfig=/var/lib/kube-proxy/kubeconfig  --v='2 3' ""`),
    ['kube-proxy', '--kubeconfig=/var/lib/kube-proxy/kubeconfig', '--v=2 3', ''],
  );
});

test('kubelet config paths from YAML and JSON, comments and quotes stripped', () => {
  assert.deepEqual(
    readKubeletConfigPaths(
      [
        'apiVersion: kubelet.config.k8s.io/v1beta1',
        'authentication:',
        '  x509:',
        '    clientCAFile: /etc/kubernetes/pki/ca.crt # the cluster CA',
        "tlsCertFile: '/var/lib/kubelet/pki/serving.crt'",
        'staticPodPath: /etc/kubernetes/manifests',
      ].join('\n'),
    ),
    {
      clientCAFile: '/etc/kubernetes/pki/ca.crt',
      tlsCertFile: '/var/lib/kubelet/pki/serving.crt',
      staticPodPath: '/etc/kubernetes/manifests',
    },
  );
  assert.deepEqual(
    readKubeletConfigPaths(
      '{\n  "authentication": {"x509": {}},\n  "tlsCertFile": "/etc/kubernetes/pki/kubelet.crt",\n  "clientCAFile": null\n}',
    ),
    { tlsCertFile: '/etc/kubernetes/pki/kubelet.crt' },
  );
  // one-line JSON (EKS AL2): read as JSON, clientCAFile from authentication.x509
  assert.deepEqual(
    readKubeletConfigPaths(
      '{"authentication":{"x509":{"clientCAFile":"/etc/eks/ca.crt"}},"tlsCertFile":"/b.crt"}',
    ),
    { clientCAFile: '/etc/eks/ca.crt', tlsCertFile: '/b.crt' },
  );
  assert.deepEqual(readKubeletConfigPaths('{"authentication":null,"port":"x"'), {});
  assert.deepEqual(readKubeletConfigPaths('\u0000\u00ff garbage: [\n'), {});
});

test('kubelet rotation settings from YAML and JSON: set, unset, quoted, commented', () => {
  const cases: [string, ReturnType<typeof readKubeletRotation>][] = [
    [
      'kind: KubeletConfiguration\nserverTLSBootstrap: true\nrotateCertificates: false # no\nport: 10250\n',
      { serverTLSBootstrap: true, rotateCertificates: false, port: 10250 },
    ],
    [
      '{\n  "kind": "KubeletConfiguration",\n  "serverTLSBootstrap": true,\n  "rotateCertificates": true\n}',
      { serverTLSBootstrap: true, rotateCertificates: true },
    ],
    ['kind: KubeletConfiguration\n', { serverTLSBootstrap: false }],
    // EKS AL2 writes its JSON on one line: no key per line
    [
      '{"kind":"KubeletConfiguration","serverTLSBootstrap":true,"rotateCertificates":false,"port":10250}\n',
      { serverTLSBootstrap: true, rotateCertificates: false, port: 10250 },
    ],
    ['rotateCertificates: "yes"\nport: 99999\n', { serverTLSBootstrap: false }],
  ];
  for (const [text, want] of cases) assert.deepEqual(readKubeletRotation(text), want, text);
});

test('superseded names: rotated kubelet files, backups, k3s tls copies — and not live files', () => {
  const yes: [string, string[]][] = [
    ['/var/lib/kubelet/pki/kubelet-client-2025-01-01-00-00-00.pem', []],
    ['/var/lib/kubelet/pki/kubelet-server-2024-05-06-07-08-09.pem', []],
    ['/etc/kubernetes/pki/apiserver.crt.bak', []],
    ['/etc/kubernetes/pki/apiserver.crt.old', []],
    ['/etc/kubernetes/pki/apiserver.crt.bak-20250101', []],
    ['/etc/kubernetes/pki/apiserver.crt~', []],
    ['/etc/kubernetes/pki.bak-2025-05-01/apiserver.crt', []],
    ['/etc/kubernetes/pki.bak/etcd/server.crt', []],
    ['/etc/kubernetes/backup/admin.conf', []],
    ['/var/lib/rancher/k3s/server/tls-1700000000/client-admin.crt', []],
  ];
  for (const [p, links] of yes) assert.ok(supersededByName(p, links), p);
  const no: [string, string[]][] = [
    // the file kubelet-client-current.pem names is in use
    [
      '/var/lib/kubelet/pki/kubelet-client-2026-09-21-10-00-00.pem',
      ['/var/lib/kubelet/pki/kubelet-client-current.pem'],
    ],
    ['/etc/kubernetes/pki/apiserver.crt', []],
    ['/var/lib/rancher/k3s/server/tls/client-admin.crt', []],
    ['/srv/kubernetes/kube-proxy/kubeconfig', []],
    ['/etc/kubernetes/pki/oldschool.crt', []],
  ];
  for (const [p, links] of no) assert.equal(supersededByName(p, links), undefined, p);
});

const running = (over: Partial<Workload>): Workload => ({
  kind: 'container',
  id: 'c1',
  name: 'kube-proxy',
  pod: { namespace: 'kube-system', name: 'kube-proxy-n1', uid: 'u' },
  state: 'running',
  loadsCertsOnce: true,
  mounts: [],
  certFiles: [],
  ...over,
});

test('applyUsage: flags, mounts, current links and kubeconfig references combine; unused history is superseded', () => {
  const rotatedOld = '/var/lib/kubelet/pki/kubelet-client-2025-01-01-00-00-00.pem';
  const rotatedNow = '/var/lib/kubelet/pki/kubelet-client-2026-09-21-10-00-00.pem';
  const inv = inventory([
    cert({ path: '/etc/kubernetes/pki/apiserver.crt' }),
    cert({ path: '/etc/kubernetes/pki.bak/apiserver.crt' }),
    cert({ path: rotatedOld }),
    cert({
      path: rotatedNow,
      location: {
        path: rotatedNow,
        links: ['/var/lib/kubelet/pki/kubelet-client-current.pem'],
        index: 0,
        referencedBy: [
          {
            path: '/etc/kubernetes/kubelet.conf',
            entry: 'user',
            name: 'node',
            field: 'client-certificate',
          },
        ],
      },
    }),
    cert({ path: '/var/lib/kube-proxy/kubeconfig' }),
    // a backup whose name says so but that a container mounts is in use, not history
    cert({ path: '/opt/pki/server.crt.bak' }),
  ]);
  inv.workloads = [
    running({
      mounts: [
        {
          containerPath: '/var/lib/kube-proxy/kubeconfig',
          hostPath: '/var/lib/kube-proxy/kubeconfig',
          kind: 'file',
          deleted: false,
          hiddenHostMounts: [],
          files: [
            {
              hostPath: '/var/lib/kube-proxy/kubeconfig',
              containerPath: '/var/lib/kube-proxy/kubeconfig',
              host: null,
              container: null,
            },
            {
              hostPath: '/opt/pki/server.crt.bak',
              containerPath: '/pki/server.crt',
              host: null,
              container: null,
            },
          ],
        },
      ],
    }),
    // an EXITED container uses nothing
    running({
      id: 'c0',
      state: 'exited',
      mounts: [
        {
          containerPath: '/x',
          hostPath: '/etc/kubernetes/pki.bak',
          kind: 'dir',
          deleted: false,
          hiddenHostMounts: [],
          files: [
            {
              hostPath: '/etc/kubernetes/pki.bak/apiserver.crt',
              containerPath: '/x/apiserver.crt',
              host: null,
              container: null,
            },
          ],
        },
      ],
    }),
  ];
  const out = applyUsage(inv, {
    named: [
      {
        path: '/etc/kubernetes/pki/apiserver.crt',
        use: {
          by: 'kube-apiserver',
          via: 'flag',
          detail: '/etc/kubernetes/manifests/kube-apiserver.yaml --tls-cert-file',
        },
      },
      {
        path: '/etc/kubernetes/kubelet.conf',
        use: { by: 'kubelet', via: 'flag', detail: 'pid 42 --kubeconfig' },
      },
    ],
  });
  const by = (p: string): { users: string[]; superseded: string | undefined } => {
    const c = out.certificates.find((x) => x.location.path === p);
    assert.ok(c, p);
    return {
      users: [...new Set(c.usedBy.map((u) => `${u.by}:${u.via}`))].sort(),
      superseded: c.superseded,
    };
  };
  assert.deepEqual(by('/etc/kubernetes/pki/apiserver.crt'), {
    users: ['kube-apiserver:flag'],
    superseded: undefined,
  });
  assert.deepEqual(by(rotatedNow).users, ['kubelet:current-link', 'kubelet:kubeconfig']);
  assert.equal(by(rotatedNow).superseded, undefined);
  assert.deepEqual(by(rotatedOld).users, []);
  assert.match(by(rotatedOld).superseded ?? '', /rotated kubelet certificate/);
  assert.match(by('/etc/kubernetes/pki.bak/apiserver.crt').superseded ?? '', /backup directory/);
  assert.deepEqual(by('/var/lib/kube-proxy/kubeconfig').users, [
    'kube-system/kube-proxy-n1/kube-proxy:mount',
  ]);
  assert.deepEqual(by('/opt/pki/server.crt.bak'), {
    users: ['kube-system/kube-proxy-n1/kube-proxy:mount'],
    superseded: undefined,
  });
});

test('a kubeconfig nothing is seen using still vouches for the files it names; a backup kubeconfig does not', () => {
  const named = (kc: string) =>
    cert({
      path: '/pki/client.crt',
      location: {
        path: '/pki/client.crt.old',
        links: [],
        index: 0,
        referencedBy: [{ path: kc, entry: 'user', name: 'u', field: 'client-certificate' }],
      },
    });
  const live = applyUsage(inventory([named('/etc/kubernetes/admin.conf')]), { named: [] });
  const [l] = live.certificates;
  assert.ok(l);
  assert.deepEqual(
    l.usedBy.map((u) => u.by),
    ['kubeconfig /etc/kubernetes/admin.conf'],
  );
  assert.equal(l.superseded, undefined);
  const backup = applyUsage(inventory([named('/etc/kubernetes/admin.conf.bak')]), { named: [] });
  const [b] = backup.certificates;
  assert.ok(b);
  assert.deepEqual(b.usedBy, []);
  assert.ok(b.superseded);
});
