import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { run } from './main.js';
import { VERSION } from './version.js';

function capture(): { io: Parameters<typeof run>[1]; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const sink = (f: (s: string) => void): Writable =>
    new Writable({ write: (c: Buffer, _e, cb) => (f(c.toString()), cb()) });
  return {
    io: { stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)), env: {} },
    out: () => out,
    err: () => err,
  };
}

test('version matches package.json', async () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  assert.equal(VERSION, pkg.version);
  const c = capture();
  assert.equal(await run(['--version'], c.io), 0);
  assert.equal(c.out(), `certdrift ${pkg.version}\n`);
});

test('every command has help generated from its definition', async () => {
  const c = capture();
  assert.equal(await run(['--help'], c.io), 0);
  const names = [...c.out().matchAll(/^ {2}(\w[\w-]*) {2,}/gm)].map((m) => m[1] ?? '');
  assert.ok(names.includes('scan'));
  for (const name of names) {
    const h = capture();
    assert.equal(await run([name, '--help'], h.io), 0);
    assert.match(h.out(), new RegExp(`^certdrift ${name} — `));
    assert.match(h.out(), /Options:[\s\S]*Examples:/);
  }
});

test('usage errors exit 3 with a hint', async () => {
  const c = capture();
  assert.equal(await run(['scan', '--no-such-flag'], c.io), 3);
  assert.match(c.err(), /Unknown option '--no-such-flag'[\s\S]*certdrift scan --help/);
  const u = capture();
  assert.equal(await run(['frobnicate'], u.io), 3);
  assert.match(u.err(), /unknown command "frobnicate"/);
});

test('a missing host root is an operational error, exit 3', async () => {
  const c = capture();
  assert.equal(await run(['scan', '--host-root', '/definitely/not/here'], c.io), 3);
  assert.match(c.err(), /host root \/definitely\/not\/here: ENOENT/);
});
