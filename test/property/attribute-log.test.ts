// The API-server log parser, the ledger reader and the scan-document reader never throw: random text, random bytes decoded as text, and real
// failure lines cut and spliced at random points.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LogScanner, parseApiServerLog } from '../../src/attribute/parse-log.js';
import { readGoQuoted } from '../../src/attribute/go-quote.js';
import { knowledgeFromScan } from '../../src/attribute/from-scan.js';
import { parseLedger } from '../../src/ledger/parse-ledger.js';

const RUNS = { numRuns: 1500 };
const LINES = [
  `E1130 06:00:01.123456       1 authentication.go:73] "Unable to authenticate the request" err="[x509: certificate has expired or is not yet valid: current time 2026-11-30T06:00:01Z is after 2026-11-30T05:18:59Z, verifying certificate SN=2, SKID=AB:CD, AKID= failed: x509: certificate has expired or is not yet valid: current time 2026-11-30T06:00:01Z is after 2026-11-30T05:18:59Z]"`,
  `2026-11-30T06:00:01.1Z stderr P E1130 06:00:01.123456       1 authentication.go:53] Unable to authenticate the request due to an error: x509: certificate signed by unknown authority`,
  `{"ts":1796018401.1,"caller":"filters/authentication.go:73","msg":"Unable to authenticate the request","err":"verifying certificate SN=99999999999999999999, SKID=, AKID= failed: x509: certificate signed by unknown authority"}`,
];

test('parseApiServerLog never throws on random text', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 600, unit: 'binary' }), (s) => {
      assert.ok(Array.isArray(parseApiServerLog(s, { source: '-', year: 2026 })));
    }),
    RUNS,
  );
});

test('parseApiServerLog never throws on random bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 1024 }), (b) => {
      parseApiServerLog(Buffer.from(b).toString('utf8'), { source: '-' });
    }),
    RUNS,
  );
});

test('real lines cut, spliced and salted never make the scanner throw', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(
          fc.constantFrom(...LINES),
          fc.nat(),
          fc.nat(),
          fc.string({ maxLength: 20, unit: 'binary' }),
        ),
        { maxLength: 8 },
      ),
      (parts) => {
        const s = new LogScanner({ source: '-', year: 2026 });
        for (const [line, a, b, salt] of parts) {
          const i = a % (line.length + 1);
          const j = b % (line.length + 1);
          for (const f of s.feed(line.slice(0, i) + salt + line.slice(j)))
            assert.ok(f.serialHex === undefined || /^[0-9A-F]+$/.test(f.serialHex));
        }
      },
    ),
    RUNS,
  );
});

test('readGoQuoted never throws and round-trips JSON-safe strings', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), fc.nat(), (s, i) => {
      readGoQuoted(s, i % (s.length + 1));
      const q = readGoQuoted(JSON.stringify(s.replace(/[\u2028\u2029]/g, '')), 0);
      assert.ok(q);
    }),
    RUNS,
  );
});

test('parseLedger and knowledgeFromScan never throw on any JSON value', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 5 }), (v) => {
      parseLedger(v);
      knowledgeFromScan(v, 'x');
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        parseLedger({ ...v, kind: 'CertificateLedger', updatedAt: '2026-01-01T00:00:00Z' });
        knowledgeFromScan({ ...v, kind: 'NodeScan' }, 'x');
      }
    }),
    RUNS,
  );
});
