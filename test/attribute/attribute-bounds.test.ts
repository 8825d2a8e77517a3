// `certdrift attribute` stays within a memory bound whatever the log holds (issue #20): the real
// CLI is fed hostile logs generated on the fly through a pipe (nothing large touches the disk),
// and the child's peak resident set (VmHWM in /proc/<pid>/status, polled) is held under
// RSS_BOUND. Before the bounds, a 200 MB line aborted the process, 1e6 distinct serials aborted
// in both output modes, --follow grew 25 MB/s and 512 MiB without a newline threw a RangeError.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { BIN } from '../support/scan.js';

/**
 * The bound asserted on the CLI's peak RSS. Node itself takes about 50 MB; V8 lets garbage in
 * the old generation reach about 130 MB before a full collection, whatever the live set (15–25 MB
 * after a full collection with 10,000 certificates kept). Measured: 85–95 MB for the long lines,
 * 165–192 MB for 1e6 serials on Node 20 and 260–263 MB on Node 24, whose heap grows further
 * before it collects; before the bounds the same inputs took gigabytes or aborted.
 */
const RSS_BOUND = 320 * 1024 * 1024;
const MiB = 1024 * 1024;

const failure = (sn: number | bigint): string =>
  `E1130 06:00:01.000000       1 authentication.go:73] "Unable to authenticate the request" err="verifying certificate SN=${sn}, SKID=, AKID= failed: x509: certificate signed by unknown authority"\n`;

/** A status field of a live process in bytes (VmHWM, VmRSS), or undefined once it has gone. */
function statusBytes(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(
      readFileSync(`/proc/${pid}/status`, 'utf8'),
    );
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined; // exited between polls: the last value read stands
  }
}

interface Fed {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stdoutBytes: number;
  stderr: string;
  /** the highest VmHWM seen while it ran */
  peakRss: number;
}

/**
 * Runs the CLI with `produce` writing its stdin (each write waits for the pipe), polling VmHWM.
 * `keep` false: stdout is counted, not kept (--follow prints a row per new certificate).
 */
async function runFed(
  args: string[],
  produce: (write: (chunk: string | Buffer) => Promise<void>, pid: number) => Promise<void>,
  keep = true,
): Promise<Fed> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const pid = child.pid ?? 0;
  let peakRss = 0;
  const poll = setInterval(() => {
    peakRss = Math.max(peakRss, statusBytes(pid, 'VmHWM') ?? 0);
  }, 20);
  let stdout = '';
  let stdoutBytes = 0;
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => {
    stdoutBytes += b.length;
    if (keep) stdout += b.toString();
  });
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  // a child that dies mid-feed closes the pipe: the exit status is what the test asserts
  let broken = false;
  child.stdin.on('error', () => (broken = true));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const write = async (chunk: string | Buffer): Promise<void> => {
    if (!broken && !child.stdin.write(chunk))
      await Promise.race([once(child.stdin, 'drain'), exited]);
  };
  await produce(write, pid);
  child.stdin.end();
  const [status, signal] = await exited;
  clearInterval(poll);
  return { status, signal, stdout, stdoutBytes, stderr, peakRss };
}

const mb = (n: number): string => `${(n / MiB).toFixed(0)} MB`;

test('a 200 MB log line is skipped and counted; the lines around it are read', async () => {
  const filler = Buffer.alloc(MiB, 'A');
  const res = await runFed(['attribute', '--log', '-', '-o', 'json'], async (write) => {
    await write(failure(1));
    // one line: an authentication failure whose err value is 200 MB long
    await write(failure(2).slice(0, -2));
    for (let i = 0; i < 200; i++) await write(filler);
    await write('"\n');
    await write(failure(3));
  });
  assert.equal(res.status, 2, res.stderr);
  const rep = JSON.parse(res.stdout) as {
    summary: { skippedLines: number; failingCertificates: number };
    certificates: { serialDecimal: string; firstSeenIn: string }[];
  };
  assert.equal(rep.summary.skippedLines, 1);
  assert.deepEqual(rep.certificates.map((c) => `${c.serialDecimal}@${c.firstSeenIn}`).sort(), [
    '1@-:1',
    '3@-:3',
  ]);
  assert.ok(res.peakRss < RSS_BOUND, `peak RSS ${mb(res.peakRss)}`);
  process.stdout.write(`# 200 MB line: peak RSS ${mb(res.peakRss)}\n`);
});

