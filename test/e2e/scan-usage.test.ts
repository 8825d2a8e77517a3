// Node truth on a long-lived kubeadm node: which certificates are in use (USED BY), which are
// superseded history (kubelet's rotated files, admins' backups) that must never raise an alarm,
// credentials something names that are gone, certificates only a static pod's flag leads to, and
// a walk that stops early. The real CLI, real certificates, a real temp-dir node.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { daysFrom, issue } from '../support/certs.js';
import { buildKubeadmNode, NOW, type BuiltNode } from '../support/nodes.js';
import { runCli } from '../support/scan.js';

interface Doc {
  summary: { exitCode: number; byStatus: Record<string, number> };
  node: { deadline: string; setBy: { path: string } } | null;
  certificates: {
    path: string;
    status: string;
    component: string;
    usedBy: { by: string; via: string; detail: string }[];
    superseded?: string;
  }[];
  findings: { code: string; severity: string; subject: string }[];
  missing: { path: string; reason: string }[];
}

let node: BuiltNode;
const OLD_CLIENT = '/var/lib/kubelet/pki/kubelet-client-2025-05-08-10-00-00.pem';
const OLD_SERVER = '/var/lib/kubelet/pki/kubelet-server-2024-11-01-09-00-00.pem';
const BACKUP = '/etc/kubernetes/pki.bak-2025-05-01/apiserver.crt';

before(async () => {
  node = await buildKubeadmNode();
  const ca = await issue({
    cn: 'old-ca',
    notBefore: daysFrom(NOW, -1000),
    notAfter: daysFrom(NOW, 2000),
    isCA: true,
  });
  // kubelet never deletes what it rotated: a client certificate that ended 566 days ago…
  const oldClient = await issue({
    cn: 'system:node:cp-1',
    o: ['system:nodes'],
    notBefore: daysFrom(NOW, -931),
    notAfter: daysFrom(NOW, -566),
    eku: ['clientAuth'],
    issuer: ca,
  });
  node.tree.write(OLD_CLIENT, oldClient.pem + oldClient.keyPem, 0o600);
  const oldServer = await issue({
    cn: 'cp-1',
    notBefore: daysFrom(NOW, -800),
    notAfter: daysFrom(NOW, -400),
    eku: ['serverAuth'],
    issuer: ca,
  });
  node.tree.write(OLD_SERVER, oldServer.pem, 0o600);
  // …and an admin's copy of the PKI before the last `kubeadm certs renew`.
  const oldApiserver = await issue({
    cn: 'kube-apiserver',
    notBefore: daysFrom(NOW, -600),
    notAfter: daysFrom(NOW, -200),
    eku: ['serverAuth'],
    issuer: ca,
  });
  node.tree.write(BACKUP, oldApiserver.pem);
  // A webhook's serving certificate that no preset knows, named only by its static pod's flag.
  const hook = await issue({
    cn: 'policy-webhook',
    notBefore: daysFrom(NOW, -10),
    notAfter: daysFrom(NOW, 20),
    eku: ['serverAuth'],
    issuer: ca,
  });
  node.tree.write('/opt/webhook/pki/tls.crt', hook.pem);
  node.tree.write(
    '/etc/kubernetes/manifests/policy-webhook.yaml',
    [
      'apiVersion: v1',
      'kind: Pod',
      'metadata: {name: policy-webhook, namespace: kube-system}',
      'spec:',
      '  containers:',
      '  - name: webhook',
      '    image: registry.example/webhook:1',
      '    command: [/webhook, --tls-cert-file=/certs/tls.crt, --port=9443]',
      '    volumeMounts: [{name: pki, mountPath: /certs, readOnly: true}]',
      '  volumes:',
      '  - {name: pki, hostPath: {path: /opt/webhook/pki, type: Directory}}',
      '',
    ].join('\n'),
  );
});
after(() => node.tree.remove());

