// The ledger on disk: written atomically (no temp file left, the whole document or the old one),
// read back equal, damaged files reported and replaced, and a ledger that cannot be written never
// fails the agent's scan.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LedgerRecorder } from '../../src/agent/ledger-recorder.js';
import type { ScanOutcome } from '../../src/agent/metrics.js';
import {
  ledgerPath,
  readLedgerFile,
  writeLedgerFile,
} from '../../src/adapters/host/ledger-file.js';
import type { Ledger } from '../../src/ledger/types.js';
import { cert, inventory } from '../support/inventory.js';
import { startAgent, type AgentProcess } from '../support/agent-process.js';

const outcome = (serial: string, now: string): ScanOutcome => ({
  inventory: inventory([
    cert({
      path: '/srv/kubernetes/kubelet-server.crt',
      serial,
      fingerprintSha256: serial.repeat(64).slice(0, 64),
    }),
  ]),
  findings: [],
  lifetime: null,
  now: new Date(now),
  durationSeconds: 0,
});

test('recorded scans persist and an agent restart continues the history', () => {
  const dir = mkdtempSync(join(tmpdir(), 'certdrift-ledger-'));
  try {
    const file = ledgerPath(join(dir, 'state'));
    const store = {
      read: () => readLedgerFile(file),
      write: (l: Parameters<typeof writeLedgerFile>[1]) => writeLedgerFile(file, l),
    };
    new LedgerRecorder(store, 'n1', () => undefined).record(outcome('A', '2026-11-01T00:00:00Z'));
    // a new agent process: reads the file once, then adds to it
    new LedgerRecorder(store, 'n1', () => undefined).record(outcome('B', '2026-11-02T00:00:00Z'));
    const { ledger } = readLedgerFile(file);
    assert.deepEqual(
      ledger?.locations[0]?.entries.map((e) => e.serial),
      ['A', 'B'],
    );
    assert.deepEqual(readdirSync(join(dir, 'state')), ['ledger.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a damaged ledger is reported and replaced; an unwritable one is logged, not thrown', () => {
  const dir = mkdtempSync(join(tmpdir(), 'certdrift-ledger-'));
  try {
    const file = join(dir, 'ledger.json');
    writeFileSync(file, '{"kind":"CertificateLedger","upd');
    const logs: string[] = [];
    const store = {
      read: () => readLedgerFile(file),
      write: (l: Parameters<typeof writeLedgerFile>[1]) => writeLedgerFile(file, l),
    };
    new LedgerRecorder(store, 'n1', (m) => logs.push(m)).record(
      outcome('A', '2026-11-01T00:00:00Z'),
    );
    assert.match(logs[0] ?? '', /not JSON .*starting a new one/);
    assert.equal(readLedgerFile(file).ledger?.node, 'n1');

    const blocked = join(file, 'below-a-file', 'ledger.json'); // a path under a regular file: ENOTDIR
    const rec = new LedgerRecorder(
      { read: () => readLedgerFile(blocked), write: (l) => writeLedgerFile(blocked, l) },
      'n1',
      (m) => logs.push(m),
    );
    const o = outcome('C', '2026-11-03T00:00:00Z');
    const recorded = rec.record(o);
    assert.equal(recorded.inventory, o.inventory);
    assert.equal(recorded.ledger, rec.current(), 'the outcome goes on with the ledger');
    assert.match(logs.at(-1) ?? '', /ledger not saved .*next scan retries/);
    assert.equal(rec.current()?.locations.length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unchanged scan passes the kept ledger on (to be published) and retries a failed write', () => {
  const dir = mkdtempSync(join(tmpdir(), 'certdrift-ledger-'));
  try {
    const file = ledgerPath(join(dir, 'state'));
    let fail = true;
    const writes: string[] = [];
    const rec = new LedgerRecorder(
      {
        read: () => readLedgerFile(file),
        write: (l) => {
          if (fail) throw new Error('disk full');
          writes.push(l.updatedAt);
          writeLedgerFile(file, l);
        },
      },
      'n1',
      () => undefined,
    );
    const first = rec.record(outcome('A', '2026-11-01T00:00:00Z'));
    assert.ok(first.ledger);
    // the worker saw nothing new: its outcome has no ledger and no certificates
    const unchanged = {
      ...outcome('A', '2026-11-01T00:05:00Z'),
      inventory: inventory([]),
      ledgerUnchanged: true,
    };
    fail = false;
    const second = rec.record(unchanged);
    assert.equal(second.ledger, first.ledger, 'the kept ledger, not one rebuilt from nothing');
    assert.deepEqual(writes, ['2026-11-01T00:00:00.000Z'], 'the failed write retried');
    assert.equal(readLedgerFile(file).ledger?.locations[0]?.entries[0]?.serial, 'A');
    const third = rec.record({ ...unchanged, now: new Date('2026-11-01T00:10:00Z') });
    assert.equal(third.ledger, first.ledger);
    assert.equal(writes.length, 1, 'written once: nothing changed since');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Issue #20: the state directory is on the node, so nothing in it steers the root agent.

const ledgerDoc = (node: string, serials: string[]): string =>
  JSON.stringify({
    apiVersion: 'certdrift.io/v1alpha1',
    kind: 'CertificateLedger',
    node,
    updatedAt: '2026-11-02T00:00:00.000Z',
    locations: serials.map((serial, i) => ({
      kind: 'file',
      path: `/srv/kubernetes/c${i}.crt`,
      component: 'kubelet',
      entries: [
        {
          serial,
          fingerprintSha256: 'AB'.repeat(32),
          subject: 'CN=x',
          notAfter: '2027-01-01T00:00:00.000Z',
          firstSeen: '2026-11-01T00:00:00.000Z',
          lastSeen: '2026-11-02T00:00:00.000Z',
        },
        {
          serial: `${serial}2`,
          fingerprintSha256: 'CD'.repeat(32),
          subject: 'CN=x',
          notAfter: '2027-02-01T00:00:00.000Z',
          firstSeen: '2026-11-01T00:00:00.000Z',
          lastSeen: '2026-11-02T00:00:00.000Z',
        },
      ],
    })),
  }) + '\n';

const AT = new Date('2026-11-03T04:05:06.789Z');
const ASIDE = 'ledger.json.corrupt-2026-11-03T04-05-06Z';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'certdrift-ledger-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a planted temp-file link is never written through (random name, O_EXCL|O_NOFOLLOW)', () => {
  withDir((dir) => {
    const state = join(dir, 'state');
    mkdirSync(state, { mode: 0o700 });
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious\n');
    // the name the agent used to write through: .ledger.json.<pid>.tmp
    symlinkSync(victim, join(state, `.ledger.json.${process.pid}.tmp`));
    writeLedgerFile(ledgerPath(state), JSON.parse(ledgerDoc('n1', ['A'])) as Ledger);
    assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
    assert.equal(readLedgerFile(ledgerPath(state)).ledger?.node, 'n1');
    assert.equal(lstatSync(join(state, 'ledger.json')).isFile(), true);
  });
});

test('a symbolic-link ledger is refused: its target is neither read, quoted nor touched', () => {
  withDir((dir) => {
    const secret = join(dir, 'secret');
    writeFileSync(secret, 'TOPSECRET-0123456789\n');
    symlinkSync(secret, join(dir, 'ledger.json'));
    const r = readLedgerFile(join(dir, 'ledger.json'), { moveAsideAt: AT });
    assert.equal(r.ledger, null);
    assert.match(r.problem ?? '', /symbolic link; not followed/);
    assert.doesNotMatch(r.problem ?? '', /TOPSECRET|0123/);
    assert.equal(readFileSync(secret, 'utf8'), 'TOPSECRET-0123456789\n');
    assert.equal(lstatSync(join(dir, ASIDE)).isSymbolicLink(), true, 'the link moved aside');
  });
});

test('a state directory that is a link, or owned by another user, is not used', () => {
  withDir((dir) => {
    const real = join(dir, 'real');
    mkdirSync(real);
    writeFileSync(join(real, 'ledger.json'), ledgerDoc('n1', ['A']));
    symlinkSync(real, join(dir, 'state'));
    const r = readLedgerFile(ledgerPath(join(dir, 'state')), { moveAsideAt: AT });
    assert.equal(r.ledger, null);
    assert.match(r.problem ?? '', /state directory .* symbolic link/);
    assert.throws(
      () => writeLedgerFile(ledgerPath(join(dir, 'state')), r.ledger ?? ({} as Ledger)),
      /symbolic link/,
    );
  });
  withDir((dir) => {
    const uid = process.geteuid?.();
    if (uid !== 0) return; // chown needs root; CI runs as root
    const state = join(dir, 'state');
    mkdirSync(state);
    writeFileSync(join(state, 'ledger.json'), ledgerDoc('n1', ['A']));
    chownSync(state, 65534, 65534);
    const r = readLedgerFile(ledgerPath(state), { moveAsideAt: AT });
    assert.equal(r.ledger, null);
    assert.match(r.problem ?? '', /owned by uid 65534, not 0/);
    assert.throws(
      () => writeLedgerFile(ledgerPath(state), JSON.parse(ledgerDoc('n1', ['B'])) as Ledger),
      /owned by uid 65534/,
    );
    assert.equal(readFileSync(join(state, 'ledger.json'), 'utf8'), ledgerDoc('n1', ['A']));
  });
});

test('an oversized ledger is refused before any byte is read, and moved aside', () => {
  withDir((dir) => {
    const file = join(dir, 'ledger.json');
    // 500 MB, sparse: costs no disk, and reading it would cost the agent gigabytes
    writeFileSync(file, '');
    truncateSync(file, 500 * 1024 * 1024);
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    const r = readLedgerFile(file, { moveAsideAt: AT });
    assert.ok(performance.now() - t0 < 200, 'not read');
    assert.ok(process.memoryUsage().rss - rss0 < 16 * 1024 * 1024);
    assert.equal(r.ledger, null);
    assert.match(r.problem ?? '', /524288000 bytes, over the 33554432-byte limit; not read/);
    assert.equal(statSync(join(dir, ASIDE)).size, 500 * 1024 * 1024);
    assert.equal(r.movedTo, join(dir, ASIDE));
  });
});

test('a truncated ledger is moved aside and salvaged entry by entry; messages quote nothing', () => {
  withDir((dir) => {
    const file = join(dir, 'ledger.json');
    const whole = ledgerDoc('n1', ['AA', 'BB', 'CC']);
    // cut inside the third location's second entry: its first entry is complete
    const cut = whole.indexOf('"CC2"');
    writeFileSync(file, whole.slice(0, cut));
    const r = readLedgerFile(file, { moveAsideAt: AT });
    assert.deepEqual(
      r.ledger?.locations.map((l) => l.entries.map((e) => e.serial)),
      [['AA', 'AA2'], ['BB', 'BB2'], ['CC']],
    );
    assert.equal(r.ledger.node, 'n1');
    assert.match(r.problem ?? '', /not JSON.*salvaged 5 entries in 3 locations; moved aside/);
    assert.doesNotMatch(r.problem ?? '', /CertificateLedger|"/);
    assert.equal(readFileSync(join(dir, ASIDE), 'utf8'), whole.slice(0, cut), 'kept as it was');

    // not a ledger at all, with content that must not reach a log
    writeFileSync(file, 'password=hunter2 {');
    const bad = readLedgerFile(file, { moveAsideAt: new Date('2026-11-04T00:00:00Z') });
    assert.equal(bad.ledger, null);
    assert.doesNotMatch(bad.problem ?? '', /hunter2|password/);
  });
});

test('an unreadable ledger (a directory in its place) is moved aside; the recorder goes on', () => {
  withDir((dir) => {
    const file = join(dir, 'ledger.json');
    mkdirSync(file);
    const logs: string[] = [];
    const rec = new LedgerRecorder(
      {
        read: () => readLedgerFile(file, { moveAsideAt: AT }),
        write: (l) => writeLedgerFile(file, l),
      },
      'n1',
      (m) => logs.push(m),
    );
    rec.record(outcome('A', '2026-11-01T00:00:00Z'));
    assert.match(logs[0] ?? '', /not a regular file; moved aside .* starting a new one/);
    assert.equal(statSync(join(dir, ASIDE)).isDirectory(), true);
    assert.equal(readLedgerFile(file).ledger?.locations[0]?.entries[0]?.serial, 'A');
  });
});

test('the agent becomes ready with a symlinked or oversized ledger in its state directory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'certdrift-ledger-agent-'));
  const agents: AgentProcess[] = [];
  try {
    mkdirSync(join(dir, 'big'), { mode: 0o700 });
    writeFileSync(join(dir, 'big/ledger.json'), '');
    truncateSync(join(dir, 'big/ledger.json'), 500 * 1024 * 1024);
    mkdirSync(join(dir, 'link'), { mode: 0o700 });
    writeFileSync(join(dir, 'secret'), 'TOPSECRET\n');
    symlinkSync(join(dir, 'secret'), join(dir, 'link/ledger.json'));
    mkdirSync(join(dir, 'host/etc'), { recursive: true }); // a host root that is not empty
    for (const [i, state] of ['big', 'link'].entries()) {
      const a = startAgent(join(dir, 'host'), 7100 + i, ['--state-dir', join(dir, state)]);
      agents.push(a);
      let ready = 0;
      for (let t = 0; t < 100 && ready !== 200; t++) {
        await new Promise((r) => setTimeout(r, 100));
        ready = await fetch(`http://127.0.0.1:${a.port}/readyz`).then(
          (r) => r.status,
          () => 0,
        );
      }
      assert.equal(ready, 200, `${state}: ${a.stderr()}`);
      assert.match(a.stderr(), /moved aside/);
      assert.doesNotMatch(a.stderr(), /TOPSECRET/);
    }
    assert.equal(readFileSync(join(dir, 'secret'), 'utf8'), 'TOPSECRET\n');
  } finally {
    for (const a of agents) a.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