test('512 MiB without a newline: no crash, one skipped line, bounded memory', async () => {
  const filler = Buffer.alloc(MiB, 'x');
  const res = await runFed(['attribute', '--log', '-'], async (write) => {
    for (let i = 0; i < 512; i++) await write(filler);
  });
  assert.equal(res.status, 0, res.stderr);
  assert.equal(res.stderr, '');
  assert.match(
    res.stdout,
    /^No client-certificate failures in -\. · 1 log line over 1 MiB skipped$/m,
  );
  assert.ok(res.peakRss < RSS_BOUND, `peak RSS ${mb(res.peakRss)}`);
  process.stdout.write(`# 512 MiB newline-free: peak RSS ${mb(res.peakRss)}\n`);
});

/** 1e6 lines, each a failure of a different serial, in batches of 1,000 lines per write. */
async function millionSerials(write: (chunk: string) => Promise<void>): Promise<void> {
  for (let batch = 0; batch < 1000; batch++) {
    let s = '';
    for (let i = 0; i < 1000; i++) s += failure(1_000_000 + batch * 1000 + i);
    await write(s);
  }
}

test('1e6 distinct serials, -o json: the 10,000 seen last are kept, the rest counted', async () => {
  const res = await runFed(['attribute', '--log', '-', '-o', 'json'], millionSerials);
  assert.equal(res.status, 2, res.stderr);
  const rep = JSON.parse(res.stdout) as {
    summary: Record<string, number>;
    certificates: { serialDecimal: string }[];
  };
  assert.deepEqual(rep.summary, {
    failingCertificates: 10_000,
    attributed: 0,
    unattributed: 10_000,
    failures: 1_000_000,
    skippedLines: 0,
    evictedCertificates: 990_000,
  });
  const kept = new Set(rep.certificates.map((c) => c.serialDecimal));
  assert.ok(kept.has('1999999') && kept.has('1990000') && !kept.has('1989999'));
  assert.ok(res.peakRss < RSS_BOUND, `peak RSS ${mb(res.peakRss)}`);
  process.stdout.write(`# 1e6 serials -o json: peak RSS ${mb(res.peakRss)}\n`);
});

test('1e6 distinct serials, table: bounded, and the summary says what was dropped', async () => {
  const res = await runFed(['attribute', '--log', '-'], millionSerials);
  assert.equal(res.status, 2, res.stderr);
  assert.match(
    res.stdout,
    /^10000 failing certificates \(1000000 failures\) · 0 attributed · 10000 unattributed · .* · 990000 failing certificates seen least recently dropped \(at most 10000 kept\)$/m,
  );
  assert.ok(res.peakRss < RSS_BOUND, `peak RSS ${mb(res.peakRss)}`);
  process.stdout.write(`# 1e6 serials table: peak RSS ${mb(res.peakRss)}\n`);
});

test('--follow with distinct serials: memory stays flat once the cap is reached', async () => {
  const LINES = 240_000;
  const samples: number[] = [];
  const res = await runFed(
    ['attribute', '--follow', '--log', '-', '-o', 'json'],
    async (write, pid) => {
      for (let batch = 0; batch < LINES / 1000; batch++) {
        let s = '';
        for (let i = 0; i < 1000; i++) s += failure(5_000_000 + batch * 1000 + i);
        await write(s);
        // past the 10,000 kept (and the heap's warm-up), then every 40,000 lines
        if (batch >= 40 && batch % 40 === 0) samples.push(statusBytes(pid, 'VmHWM') ?? 0);
      }
    },
    false,
  );
  assert.equal(res.status, 2, res.stderr);
  // one JSON object per newly failing certificate: every line, since each serial is new
  assert.ok(res.stdoutBytes > LINES * 100);
  const first = samples[0] ?? 0;
  const last = samples[samples.length - 1] ?? 0;
  assert.ok(first > 0 && res.peakRss < RSS_BOUND, `peak RSS ${mb(res.peakRss)}`);
  // Before the bound it kept every certificate, about 1 KB each: the 80,000 read between the
  // middle sample and the last would add 80 MB. Bounded, the high-water mark has reached the
  // heap's sawtooth ceiling by then (Node 24 gets there later than Node 20: 150 → 218 → 241 →
  // 246 → 246 MB) and stays.
  const middle = samples[Math.floor(samples.length / 2)] ?? 0;
  assert.ok(last - middle < 32 * MiB, `VmHWM ${samples.map(mb).join(' → ')}`);
  process.stdout.write(`# --follow: VmHWM ${samples.map(mb).join(' → ')}\n`);
});
