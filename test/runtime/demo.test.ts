// `npm run demo` on the real containerd + runc: it runs to the end and leaves nothing behind —
// no certdrift-demo-* directory, so no lab CA key (pki/ca.key) either. It used to leave the
// directory with pki/ and the fix runs' backups in it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireRuntime } from '../support/lab.js';
import { REPO } from '../support/scan.js';

test('the demo runs through and leaves no certdrift-demo-* directory', (t) => {
  if (!requireRuntime(t)) return;
  // the demo's mktemp honours TMPDIR: a directory of our own, so other runs cannot interfere
  const tmp = mkdtempSync(join(tmpdir(), 'certdrift-demo-test-'));
  const res = spawnSync('bash', [join(REPO, 'scripts/demo.sh')], {
    env: { ...process.env, TMPDIR: tmp },
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(res.status, 0, res.stderr);
  assert.match(res.stdout, /== 10\. The next rotation/);
  assert.deepEqual(readdirSync(tmp), []);
  rmdirSync(tmp);
});
