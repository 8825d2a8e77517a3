import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { parseSimpleYaml } from './simple-yaml.js';

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTg==
    server: https://api.internal.example:443   # comment
    insecure-skip-tls-verify: false
  name: local
contexts:
  - context: {cluster: local, user: u}
    name: ctx
users:
- name: 'it''s me'
  user:
    client-certificate: "/var/lib/kubelet/pki/kubelet-client-current.pem"
    client-key:
preferences: {}
`;

test('reads what kubectl writes; declines flow style', () => {
  const block = KUBECONFIG.replace(
    / {2}- context: \{.*\}\n {4}name: ctx\n/,
    '- context:\n    cluster: local\n  name: ctx\n',
  ).replace('preferences: {}\n', '');
  const expected: unknown = parse(block);
  assert.deepEqual(parseSimpleYaml(block), { ok: true, value: expected });
  assert.deepEqual(parseSimpleYaml(KUBECONFIG), { ok: false });
});

test('declines what it does not fully understand', () => {
  for (const text of [
    'a: &x 1\nb: *x',
    'a: |\n  x',
    'a: b\n  c',
    '- - a',
    'a: "x\\ty"',
    '--- a\n--- b',
    'a: 12',
    '{"a": 1}',
    '',
    'a: [1]',
    'a:\tb',
    'a: b: c',
    'a: 1\na: 2',
  ]) {
    assert.deepEqual(parseSimpleYaml(text), { ok: false }, JSON.stringify(text));
  }
});

const key = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
const leaf = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.boolean(),
  fc.constant(null),
  fc.stringMatching(/^[A-Za-z0-9+/]{4,80}={0,2}$/),
);
const tree = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.array(tie('node'), { maxLength: 4 }),
    fc.dictionary(key, tie('node'), { maxKeys: 4 }),
  ),
}));

test('whatever it accepts, it reads exactly as the full YAML parser does', () => {
  let accepted = 0;
  fc.assert(
    fc.property(tree.node, fc.integer({ min: 0, max: 1 }), (value, style) => {
      const text = stringify(value, { indentSeq: style === 1 });
      const fast = parseSimpleYaml(text);
      if (fast.ok) {
        accepted++;
        assert.deepEqual(fast.value, parse(text));
      }
    }),
    { numRuns: 3000 },
  );
  assert.ok(accepted > 300, `the fast path should accept most block YAML (accepted ${accepted})`);
});

test('random edits of a kubeconfig: accepted means identical', () => {
  const lines = KUBECONFIG.split('\n');
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(), fc.nat(4), fc.string({ maxLength: 6 })), { maxLength: 4 }),
      (edits) => {
        const l = [...lines];
        for (const [at, kind, s] of edits) {
          const i = at % l.length;
          if (kind === 0) l[i] = ' ' + (l[i] ?? '');
          else if (kind === 1) l.splice(i, 1);
          else if (kind === 2) l[i] = (l[i] ?? '') + s;
          else if (kind === 3) l.splice(i, 0, s);
          else l[i] = (l[i] ?? '').trimStart();
        }
        const text = l.join('\n');
        const fast = parseSimpleYaml(text);
        if (!fast.ok) return;
        let full: unknown;
        try {
          full = parse(text, { uniqueKeys: false });
        } catch {
          assert.fail(`accepted text the full parser rejects: ${JSON.stringify(text)}`);
        }
        assert.deepEqual(fast.value, full, JSON.stringify(text));
      },
    ),
    { numRuns: 3000 },
  );
});
