// `certdrift scan` progress (issue #24 item 6), with the real CLI on a real pseudo-terminal
// (util-linux `script`) over a big generated tree. The walk is slowed from outside, without
// touching the code: the test stops and continues the CLI process (SIGSTOP/SIGCONT, a 6 %
// duty cycle), so a walk of a fraction of a second takes several. On the terminal: progress
// lines appear after a second, at most ~10 a second, each within the terminal's width, with
// numbers that only grow, no control character but certdrift's own CR and erase sequences, and
// the line erased before the result. Piped, or -o json to a pipe, or --no-progress: no byte.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from '../support/scan.js';
import { daysFrom, issue } from '../support/certs.js';
import { progressLine } from '../../src/cli/scan-progress.js';

const COLS = 60;
// A deep tree: LEVELS levels of SIBLINGS directories (the first one holds the next level), each
// with FILES files, a certificate every PEM_EVERY directories. The walk lists a level at a time,
// so depth gives it many steps to report.
const LEVELS = 400;
const SIBLINGS = 12;
const FILES = 6;
const PEM_EVERY = 50;
const DIRS = LEVELS * SIBLINGS;
const STOPPED_MS = 90;
const RUNNING_MS = 5;

async function bigTree(t: TestContext): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'certdrift-progress-'));
  t.after(() => {
    rmSync(root, { recursive: true, force: true });
  });
  const now = new Date();
  const cert = await issue({
    cn: 'progress-test',
    notBefore: daysFrom(now, -10),
    notAfter: daysFrom(now, 300),
    seed: 'progress',
  });
  let base = join(root, 'data');
  let n = 0;
  for (let level = 0; level < LEVELS; level++) {
    let next = base;
    for (let s = 0; s < SIBLINGS; s++) {
      // a hostile directory name among them: whatever is shown of it is escaped
      const name = level === 200 && s === 3 ? `evil-\x1b]0;pwned\x07-\x1b[2J` : `d${String(s)}`;
      const dir = join(base, name);
      mkdirSync(dir, { recursive: true });
      for (let f = 0; f < FILES; f++) writeFileSync(join(dir, `f${String(f)}.txt`), 'x');
      if (n++ % PEM_EVERY === 0) writeFileSync(join(dir, 'tls.pem'), cert.pem);
      if (s === 0) next = dir;
    }
    base = next;
  }
  return root;
}

const SCAN = (root: string): string[] => [
  BIN,
  'scan',
  '--host-root',
  root,
  '--preset',
  'none',
  '--path',
  '/data/**/*.pem',
  '--runtime-endpoint',
  'none',
  '--no-probe',
  '--max-files',
  '1000000',
  '-o',
  'json',
];

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

interface Run {
  out: string;
  err: string;
  status: number | null;
  ms: number;
}

/**
 * Runs `argv` (a pty via `script` when `tty`), slowing it with SIGSTOP/SIGCONT once its pid is
 * known: STOPPED_MS stopped in every STOPPED_MS + RUNNING_MS.
 */
