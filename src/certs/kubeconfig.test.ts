import { test } from 'node:test';
import assert from 'node:assert/strict';
import { looksLikeKubeconfig, parseKubeconfig } from './kubeconfig.js';

const pem = (s: string): string =>
  Buffer.from(
    `-----BEGIN CERTIFICATE-----\n${Buffer.from(s).toString('base64')}\n-----END CERTIFICATE-----\n`,
  ).toString('base64');

test('embedded data, file references and keys, by entry name', () => {
  const r = parseKubeconfig(`apiVersion: v1
kind: Config
clusters:
- name: c1
  cluster: {certificate-authority-data: ${pem('ca1')}, server: https://x}
- name: c2
  cluster: {certificate-authority: ../pki/ca.crt}
users:
- name: u1
  user: {client-certificate-data: ${pem('u1')}, client-key-data: QQ==}
- name: u2
  user: {client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem, client-key: /k}
- name: token-user
  user: {token: abc}
`);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(
    r.certs.map((c) => [c.ref.entry, c.ref.name, c.ref.field, Buffer.from(c.der).toString()]),
    [
      ['cluster', 'c1', 'certificate-authority-data', 'ca1'],
      ['user', 'u1', 'client-certificate-data', 'u1'],
    ],
  );
  assert.deepEqual(
    r.refs.map((f) => [f.ref.name, f.path]),
    [
      ['c2', '../pki/ca.crt'],
      ['u2', '/var/lib/kubelet/pki/kubelet-client-current.pem'],
    ],
  );
  assert.equal(r.privateKeys, 2);
});

test('JSON kubeconfigs work (JSON is YAML)', () => {
  const r = parseKubeconfig(
    JSON.stringify({
      clusters: [{ name: 'j', cluster: { 'certificate-authority-data': pem('j') } }],
    }),
  );
  assert.equal(r.certs.length, 1);
});

test('a YAML error elsewhere does not hide a readable certificate', () => {
  const r = parseKubeconfig(
    `clusters:\n- name: c\n  cluster:\n    certificate-authority-data: ${pem('ok')}\nusers: [oops\n`,
  );
  assert.equal(r.problems[0]?.reason, 'yaml_parse_error');
  assert.equal(r.certs.length, 1);
});

// The forms kubectl reads (client-go → sigs.k8s.io/yaml → go-yaml): each must give the same
// certificates as the plain block-style file.
test('every kubeconfig form kubectl reads gives the same certificates', () => {
  const ca = pem('ca');
  const u = pem('u');
  const plain = `apiVersion: v1
clusters:
- name: c
  cluster:
    certificate-authority-data: ${ca}
users:
- name: u
  user:
    client-certificate-data: ${u}
`;
  const forms: Record<string, string> = {
    'block style': plain,
    'trailing ---': `${plain}---\n`,
    'leading and trailing ---': `---\n${plain}---\n...\n`,
    'merge keys': `base: &base
  certificate-authority-data: ${ca}
  server: https://x
userbase: &ub
  client-certificate-data: ${u}
clusters:
- name: c
  cluster:
    <<: *base
users:
- name: u
  user:
    <<: *ub
    client-key-data: QQ==
`,
    'single-quoted keys': `'apiVersion': v1
'clusters':
- 'name': 'c'
  'cluster':
    'certificate-authority-data': '${ca}'
'users':
- 'name': u
  'user':
    'client-certificate-data': ${u}
`,
    'one flow mapping': `{apiVersion: v1, clusters: [{name: c, cluster: {certificate-authority-data: ${ca}}}], users: [{name: u, user: {client-certificate-data: ${u}}}]}`,
    'flow mapping over lines': `{
  clusters: [{name: c, cluster: {certificate-authority-data: ${ca}}}],
  'users': [{name: u, user: {"client-certificate-data": ${u}}}]
}`,
  };
  for (const [form, text] of Object.entries(forms)) {
    const r = parseKubeconfig(text);
    assert.deepEqual(r.problems, [], form);
    assert.deepEqual(
      r.certs.map((c) => [c.ref.entry, c.ref.name, Buffer.from(c.der).toString()]),
      [
        ['cluster', 'c', 'ca'],
        ['user', 'u', 'u'],
      ],
      form,
    );
    assert.ok(looksLikeKubeconfig(text), `${form} is recognised as a kubeconfig`);
  }
});
