// The node side of kubelet's CSRs through the real CLI over real host trees: a kubeadm node
// whose KubeletConfiguration asks for its serving certificate by CSR (serverTLSBootstrap) and has
// no kubelet-server-current.pem — the Pending-CSR case of kubernetes #73356 — and an EKS node
// whose link dangles both report KUBELET_SERVING_CERT_MISSING; the same node with the link in
// place does not; and a kubelet client certificate near its end says rotation is off when
// kubelet's config turns it off.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildEksNode, buildKubeadmNode, NOW, type BuiltNode } from '../support/nodes.js';
import { runCli, type CliResult } from '../support/scan.js';

const built: BuiltNode[] = [];
after(() => {
  for (const b of built) b.tree.remove();
});
const node = async (build: () => Promise<BuiltNode>): Promise<BuiltNode> => {
  const b = await build();
  built.push(b);
  return b;
};

const scan = (root: string, ...args: string[]): CliResult =>
  runCli(['scan', '--runtime-endpoint', 'none', '--no-probe', '--host-root', root, ...args]);

interface Doc {
  findings: {
    code: string;
    severity: string;
    title: string;
    subject: string;
    evidence: Record<string, string>;
    cause?: string;
    remedy: string;
  }[];
}
const CURRENT = '/var/lib/kubelet/pki/kubelet-server-current.pem';

test('kubeadm with serverTLSBootstrap and no serving certificate: KUBELET_SERVING_CERT_MISSING', async () => {
  const n = await node(buildKubeadmNode);
  n.tree.write(
    '/var/lib/kubelet/config.yaml',
    [
      'apiVersion: kubelet.config.k8s.io/v1beta1',
      'kind: KubeletConfiguration',
      'rotateCertificates: true',
      'serverTLSBootstrap: true',
      '',
    ].join('\n'),
  );
  const res = scan(n.tree.root, '--at', NOW.toISOString(), '-o', 'json');
  assert.equal(res.status, 1, res.stderr); // a warning: workloads run, logs/exec do not
  const f = (JSON.parse(res.stdout) as Doc).findings.filter(
    (x) => x.code === 'KUBELET_SERVING_CERT_MISSING',
  );
  assert.equal(f.length, 1);
  assert.deepEqual(
    [f[0]?.severity, f[0]?.subject, f[0]?.evidence],
    [
      'warning',
      CURRENT,
      {
        config: '/var/lib/kubelet/config.yaml: serverTLSBootstrap: true',
        servingCertificate: `${CURRENT}: not_found, the path does not exist`,
        served: 'not probed (--no-probe)',
      },
    ],
  );
  assert.match(f[0]?.remedy ?? '', /certdrift fleet --serve --approve-kubelet-serving/);

  const table = scan(n.tree.root, '--at', NOW.toISOString(), '--color', 'never');
  assert.match(table.stdout, /KUBELET_SERVING_CERT_MISSING/);
  if (process.env.SHOW_OUTPUT) process.stderr.write(table.stdout);

  // once kubelet has its serving certificate the finding is gone
  n.tree.link(CURRENT, '/var/lib/kubelet/pki/kubelet-client-2026-09-21-10-00-00.pem');
  const fixed = scan(n.tree.root, '--at', NOW.toISOString(), '-o', 'json');
  assert.equal(fixed.status, 0, fixed.stderr);
  assert.ok(
    !(JSON.parse(fixed.stdout) as Doc).findings.some(
      (x) => x.code === 'KUBELET_SERVING_CERT_MISSING',
    ),
  );
});

test('EKS (AL2 kubelet-config.json): a dangling kubelet-server-current.pem is reported as such', async () => {
  const n = await node(buildEksNode);
  const { rmSync, readlinkSync } = await import('node:fs');
  const target = readlinkSync(n.tree.abs(CURRENT));
  rmSync(n.tree.abs(target.startsWith('/') ? target : `/var/lib/kubelet/pki/${target}`));
  const res = scan(n.tree.root, '--at', NOW.toISOString(), '-o', 'json');
  const f = (JSON.parse(res.stdout) as Doc).findings.find(
    (x) => x.code === 'KUBELET_SERVING_CERT_MISSING',
  );
  assert.ok(f, res.stdout);
  assert.match(f.title, /dangles$/);
  assert.match(f.evidence.config ?? '', /^\/etc\/kubernetes\/kubelet\/kubelet-config\.json/);
  assert.match(f.evidence.servingCertificate ?? '', /dangling_symlink/);
});

test('rotateCertificates: false and a kubelet client certificate near its end: rotation is off', async () => {
  const n = await node(buildKubeadmNode);
  n.tree.write(
    '/var/lib/kubelet/config.yaml',
    'kind: KubeletConfiguration\nrotateCertificates: false\n',
  );
  // kubeadm's kubelet client certificate ends 300 days after NOW: 5 days left
  const at = new Date(NOW.getTime() + 295 * 86_400_000).toISOString();
  const res = scan(n.tree.root, '--at', at, '-o', 'json');
  assert.equal(res.status, 2, res.stderr);
  const f = (JSON.parse(res.stdout) as Doc).findings.find(
    (x) => x.code === 'CERT_EXPIRING' && x.evidence.component === 'kubelet-client',
  );
  assert.ok(f, res.stdout);
  assert.match(
    f.cause ?? '',
    /client certificate rotation is off \(\/var\/lib\/kubelet\/config.yaml: rotateCertificates false\)/,
  );
  assert.match(f.remedy, /Set `rotateCertificates: true` in \/var\/lib\/kubelet\/config.yaml/);
  // no serving certificate is expected without serverTLSBootstrap
  assert.ok(
    !(JSON.parse(res.stdout) as Doc).findings.some(
      (x) => x.code === 'KUBELET_SERVING_CERT_MISSING',
    ),
  );
});
