import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  assert.match(
    c.err(),
    /^certdrift scan: unknown option --no-such-flag\nRun `certdrift scan --help`/,
  );
  const u = capture();
  assert.equal(await run(['frobnicate'], u.io), 3);
  assert.match(u.err(), /unknown command "frobnicate"/);
});

test('a missing host root is an operational error, exit 3', async () => {
  const c = capture();
  assert.equal(await run(['scan', '--host-root', '/definitely/not/here'], c.io), 3);
  assert.match(c.err(), /host root \/definitely\/not\/here: ENOENT/);
});

test('an unknown option is named in our words, with the nearest known one', async () => {
  const cases: [string[], string][] = [
    [['scan', '--warn-dayz', '3'], 'unknown option --warn-dayz (did you mean --warn-days?)'],
    [['scan', '--hots-root', '/'], 'unknown option --hots-root (did you mean --host-root?)'],
    [['scan', '-O', 'json'], 'unknown option -O (did you mean -o?)'],
    [['scan', '-z'], 'unknown option -z'],
    [['scan', '--frobnicate'], 'unknown option --frobnicate'],
    [['scan', '--warn-days'], '--warn-days needs a value (--warn-days N)'],
    [['scan', '--help=yes'], '--help is a switch and takes no value'],
  ];
  for (const [argv, message] of cases) {
    const c = capture();
    assert.equal(await run(argv, c.io), 3, argv.join(' '));
    assert.equal(c.err(), `certdrift scan: ${message}\nRun \`certdrift scan --help\` for usage.\n`);
  }
});

test('a bad flag value names the flag', async () => {
  const c = capture();
  assert.equal(await run(['scan', '--warn-days', 'abc'], c.io), 3);
  assert.match(
    c.err(),
    /^certdrift scan: --warn-days \(warning days\): expected a number ≥ 0, got "abc"\n/,
  );
});

test('a multi-line error prints real line breaks; data in it stays escaped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'certdrift-main-'));
  try {
    const policy = join(dir, 'policy.yaml');
    writeFileSync(policy, 'bogus: 1\n"evil\\nline\\u001b[31m": 2\n');
    const c = capture();
    assert.equal(await run(['plan', '--policy', policy, '--nodes', join(dir, 'none')], c.io), 3);
    const lines = c.err().split('\n');
    assert.equal(lines[0], `certdrift plan: invalid policy ${policy}:`);
    assert.match(lines[1] ?? '', /^ {2}\S+policy\.yaml:1: bogus: unknown key/);
    assert.match(lines[2] ?? '', /^ {2}\S+policy\.yaml:2: evil\\x0aline\\x1b\[31m: unknown key/);
    assert.equal(lines.length, 4);
    assert.doesNotMatch(c.err(), /\x1b/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
