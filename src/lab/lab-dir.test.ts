// `lab up --dir` never takes over a directory with someone else's files, and `lab down` removes
// only what the lab made there.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimLabDir, LAB_MARKER, releaseLabDir } from './lab-dir.js';
import { issueKubeProxyCert } from './kube-proxy.js';

const scratch = (): string => mkdtempSync(join(tmpdir(), 'certdrift-labdir-'));

test('a non-empty directory the lab did not create is refused and left as it was', () => {
  const dir = scratch();
  writeFileSync(join(dir, 'thesis.tex'), 'years of work\n');
  assert.throws(() => claimLabDir(dir), /not empty and was not made by certdrift lab/);
  assert.deepEqual(readdirSync(dir), ['thesis.tex']);
  releaseLabDir(dir, true); // a down on it (no marker) touches nothing
  assert.deepEqual(readdirSync(dir), ['thesis.tex']);
});

test('a new directory is created, marked, and removed entirely on down', () => {
  const dir = join(scratch(), 'lab');
  assert.equal(claimLabDir(dir), true);
  assert.ok(existsSync(join(dir, LAB_MARKER)));
  mkdirSync(join(dir, 'host', 'var', 'lib'), { recursive: true });
  writeFileSync(join(dir, 'lab.json'), '{}');
  releaseLabDir(dir, true);
  assert.equal(existsSync(dir), false);
});

test('an empty existing directory is used; down keeps it and anything the user added since', () => {
  const dir = scratch();
  assert.equal(claimLabDir(dir), false);
  mkdirSync(join(dir, 'host'));
  writeFileSync(join(dir, 'containerd.log'), 'x');
  writeFileSync(join(dir, 'notes.txt'), 'mine');
  assert.equal(claimLabDir(dir), false, 'a marked lab directory may be taken again');
  releaseLabDir(dir, false);
  assert.deepEqual(readdirSync(dir), ['notes.txt']);
});

test('down removes the lab CA (pki/, ca.key included), so the next up may take the directory', () => {
  const dir = scratch();
  assert.equal(claimLabDir(dir), false);
  issueKubeProxyCert(dir, 5, 2);
  assert.ok(existsSync(join(dir, 'pki', 'ca.key')));
  releaseLabDir(dir, false);
  assert.deepEqual(readdirSync(dir), []);
  assert.equal(claimLabDir(dir), false);
  releaseLabDir(dir, true);
  assert.equal(existsSync(dir), false);
});
