// The manifests real nodes hold, patched: RKE2's four file mounts of one directory, a Latin-1
// comment, JSON, YAML anchors and aliases. Each result is minimal, byte-faithful and valid — or
// refused with a reason.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { auditManifest, type AuditContext } from '../audit/index.js';
import { patchManifest } from './patch-manifest.js';

const fixture = (p: string): string =>
  readFileSync(new URL(`../../test/fixtures/manifests/${p}`, import.meta.url), 'utf8');
const RKE2 = fixture('rke2/kube-proxy.yaml');
const KOPS = fixture('kops-1.35/kube-proxy.manifest');
const AGENT = '/var/lib/rancher/rke2/agent';
const KUBE_PROXY_FILES = [
  'client-kube-proxy.crt',
  'client-kube-proxy.key',
  'kubeproxy.kubeconfig',
  'server-ca.crt',
];
const listing = (files: Record<string, string[]>): AuditContext => ({ listDir: (d) => files[d] });
const fixOf = (text: string, ctx: AuditContext = {}) =>
  auditManifest('m.yaml', text, ctx).findings.find((f) => f.fix)?.fix;

test('RKE2: never widened to the agent directory that holds kubelet’s key; a manual remedy', () => {
  const ctx = listing({
    [AGENT]: [
      ...KUBE_PROXY_FILES,
      'client-kubelet.key',
      'serving-kubelet.key',
      'kubelet.kubeconfig',
      'pod-manifests/kube-proxy.yaml',
    ],
  });
  const a = auditManifest('kube-proxy.yaml', RKE2, ctx);
  const f = a.findings.filter((x) => x.code === 'FILE_HOSTPATH_MOUNT');
  assert.equal(f.length, 4, 'each of the four file mounts is reported');
  assert.ok(
    f.every((x) => x.fix === undefined),
    'no automatic fix',
  );
  assert.match(
    f[0]?.remedy ?? '',
    /^By hand: .*client-kubelet\.key.*kubelet\.kubeconfig.*serving-kubelet\.key/,
  );
  // Without a listing (CI auditing a repository) the agent directory is known to be shared.
  assert.equal(fixOf(RKE2), undefined);
});

test('RKE2 with a directory of kube-proxy’s own: one directory mount, one volume, valid', () => {
  const fix = fixOf(RKE2, listing({ [AGENT]: KUBE_PROXY_FILES }));
  assert.ok(fix);
  const res = patchManifest(RKE2, fix.ops);
  assert.ok(res.ok, res.ok ? '' : res.message);
  const pod = parseAllDocuments(res.text)[0]?.toJS() as {
    spec: {
      volumes: { name: string; hostPath: { path: string; type: string } }[];
      containers: { volumeMounts: { name: string; mountPath: string; readOnly: boolean }[] }[];
    };
  };
  assert.deepEqual(pod.spec.volumes, [
    { hostPath: { path: AGENT, type: 'Directory' }, name: 'file0' },
  ]);
  assert.deepEqual(pod.spec.containers[0]?.volumeMounts, [
    { mountPath: AGENT, name: 'file0', readOnly: true },
  ]);
  // Minimal: everything before the first mount and after the last volume is untouched.
  const cut = (t: string): [string, string] => [
    t.slice(0, t.indexOf('    volumeMounts:')),
    t.slice(t.indexOf('status: {}')),
  ];
  assert.deepEqual(cut(res.text), cut(RKE2));
});

test('a patch that would give two mounts one mountPath is refused (kubelet rejects the pod)', () => {
  const ops = [0, 1].map((i) => ({
    doc: 0,
    path: ['spec', 'containers', 0, 'volumeMounts', i, 'mountPath'],
    value: AGENT,
  }));
  const res = patchManifest(RKE2, ops);
  assert.ok(!res.ok);
  assert.match(res.message, /mounts two volumes at \/var\/lib\/rancher\/rke2\/agent/);
});

test('a Latin-1 comment survives byte for byte', () => {
  const latin1 = Buffer.concat([
    Buffer.from('# r'),
    Buffer.from([0xe9]),
    Buffer.from('gl'),
    Buffer.from([0xe9]),
    Buffer.from(' par l’équipe\n'.replace('’équipe', "'")),
    Buffer.from(KOPS),
  ]);
  const fix = fixOf(latin1.toString('latin1'));
  assert.ok(fix);
  const res = patchManifest(latin1, fix.ops);
  assert.ok(res.ok, res.ok ? '' : res.message);
  const expected = Buffer.from(
    latin1
      .toString('latin1')
      .replace('path: /var/lib/kube-proxy/kubeconfig', 'path: /var/lib/kube-proxy')
      .replace('mountPath: /var/lib/kube-proxy/kubeconfig', 'mountPath: /var/lib/kube-proxy'),
    'latin1',
  );
  assert.deepEqual(Buffer.from(res.bytes), expected);
  assert.equal(Buffer.from(res.bytes).subarray(0, 4).toString('latin1'), '# ré');
});

