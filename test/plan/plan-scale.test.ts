// Issue #20: plan at 200,000 nodes (kops nodes in 400 instance groups, compact kubectl JSON
// without status: a full listing of that many nodes is over JavaScript's string limit) succeeds in bounded time and memory — no spread of large arrays into calls — and an input over
// the stated limit is a clear error, not a crash.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, truncateSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_INPUT_BYTES } from '../../src/cli/commands/plan-file-source.js';
import { BIN } from '../support/scan.js';
import { daysFrom, kopsNode } from './fleet-fixtures.js';
import { SYNTHETIC_AT } from './synthetic-fleet.js';

const NODES = 200_000;

/** The node list written item by item: the test never holds a 200,000-node string. */
function writeNodes(path: string): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, '{"apiVersion":"v1","kind":"List","items":[');
    for (let i = 0; i < NODES; i++) {
      const ig = `nodes-${String(i % 400).padStart(3, '0')}`;
      const created = daysFrom(SYNTHETIC_AT, -((i * 7919) % 400) - 0.5);
      // what plan reads of a Node: its metadata and spec (`jq -c '.items[] |= del(.status)'`)
      const { status: _status, ...node } = kopsNode(`${ig}-${i}`, ig, created);
      writeSync(fd, (i ? ',' : '') + JSON.stringify(node));
    }
    writeSync(fd, ']}');
  } finally {
    closeSync(fd);
  }
}

test('plan of 200,000 nodes succeeds in bounded time and memory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'certdrift-plan-scale-'));
  try {
    const nodes = join(dir, 'nodes.json');
    writeNodes(nodes);
    const t0 = performance.now();
    // python's getrusage gives the child's peak RSS
    const res = spawnSync(
      'python3',
      [
        '-c',
        'import resource,subprocess,sys;r=subprocess.run(sys.argv[1:],stdout=subprocess.PIPE,stderr=subprocess.PIPE);sys.stdout.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)+"\\n"+r.stdout.decode()[:4000]);sys.stderr.write(r.stderr.decode()[-4000:]);sys.exit(r.returncode)',
        process.execPath,
        BIN,
        'plan',
        '--nodes',
        nodes,
        '--at',
        SYNTHETIC_AT.toISOString(),
        '-o',
        'json',
      ],
      { encoding: 'utf8', maxBuffer: 64 << 20 },
    );
    const ms = performance.now() - t0;
    assert.ok(res.status !== null && res.status <= 2, res.stderr);
    const [rssKb = '0', ...rest] = res.stdout.split('\n');
    const doc = rest.join('\n');
    assert.match(doc, /"nodes": ?200000/);
    const rssMb = Number(rssKb) / 1024;
    process.stdout.write(
      `# plan 200,000 nodes: ${Math.round(ms)} ms, peak RSS ${Math.round(rssMb)} MB\n`,
    );
    assert.ok(rssMb < 2048, `peak RSS ${Math.round(rssMb)} MB over 2 GiB`);
    assert.ok(ms < 180_000, `${Math.round(ms)} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an input over the limit is a clear error before it is read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'certdrift-plan-scale-'));
  try {
    const nodes = join(dir, 'nodes.json');
    closeSync(openSync(nodes, 'w'));
    truncateSync(nodes, MAX_INPUT_BYTES + 1); // sparse: no disk used
    const res = spawnSync(process.execPath, [BIN, 'plan', '--nodes', nodes], { encoding: 'utf8' });
    assert.equal(res.status, 3);
    assert.match(res.stderr, /over the 402653184-byte input limit/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
