// The ledger on disk: written atomically (no temp file left, the whole document or the old one),
// read back equal, damaged files reported and replaced, and a ledger that cannot be written never
// fails the agent's scan.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LedgerRecorder } from '../../src/agent/ledger-recorder.js';
import type { ScanOutcome } from '../../src/agent/metrics.js';
import {
  ledgerPath,
  readLedgerFile,
  writeLedgerFile,
} from '../../src/adapters/host/ledger-file.js';
import { cert, inventory } from '../support/inventory.js';

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