function scan(...extra: string[]): { status: number; doc: Doc; stdout: string } {
  const res = runCli([
    'scan',
    '--host-root',
    node.tree.root,
    '--at',
    NOW.toISOString(),
    '--runtime-endpoint',
    'none',
    ...extra,
  ]);
  if (extra.includes('json'))
    return { status: res.status, doc: JSON.parse(res.stdout) as Doc, stdout: res.stdout };
  return { status: res.status, doc: null as unknown as Doc, stdout: res.stdout };
}

test('superseded history never raises the exit code or moves the node deadline', () => {
  const { status, doc } = scan('-o', 'json');
  const row = (p: string) => doc.certificates.find((c) => c.path === p);
  for (const p of [OLD_CLIENT, OLD_SERVER, BACKUP]) {
    assert.equal(row(p)?.status, 'superseded', p);
    assert.deepEqual(row(p)?.usedBy, [], p);
  }
  assert.equal(doc.summary.byStatus.superseded, 3);
  assert.ok(!doc.findings.some((f) => f.code === 'CERT_EXPIRED'), 'no expiry alarm from history');
  assert.deepEqual(
    doc.findings.filter((f) => f.code === 'CERT_SUPERSEDED').map((f) => f.severity),
    ['info', 'info', 'info'],
  );
  // The deadline is the in-use leaves' (165 days), not the history's (566 days ago).
  assert.equal(doc.node?.deadline, daysFrom(NOW, 165).toISOString());
  // The webhook certificate (20 days left) is a warning: exit 1, by a certificate in use.
  assert.equal(status, 1);
  const hook = row('/opt/webhook/pki/tls.crt');
  assert.deepEqual(
    hook?.usedBy.map((u) => [u.by, u.via]),
    [['webhook', 'flag']],
  );
  assert.match(hook?.usedBy[0]?.detail ?? '', /policy-webhook\.yaml --tls-cert-file$/); // eslint-disable-line @typescript-eslint/no-unnecessary-condition -- usedBy[0] may be absent
});

test('USED BY comes from the node: static pod flags, the current link, kubeconfig references', () => {
  const { doc } = scan('-o', 'json');
  const users = (p: string) =>
    [...new Set(doc.certificates.find((c) => c.path === p)?.usedBy.map((u) => u.by))].sort();
  assert.deepEqual(users('/etc/kubernetes/pki/apiserver.crt'), ['kube-apiserver']);
  assert.deepEqual(users('/etc/kubernetes/pki/etcd/server.crt'), ['etcd']);
  assert.deepEqual(users('/var/lib/kubelet/pki/kubelet-client-2026-09-21-10-00-00.pem'), [
    'kubeconfig /etc/kubernetes/kubelet.conf',
    'kubelet',
  ]);
  const table = scan().stdout;
  assert.match(table, /USED BY/);
  assert.match(table, /superseded/);
  assert.match(table, /3 certificates superseded and not in use/);
});

test('a kubelet.conf whose kubelet-client-current.pem target is gone is critical, not ok', () => {
  const target = '/var/lib/kubelet/pki/kubelet-client-2026-09-21-10-00-00.pem';
  rmSync(node.tree.abs(target));
  try {
    const { status, doc } = scan('-o', 'json');
    assert.equal(status, 2);
    const f = doc.findings.find((x) => x.code === 'CREDENTIAL_MISSING');
    assert.ok(f);
    assert.equal(f.severity, 'critical');
    assert.equal(f.subject, '/var/lib/kubelet/pki/kubelet-client-current.pem');
    assert.deepEqual(
      doc.missing.map((m) => m.reason),
      ['dangling_symlink'],
    );
  } finally {
    node.tree.write(target, '');
  }
});

test('a walk that stops early is a warning, never a silent exit 0', () => {
  const { status, doc } = scan('-o', 'json', '--max-files', '3', '--preset', 'kubeadm');
  assert.ok(status >= 1);
  assert.ok(doc.findings.some((f) => f.code === 'SCAN_INCOMPLETE' && f.severity === 'warning'));
});