test('UTF-8 with a BOM and multi-byte characters: edited at the right bytes', () => {
  const text = '\ufeff# kube-proxy — 证书\n' + KOPS;
  const fix = fixOf(text);
  assert.ok(fix);
  const res = patchManifest(Buffer.from(text), fix.ops);
  assert.ok(res.ok);
  assert.equal(
    Buffer.from(res.bytes).toString(),
    text
      .replaceAll('/var/lib/kube-proxy/kubeconfig #', '/var/lib/kube-proxy #')
      .replace('path: /var/lib/kube-proxy/kubeconfig', 'path: /var/lib/kube-proxy'),
  );
});

test('a JSON manifest is patched as JSON and stays JSON', () => {
  const json = JSON.stringify(parseAllDocuments(KOPS)[0]?.toJS(), null, 2) + '\n';
  const fix = fixOf(json);
  assert.ok(fix);
  const res = patchManifest(json, [
    ...fix.ops,
    {
      doc: 0,
      path: ['spec', 'containers', 0, 'volumeMounts', 1, 'mountPropagation'],
      value: 'HostToContainer',
    },
  ]);
  assert.ok(res.ok, res.ok ? '' : res.message);
  const pod = JSON.parse(res.text) as {
    spec: { volumes: { hostPath: { path: string } }[]; containers: { volumeMounts: object[] }[] };
  };
  assert.equal(pod.spec.volumes[1]?.hostPath.path, '/var/lib/kube-proxy');
  assert.deepEqual(pod.spec.containers[0]?.volumeMounts[1], {
    mountPath: '/var/lib/kube-proxy',
    name: 'kubeconfig',
    readOnly: true,
    mountPropagation: 'HostToContainer',
  });
  assert.match(res.text, /"mountPath": "\/var\/lib\/kube-proxy",/);
});

const ALIASED = `kind: Pod
metadata:
  name: kube-proxy
spec:
  containers:
  - name: kube-proxy
    volumeMounts:
    - name: kubeconfig
      mountPath: &kc /var/lib/kube-proxy/kubeconfig
  volumes:
  - name: kubeconfig
    hostPath:
      path: *kc
`;

test('aliases: audit sees `path: *kc`; the fix edits the anchor once', () => {
  const a = auditManifest('m.yaml', ALIASED);
  assert.deepEqual(
    a.findings.map((f) => f.code),
    ['FILE_HOSTPATH_MOUNT'],
  );
  const fix = a.findings[0]?.fix;
  assert.ok(fix);
  const res = patchManifest(ALIASED, fix.ops);
  assert.ok(res.ok, res.ok ? '' : res.message);
  assert.equal(
    res.text,
    ALIASED.replace('&kc /var/lib/kube-proxy/kubeconfig', '&kc /var/lib/kube-proxy'),
  );
});

test('aliases: an anchor that something else also uses is refused, with the reason', () => {
  const text = ALIASED.replace(
    '  volumes:',
    '    env:\n    - name: KUBECONFIG\n      value: *kc\n  volumes:',
  );
  const fix = fixOf(text);
  assert.ok(fix);
  const res = patchManifest(text, fix.ops);
  assert.ok(!res.ok);
  assert.match(res.message, /alias whose anchor is also used elsewhere/);
});

test('patching never throws, whatever the bytes', () => {
  const op = { doc: 0, path: ['spec', 'volumes', 0, 'hostPath', 'path'], value: '/x' };
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
      const res = patchManifest(bytes, [
        op,
        { doc: 0, path: ['spec', 'volumes', 1], delete: true },
      ]);
      assert.equal(typeof res.ok, 'boolean');
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (text) => {
      const res = patchManifest(`spec:\n  volumes:\n  - hostPath:\n      path: ${text}\n`, [op]);
      if (!res.ok) return;
      const pod = parseAllDocuments(res.text)[0]?.toJS() as {
        spec: { volumes: { hostPath: { path: unknown } }[] };
      };
      assert.equal(pod.spec.volumes[0]?.hostPath.path, '/x');
    }),
    { numRuns: 300 },
  );
});
