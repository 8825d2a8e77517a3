// The spliced gzip member is an ordinary gzip stream: Node's gunzip, the gzip tool (-t checks
// the CRC and length) and a strict single-member reader all get the exact body back.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { gunzipSync, inflateRawSync } from 'node:zlib';
import { deflatePrefix, gzipAfter } from './gzip-splice.js';

const cases: [string, Buffer, Buffer][] = [
  ['text', Buffer.from('a{x="1"} 1\n'.repeat(50_000)), Buffer.from('\n# HELP rest\nrest 1\n')],
  ['empty prefix', Buffer.alloc(0), Buffer.from('only the rest\n')],
  ['empty suffix', Buffer.from('prefix only\n'), Buffer.alloc(0)],
  ['incompressible', randomBytes(300_000), randomBytes(70_000)],
];

for (const [name, prefix, suffix] of cases) {
  test(`gzip splice: ${name}`, async () => {
    const gz = await gzipAfter(await deflatePrefix(prefix), suffix);
    const body = Buffer.concat([prefix, suffix]);
    assert.ok(gunzipSync(gz).equals(body));
    // one member: the deflate data after the 10-byte header ends exactly before the trailer
    assert.ok(inflateRawSync(gz.subarray(10, gz.length - 8)).equals(body));
    const tool = spawnSync('gzip', ['-dc'], { input: gz, maxBuffer: 1 << 26 });
    assert.equal(tool.status, 0, tool.stderr.toString());
    assert.ok(tool.stdout.equals(body));
  });
}

test('gzip splice: the prefix is compressed once and reused for new suffixes', async () => {
  const prefix = await deflatePrefix(Buffer.from('p'.repeat(10_000)));
  const one = gunzipSync(await gzipAfter(prefix, Buffer.from('one\n'))).toString();
  const two = gunzipSync(await gzipAfter(prefix, Buffer.from('two\n'))).toString();
  assert.equal(one, `${'p'.repeat(10_000)}one\n`);
  assert.equal(two, `${'p'.repeat(10_000)}two\n`);
});