function slowedRun(argv: string[], opts: { tty: boolean; redirect?: string }): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'certdrift-progress-run-'));
  const pidFile = join(dir, 'pid');
  const cli = `echo $$ > ${shellQuote(pidFile)}; exec ${[process.execPath, ...argv].map(shellQuote).join(' ')}${opts.redirect ? ` > ${shellQuote(opts.redirect)}` : ''}`;
  // Under `script` the CLI runs below a second shell: `script` stops itself when its own child
  // stops (job control), a shell waiting for its child does not notice.
  const cmd = opts.tty ? `stty cols ${COLS} rows 24; /bin/sh -c ${shellQuote(cli)}` : cli;
  const child = opts.tty
    ? spawn('script', ['-qfec', cmd, '/dev/null'], {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH ?? '', SHELL: '/bin/sh', TERM: 'xterm' },
      })
    : spawn('/bin/sh', ['-c', cmd], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH ?? '' },
      });
  const started = Date.now();
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (c: string) => (out += c));
  child.stderr.on('data', (c: string) => (err += c));
  let done = false;
  const slow = async (): Promise<void> => {
    const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    // The shell writes its pid, then execs the CLI in its place. Only the process spawned here
    // or one below it (two levels at most) is ever stopped.
    let pid = 0;
    const parent = (p: number): number => {
      try {
        const stat = readFileSync(`/proc/${String(p)}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      } catch {
        return 0;
      }
    };
    const ours = (p: number): boolean =>
      p === child.pid || parent(p) === child.pid || parent(parent(p)) === child.pid;
    while (!done && !(pid > 1 && ours(pid))) {
      await pause(5);
      pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : 0;
    }
    if (done) return;
    while (!done) {
      try {
        process.kill(pid, 'SIGSTOP');
        await pause(STOPPED_MS);
        process.kill(pid, 'SIGCONT');
      } catch {
        return; // gone
      }
      await pause(RUNNING_MS);
    }
  };
  const slowing = slow();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (status) => {
      done = true;
      rmSync(dir, { recursive: true, force: true });
      clearTimeout(timer);
      void slowing.then(() => {
        resolve({ out, err, status, ms: Date.now() - started });
      });
    });
  });
}

const PROGRESS =
  /\r(scanning: [\d,]+ files seen, [\d,]+ certificate files(?: · [^\r\x1b]*)?)\x1b\[K/g;

test('progressLine: fits any width, escapes the directory, shortens it in the middle', () => {
  const dir = '/data/evil-\x1b]0;pwned\x07-\x1b[2J-dir/with/a/very/long/path/below/it/leaf';
  for (let width = 2; width <= 200; width++) {
    const line = progressLine(dir, 1_234_567, 89, width);
    assert.ok(Array.from(line).length <= Math.max(width - 1, 2), `${width}: ${line}`);
    assert.doesNotMatch(line, /[\x00-\x1f\x7f-\x9f]/);
  }
  const wide = progressLine(dir, 1_234_567, 89, 200);
  assert.equal(
    wide,
    'scanning: 1,234,567 files seen, 89 certificate files · /data/evil-\\x1b]0;pwned\\x07-\\x1b[2J-dir/with/a/very/long/path/below/it/leaf',
  );
  const narrow = progressLine(dir, 1_234_567, 89, 80);
  assert.match(
    narrow,
    /^scanning: 1,234,567 files seen, 89 certificate files · \/data\/e.*….*leaf$/,
  );
});

test('on a terminal: progress after a second, ≤ ~10 redraws a second, within the width, erased before the result', async (t) => {
  const root = await bigTree(t);
  const r = await slowedRun(SCAN(root), { tty: true });
  assert.equal(r.status, 0, r.out.slice(-2000));
  const lines = [...r.out.matchAll(PROGRESS)].map((m) => m[1] ?? '');
  assert.ok(r.ms > 1500, `the slowed scan took ${r.ms} ms`);
  assert.ok(lines.length >= 5, `${lines.length} progress lines in ${r.ms} ms`);
  assert.ok(lines.length <= (r.ms / 1000) * 10 + 2, `${lines.length} redraws in ${r.ms} ms`);
  for (const l of lines) assert.ok(Array.from(l).length <= COLS - 1, l);
  // numbers only grow; the last says how far the walk got
  const nums = lines.map((l) =>
    (l.match(/[\d,]+/g) ?? []).slice(0, 2).map((n) => Number(n.replace(/,/g, ''))),
  );
  for (let i = 1; i < nums.length; i++) {
    assert.ok((nums[i]?.[0] ?? 0) >= (nums[i - 1]?.[0] ?? 0));
    assert.ok((nums[i]?.[1] ?? 0) >= (nums[i - 1]?.[1] ?? 0));
  }
  assert.ok((nums.at(-1)?.[0] ?? 0) > 1000);
  // the only control characters are CR, LF (the pty's newlines) and certdrift's own erases
  const stripped = r.out.replace(/\x1b\[2K|\x1b\[K/g, '');
  assert.doesNotMatch(stripped, /[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]/);
  // erased before the result: the JSON document follows the last erase
  const lastErase = r.out.lastIndexOf('\r\x1b[2K');
  const lastDraw = r.out.lastIndexOf('\x1b[K');
  assert.ok(lastErase > lastDraw, 'the line is erased at the end');
  const doc = JSON.parse(r.out.slice(lastErase + 5).replace(/\r\n/g, '\n')) as {
    certificates: unknown[];
  };
  assert.equal(doc.certificates.length, DIRS / PEM_EVERY);
});

test('piped, -o json to a pipe, or --no-progress: not one progress byte', async (t) => {
  const root = await bigTree(t);
  const piped = await slowedRun(SCAN(root), { tty: false });
  assert.equal(piped.status, 0, piped.err);
  assert.ok(piped.ms > 1500, `the slowed scan took ${piped.ms} ms`);
  assert.equal(piped.err, '');
  assert.doesNotMatch(piped.out, /[\r\x1b]/);

  const file = join(root, 'out.json');
  const toPipe = await slowedRun(SCAN(root), { tty: true, redirect: file });
  assert.equal(toPipe.status, 0, toPipe.out);
  assert.ok(toPipe.ms > 1500, `${toPipe.ms} ms`);
  assert.equal(toPipe.out, '', 'stderr on the terminal stays quiet while -o json goes to a file');
  assert.equal(
    (JSON.parse(readFileSync(file, 'utf8')) as { certificates: unknown[] }).certificates.length,
    DIRS / PEM_EVERY,
  );

  const quiet = await slowedRun([...SCAN(root), '--no-progress'], { tty: true });
  assert.equal(quiet.status, 0);
  assert.ok(quiet.ms > 1500, `${quiet.ms} ms`);
  assert.doesNotMatch(quiet.out, /scanning:|\x1b/);

  // --progress forces it where auto would not (here: a pipe), at the default 80 columns
  const forced = await slowedRun([...SCAN(root), '--progress'], { tty: false });
  const shown = [...forced.err.matchAll(PROGRESS)].map((m) => m[1] ?? '');
  assert.ok(shown.length >= 2, forced.err.slice(0, 500));
  for (const l of shown) assert.ok(Array.from(l).length <= 79, l);
  assert.ok(forced.err.endsWith('\r\x1b[2K'));
});
