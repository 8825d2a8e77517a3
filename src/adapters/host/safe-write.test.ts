// A manifest is never lost or half-written: refused when edited under us, backed up first, and
// intact when the write itself fails (read-only file system, full disk).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backupName, inodeOf, snapshot, writeAtomically, WriteRefused } from './safe-write.js';

const ORIGINAL = '# kube-proxy\napiVersion: v1\nkind: Pod\n';
const PATCHED = '# kube-proxy\napiVersion: v1\nkind: Pod\nspec: {}\n';
const now = new Date('2026-11-25T05:00:00Z');
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'certdrift-write-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function manifest(name: string): string {
  const d = join(dir, name, 'manifests');
  mkdirSync(d, { recursive: true });
  const p = join(d, 'kube-proxy.manifest');
  writeFileSync(p, ORIGINAL, { mode: 0o600 });
  return p;
}

test('writes atomically (new inode), keeps mode, backs up outside the manifests directory', () => {
  const p = manifest('ok');
  const ino = inodeOf(p);
  const backups = join(dir, 'ok', 'backups');
  const backup = writeAtomically(snapshot(p), PATCHED, { backupDir: backups, now });
  assert.equal(readFileSync(p, 'utf8'), PATCHED);
  assert.notEqual(inodeOf(p), ino);
  assert.equal(snapshot(p).mode, 0o600);
  assert.equal(readFileSync(backup, 'utf8'), ORIGINAL);
  assert.equal(backup, join(backups, backupName(p, now)));
  assert.match(
    backupName(p, now),
    /^kube-proxy\.manifest\.2026-11-25T05-00-00-000Z\.certdrift\.bak$/,
  );
  assert.deepEqual(
    readdirSync(join(dir, 'ok', 'manifests')),
    ['kube-proxy.manifest'],
    'no temp file or backup left beside it',
  );
});

test('refuses when the file changed since it was read; the edit survives', () => {
  const p = manifest('edited');
  const snap = snapshot(p);
  writeFileSync(p, ORIGINAL + '# edited by a human\n');
  assert.throws(
    () => writeAtomically(snap, PATCHED, { backupDir: join(dir, 'edited', 'b'), now }),
    WriteRefused,
  );
  assert.equal(readFileSync(p, 'utf8'), ORIGINAL + '# edited by a human\n');
});

