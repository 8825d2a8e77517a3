// A host that is not a Kubernetes node (an empty host root): scan, audit and fix all say so and
// exit 3 ("unknown"). fix used to say "Nothing to fix." with exit 0, a clean bill of health for
// a node it never saw, and audit printed the OS error (`ENOENT: …, lstat '…'`) as a table row.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/scan.js';

test('scan, audit and fix on a host that is not a node: exit 3, and why', () => {
  const root = mkdtempSync(join(tmpdir(), 'certdrift-not-a-node-'));
  try {
    const scan = runCli(['scan', '--host-root', root, '--runtime-endpoint', 'none']);
    assert.equal(scan.status, 3);
    assert.match(scan.stdout, /Is this a Kubernetes node\?/);

    const audit = runCli(['audit', '--host-root', root]);
    assert.equal(audit.status, 3);
    assert.equal(audit.stdout, '');
    assert.match(
      audit.stderr,
      /^certdrift audit: no static pod directory under .*\(looked for .*\/etc\/kubernetes\/manifests\)\. Is this a Kubernetes node\?/,
    );
    assert.doesNotMatch(audit.stderr, /ENOENT|lstat/);

    const fix = runCli(['fix', '--host-root', root, '--runtime-endpoint', 'none']);
    assert.equal(fix.status, 3, fix.stdout);
    assert.doesNotMatch(fix.stdout, /Nothing to fix/);
    assert.match(
      fix.stdout,
      /Nothing checked: no certificates found under .*Is this a Kubernetes node\?/,
    );
    assert.doesNotMatch(fix.stdout, /ENOENT|lstat/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
