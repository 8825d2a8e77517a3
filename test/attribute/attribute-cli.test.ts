// `certdrift attribute` as a user runs it: the real CLI, a real scan document from a kops node
// tree, logs from files, from stdin, and streamed through a pipe with --follow.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildKopsNode, NOW, type BuiltNode } from '../support/nodes.js';
import { BIN, runCli } from '../support/scan.js';

let node: BuiltNode;
let dir: string;
let scanFile: string;
let proxySerial: bigint;

const failure = (sn: bigint | number, at = '06:00:01'): string =>
  `2026-11-30T${at}.000000000Z stderr F E1130 ${at}.000000       1 authentication.go:73] "Unable to authenticate the request" err="[x509: certificate has expired or is not yet valid: current time 2026-11-30T${at}Z is after 2026-11-30T05:18:59Z, verifying certificate SN=${sn}, SKID=, AKID= failed: x509: certificate has expired or is not yet valid: current time 2026-11-30T${at}Z is after 2026-11-30T05:18:59Z]"`;

before(async () => {
  node = await buildKopsNode();
  dir = mkdtempSync(join(tmpdir(), 'certdrift-attr-'));
  const res = runCli([
    'scan',
    '--runtime-endpoint',
    'none',
    '--host-root',
    node.tree.root,
    '--node-name',
    'i-0abc',
    '--at',
    NOW.toISOString(),
    '-o',
    'json',
  ]);
  assert.equal(res.status, 0, res.stderr);
  const doc = JSON.parse(res.stdout) as {
    nodeName: string;
    certificates: { component: string; serial: string }[];
  };
  assert.equal(doc.nodeName, 'i-0abc');
  const kp = doc.certificates.find((c) => c.component === 'kube-proxy');
  assert.ok(kp);
  proxySerial = BigInt(`0x${kp.serial}`);
  scanFile = join(dir, 'i-0abc.json');
  writeFileSync(scanFile, res.stdout);
});
after(() => {
  node.tree.remove();
  rmSync(dir, { recursive: true, force: true });
});

test('a log file: the kube-proxy serial is attributed, an unknown one is not', () => {
  const log = join(dir, 'apiserver.log');
  writeFileSync(
    log,
    [failure(proxySerial), 'noise', failure(424242), failure(proxySerial, '06:05:00')].join('\n'),
  );
  const res = runCli(['attribute', '--log', log, '--scan', scanFile, '-o', 'json']);
  assert.equal(res.status, 2, res.stderr);
  const rep = JSON.parse(res.stdout) as {
    summary: { attributed: number; unattributed: number; failures: number };
    certificates: {
      serialDecimal: string;
      node?: string;
      component?: string;
      count: number;
      attributed: boolean;
    }[];
  };
  assert.deepEqual(rep.summary, {
    failingCertificates: 2,
    attributed: 1,
    unattributed: 1,
    failures: 3,
    skippedLines: 0,
    evictedCertificates: 0,
  });
  const kp = rep.certificates.find((c) => c.serialDecimal === String(proxySerial));
  assert.equal(kp?.node, 'i-0abc');
  assert.equal(kp.component, 'kube-proxy');
  assert.equal(kp.count, 2);
  assert.equal(rep.certificates.find((c) => c.serialDecimal === '424242')?.attributed, false);
});

test('table output, from stdin; no failures exits 0', () => {
  const res = runCli(['attribute', '--log', '-', '--scan', scanFile], {
    input: failure(proxySerial) + '\n',
  });
  assert.equal(res.status, 2, res.stderr);
  assert.match(
    res.stdout,
    /^COUNT\s+FIRST\s+LAST\s+KIND\s+SERIAL\s+NODE\s+COMPONENT\s+WHERE\s+CAUSE$/m,
  );
  assert.match(
    res.stdout,
    /1\s+2026-11-30T06:00:01Z\s+2026-11-30T06:00:01Z\s+expired\s+\S+\s+i-0abc\s+kube-proxy\s+file/,
  );
  const quiet = runCli(['attribute', '--log', '-'], { input: 'I1130 nothing to see\n' });
  assert.equal(quiet.status, 0, quiet.stderr);
  assert.match(quiet.stdout, /No client-certificate failures/);
});

test('control characters from a hostile log never reach the terminal', () => {
  const evil = failure(77).replace(
    'x509: certificate has expired',
    'x509: \\u001b[31mcertificate has expired',
  );
  const res = runCli(['attribute', '--log', '-'], { input: evil + '\n' });
  assert.equal(res.status, 2);
  assert.doesNotMatch(res.stdout, /\x1b/);
});

test('usage errors exit 3', () => {
  assert.equal(runCli(['attribute']).status, 3);
  assert.equal(runCli(['attribute', '--log', '-', '-o', 'xml']).status, 3);
  const missing = runCli(['attribute', '--log', '-', '--scan', join(dir, 'nope.json')], {
    input: '',
  });
  assert.equal(missing.status, 0);
  assert.match(missing.stderr, /nope\.json/);
});

test('--follow prints each newly failing certificate as its line arrives through a pipe', async () => {
  const child = spawn(
    process.execPath,
    [BIN, 'attribute', '--follow', '--log', '-', '--scan', scanFile, '-o', 'json'],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let out = '';
  const waitFor = (re: RegExp): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${re} in ${out}`)),
        10_000,
      );
      const check = (): void => {
        if (re.test(out)) {
          clearTimeout(timer);
          child.stdout.off('data', onData);
          resolve();
        }
      };
      const onData = (b: Buffer): void => {
        out += b.toString();
        check();
      };
      child.stdout.on('data', onData);
      check();
    });
  child.stdin.write(failure(proxySerial) + '\n');
  // the first attribution is printed while stdin is still open
  await waitFor(/"component":"kube-proxy"/);
  assert.equal(out.trim().split('\n').length, 1);
  child.stdin.write(failure(proxySerial, '06:00:02') + '\n'); // same certificate: nothing new
  child.stdin.write(failure(5150) + '\n');
  await waitFor(/"serialDecimal":"5150"/);
  const objs = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { serialDecimal: string; attributed: boolean });
  assert.deepEqual(
    objs.map((o) => [o.serialDecimal, o.attributed]),
    [
      [String(proxySerial), true],
      ['5150', false],
    ],
  );
  child.stdin.end();
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  assert.equal(code, 2);
});