/** A tmpfs of `size` bytes with the manifest on it (root only: mount). */
function onTmpfs(
  t: import('node:test').TestContext,
  name: string,
  options: string,
): string | undefined {
  if (process.getuid?.() !== 0) {
    if (process.env.CI === 'true') throw new Error('needs root in CI');
    t.skip('needs root to mount a tmpfs');
    return undefined;
  }
  const mnt = join(dir, name);
  mkdirSync(mnt, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', mnt], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  t.after(() => spawnSync('umount', ['-l', mnt]));
  mkdirSync(join(mnt, 'manifests'));
  const p = join(mnt, 'manifests', 'kube-proxy.manifest');
  writeFileSync(p, ORIGINAL);
  return p;
}

test('read-only file system: error, original intact, no temp file', (t) => {
  const p = onTmpfs(t, 'ro', 'size=64k');
  if (!p) return;
  const snap = snapshot(p);
  assert.equal(spawnSync('mount', ['-o', 'remount,ro', join(dir, 'ro')]).status, 0);
  assert.throws(
    () => writeAtomically(snap, PATCHED, { backupDir: join(dir, 'ro-backups'), now }),
    /EROFS|read-only/,
  );
  assert.equal(readFileSync(p, 'utf8'), ORIGINAL);
  assert.deepEqual(readdirSync(join(dir, 'ro', 'manifests')), ['kube-proxy.manifest']);
  assert.equal(readdirSync(join(dir, 'ro-backups')).length, 1, 'the backup was kept');
});

test('full disk mid-write: error, original intact, temp file removed', (t) => {
  const p = onTmpfs(t, 'full', 'size=8k');
  if (!p) return;
  const snap = snapshot(p);
  const huge = PATCHED + 'x'.repeat(64 * 1024);
  assert.throws(
    () => writeAtomically(snap, huge, { backupDir: join(dir, 'full-backups'), now }),
    /ENOSPC|no space/i,
  );
  assert.equal(readFileSync(p, 'utf8'), ORIGINAL);
  assert.deepEqual(readdirSync(join(dir, 'full', 'manifests')), ['kube-proxy.manifest']);
});

test('a backup disk that is full leaves no backup at all (no 0-byte file) and the manifest as it was', (t) => {
  const p = manifest('fullbackup');
  const big = Buffer.concat([Buffer.from(ORIGINAL), Buffer.alloc(64 * 1024, 0x23)]);
  writeFileSync(p, big);
  const backups = onTmpfsDir(t, 'fullbackup-disk', 'size=16k');
  if (!backups) return;
  for (let attempt = 0; attempt < 3; attempt++)
    assert.throws(
      () => writeAtomically(snapshot(p), PATCHED, { backupDir: backups, now }),
      /ENOSPC|no space/i,
    );
  assert.deepEqual(readdirSync(backups), [], 'no partial backup, no temp file, on any attempt');
  assert.deepEqual(readFileSync(p), big);
});

test('a retry after a failed write reuses the backup it made instead of adding another', (t) => {
  const p = onTmpfs(t, 'retry', 'size=64k');
  if (!p) return;
  const backups = join(dir, 'retry-backups');
  const snap = snapshot(p);
  assert.equal(spawnSync('mount', ['-o', 'remount,ro', join(dir, 'retry')]).status, 0);
  for (const minute of [1, 2])
    assert.throws(() =>
      writeAtomically(snap, PATCHED, {
        backupDir: backups,
        now: new Date(now.getTime() + minute * 60_000),
      }),
    );
  assert.equal(readdirSync(backups).length, 1);
  assert.equal(spawnSync('mount', ['-o', 'remount,rw', join(dir, 'retry')]).status, 0);
  const backup = writeAtomically(snapshot(p), PATCHED, {
    backupDir: backups,
    now: new Date(now.getTime() + 3 * 60_000),
  });
  assert.deepEqual(readdirSync(backups), [backup.slice(backups.length + 1)]);
  assert.equal(readFileSync(backup, 'utf8'), ORIGINAL);
});

test('bytes that are not UTF-8 are kept byte for byte, in the result and in the backup', () => {
  const p = manifest('latin1');
  const original = Buffer.concat([
    Buffer.from('# r'),
    Buffer.from([0xe9]),
    Buffer.from('gl\xe9\n', 'latin1'),
    Buffer.from(ORIGINAL),
  ]);
  writeFileSync(p, original);
  const patched = Buffer.concat([original, Buffer.from('spec: {}\n')]);
  const backup = writeAtomically(snapshot(p), patched, {
    backupDir: join(dir, 'latin1', 'b'),
    now,
  });
  assert.deepEqual(readFileSync(backup), original);
  assert.deepEqual(readFileSync(p), patched);
});

test('owner, group and mode are kept; a symbolic link is refused, never replaced', (t) => {
  const p = manifest('owner');
  if (process.getuid?.() !== 0) {
    if (process.env.CI === 'true') throw new Error('needs root in CI');
    t.skip('needs root to chown');
    return;
  }
  chownSync(p, 4242, 4343);
  chmodSync(p, 0o640);
  writeAtomically(snapshot(p), PATCHED, { backupDir: join(dir, 'owner', 'b'), now });
  const st = statSync(p);
  assert.deepEqual([st.uid, st.gid, st.mode & 0o7777], [4242, 4343, 0o640]);
  const link = join(dir, 'owner', 'manifests', 'link.manifest');
  symlinkSync(p, link);
  assert.throws(() => snapshot(link), WriteRefused);
  assert.ok(lstatSync(link).isSymbolicLink());
});

/** An empty tmpfs of the given options (root only). */
function onTmpfsDir(
  t: import('node:test').TestContext,
  name: string,
  options: string,
): string | undefined {
  if (process.getuid?.() !== 0) {
    if (process.env.CI === 'true') throw new Error('needs root in CI');
    t.skip('needs root to mount a tmpfs');
    return undefined;
  }
  const mnt = join(dir, name);
  mkdirSync(mnt, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', mnt], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  t.after(() => spawnSync('umount', ['-l', mnt]));
  return mnt;
}
