import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { auditManifest } from '../audit/index.js';
import { patchManifest } from './patch-manifest.js';

const KOPS = readFileSync(
  new URL('../../test/fixtures/manifests/kops-1.35/kube-proxy.manifest', import.meta.url),
  'utf8',
);
const KOPS_136 = readFileSync(
  new URL('../../test/fixtures/manifests/kops-1.36/kube-proxy.manifest', import.meta.url),
  'utf8',
);

test('the audit fix turns the kops 1.35 manifest into the 1.36 one, comments and all but one', () => {
  const fix = auditManifest('kube-proxy.manifest', KOPS).findings.find((f) => f.fix)?.fix;
  assert.ok(fix);
  const res = patchManifest(KOPS, fix.ops);
  assert.ok(res.ok);
  // kops 1.36 differs from 1.35 only in the mount (and in two comments, which a patch keeps).
  const expected = KOPS_136.replace('nodeup 1.36', 'nodeup 1.35').replace(
    '# kubeconfig with an embedded client certificate',
    '# embedded client certificate',
  );
  assert.equal(res.text, expected);
});

test('a missing key is added in its block mapping, aligned with its siblings', () => {
  const text =
    'spec:\n  containers:\n  - name: a # keep me\n    volumeMounts:\n    - mountPath: /var/lib/kubelet\n      name: kubelet-dir\n    image: x\n';
  const res = patchManifest(text, [
    {
      doc: 0,
      path: ['spec', 'containers', 0, 'volumeMounts', 0, 'mountPropagation'],
      value: 'HostToContainer',
    },
  ]);
  assert.ok(res.ok);
  assert.equal(
    res.text,
    'spec:\n  containers:\n  - name: a # keep me\n    volumeMounts:\n    - mountPath: /var/lib/kubelet\n      name: kubelet-dir\n      mountPropagation: HostToContainer\n    image: x\n',
  );
});

test('flow mappings get the key after their last pair; non-scalars are refused, never half-patched', () => {
  const flow = 'spec: {containers: [{name: a, volumeMounts: [{name: v, mountPath: /x}]}]}\n';
  const r1 = patchManifest(flow, [
    {
      doc: 0,
      path: ['spec', 'containers', 0, 'volumeMounts', 0, 'mountPropagation'],
      value: 'HostToContainer',
    },
  ]);
  assert.ok(r1.ok);
  assert.equal(
    r1.text,
    'spec: {containers: [{name: a, volumeMounts: [{name: v, mountPath: /x, mountPropagation: HostToContainer}]}]}\n',
  );
  assert.equal(patchManifest('a:\n  b: 1\n', [{ doc: 0, path: ['a'], value: 'x' }]).ok, false);
  assert.equal(patchManifest('a: [\n', [{ doc: 0, path: ['a'], value: 'x' }]).ok, false);
});

test('multi-document files: only the named document changes', () => {
  const text =
    'kind: ConfigMap\ndata:\n  x: "1"\n---\nkind: Pod\nspec:\n  volumes:\n  - name: v\n    hostPath:\n      path: /a/b.crt\n';
  const res = patchManifest(text, [
    { doc: 1, path: ['spec', 'volumes', 0, 'hostPath', 'path'], value: '/a' },
  ]);
  assert.ok(res.ok);
  assert.equal(res.text, text.replace('/a/b.crt', '/a'));
});

test('any accepted patch re-parses to exactly the intended documents', () => {
  fc.assert(
    fc.property(
      fc.stringMatching(/^\/[a-z0-9/._-]{0,30}$/),
      fc.constantFrom('path', 'type', 'extra'),
      (value, key) => {
        const res = patchManifest(KOPS, [
          { doc: 0, path: ['spec', 'volumes', 1, 'hostPath', key], value },
        ]);
        if (!res.ok) return;
        const before = parseAllDocuments(KOPS)[0]?.toJS() as {
          spec: { volumes: { hostPath: Record<string, string> }[] };
        };
        const after = parseAllDocuments(res.text)[0]?.toJS() as typeof before;
        const vol = before.spec.volumes[1];
        assert.ok(vol);
        vol.hostPath[key] = value;
        assert.deepEqual(after, before);
      },
    ),
    { numRuns: 300 },
  );
});
