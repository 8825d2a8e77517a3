import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileGlob, expandBraces, matchesPath, normalizeInRoot } from './glob.js';

test('braces expand, nested and multiple', () => {
  assert.deepEqual(expandBraces('/a/{b,c}/*.{crt,pem}'), [
    '/a/b/*.crt',
    '/a/b/*.pem',
    '/a/c/*.crt',
    '/a/c/*.pem',
  ]);
  assert.deepEqual(expandBraces('{x,{y,z}}'), ['x', 'y', 'z']);
  assert.deepEqual(expandBraces('no{brace'), ['no{brace']);
});

test('base is the literal prefix; literal patterns are flagged', () => {
  const [g] = compileGlob('/etc/kubernetes/pki/**/*.crt');
  assert.ok(g);
  assert.equal(g.base, '/etc/kubernetes/pki');
  assert.equal(g.literal, false);
  const [l] = compileGlob('/var/lib/kube-proxy/kubeconfig');
  assert.equal(l?.literal, true);
  assert.equal(compileGlob('**')[0]?.base, '/');
});

const cases: [string, string, boolean][] = [
  ['/etc/kubernetes/pki/**/*.crt', '/etc/kubernetes/pki/ca.crt', true],
  ['/etc/kubernetes/pki/**/*.crt', '/etc/kubernetes/pki/etcd/server.crt', true],
  ['/etc/kubernetes/pki/**/*.crt', '/etc/kubernetes/pki/etcd/server.key', false],
  ['/etc/kubernetes/pki/*.crt', '/etc/kubernetes/pki/etcd/server.crt', false],
  ['**', '/anything/at/all', true],
  ['**/backup/**', '/srv/kubernetes/backup/old.crt', true],
  ['**/backup/**', '/srv/kubernetes/backups/old.crt', false],
  ['/srv/kubernetes/kube-?roxy.crt', '/srv/kubernetes/kube-proxy.crt', true],
  ['/srv/[ab]*.crt', '/srv/b1.crt', true],
  ['/srv/[!ab]*.crt', '/srv/b1.crt', false],
  ['/srv/file.crt', '/srv/file.crt', true],
  ['/srv/f.crt', '/srv/fxcrt', false],
];
for (const [pattern, path, want] of cases) {
  test(`${pattern} ${want ? 'matches' : 'does not match'} ${path}`, () => {
    assert.equal(matchesPath(compileGlob(pattern), path), want);
  });
}

test('paths normalise inside the root', () => {
  assert.equal(normalizeInRoot('../../etc//x/./y'), '/etc/x/y');
  assert.equal(normalizeInRoot('/a/../../b'), '/b');
});

test('a bracket whose class is invalid (a range out of order) is a literal bracket, never a throw', () => {
  const [g] = compileGlob('/x/["- ]');
  assert.ok(g);
  assert.ok(matchesPath([g], '/x/["- ]'));
  assert.ok(!matchesPath([g], '/x/a'));
});
