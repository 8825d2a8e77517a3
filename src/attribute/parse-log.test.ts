// Every known form of kube-apiserver's "Unable to authenticate the request" line, as real
// servers print it (samples shaped after kube-apiserver 1.18, 1.25 and 1.29 output), wrapped the
// ways operators collect them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseApiServerLog, LogScanner } from './parse-log.js';
import { decimalToHex, parseX509Errors, splitAggregate } from './x509-errors.js';

const SKID = '9E:1C:2B:7A:44:01:DE:AD:BE:EF:00:11:22:33:44:55:66:77:88:99';
const AKID = '5A:3F:10:02:C4:B8:91:7E:0D:6C:AA:BB:CC:DD:EE:FF:01:02:03:04';
const SN = '271828182845904523536028747135266249775';
const EXPIRED = `x509: certificate has expired or is not yet valid: current time 2026-11-30T06:00:01Z is after 2026-11-30T05:18:59Z`;
const AGG = `[${EXPIRED}, verifying certificate SN=${SN}, SKID=${SKID}, AKID=${AKID} failed: ${EXPIRED}]`;
const goQuote = (s: string): string => JSON.stringify(s); // same escapes for this character set

const NEW_TEXT = `E1130 06:00:01.123456       1 authentication.go:73] "Unable to authenticate the request" err=${goQuote(AGG)}`;
const OLD_TEXT = `E1130 06:00:01.123456       1 authentication.go:53] Unable to authenticate the request due to an error: ${AGG}`;
const JSON_NEW = JSON.stringify({
  ts: 1796018401.123456,
  caller: 'filters/authentication.go:73',
  msg: 'Unable to authenticate the request',
  err: AGG,
});
const JSON_OLD = JSON.stringify({
  ts: 1796018401.123456,
  caller: 'filters/authentication.go:53',
  msg: `Unable to authenticate the request due to an error: ${AGG}\n`,
});

interface Row {
  name: string;
  line: string;
  year?: number;
  want: {
    count: number;
    at?: string;
    serialHex?: string;
    kind?: string;
    notAfter?: string;
    notBefore?: string;
    skid?: string;
    akid?: string;
  };
}

const one = {
  count: 1,
  serialHex: BigInt(SN).toString(16).toUpperCase(),
  kind: 'expired',
  notAfter: '2026-11-30T05:18:59.000Z',
  skid: SKID,
  akid: AKID,
};

const ROWS: Row[] = [
  {
    name: 'klog text, structured (1.21+)',
    line: NEW_TEXT,
    want: { ...one, at: '2026-11-30T06:00:01.123Z' },
  },
  {
    name: 'klog text, before 1.21',
    line: OLD_TEXT,
    want: { ...one, at: '2026-11-30T06:00:01.123Z' },
  },
  {
    name: 'klog JSON, structured',
    line: JSON_NEW,
    want: { ...one, at: '2026-11-30T06:00:01.123Z' },
  },
  { name: 'klog JSON, old message', line: JSON_OLD, want: one },
  {
    name: 'CRI log file (kubelet /var/log/pods)',
    line: `2026-11-30T06:00:01.124000000Z stderr F ${NEW_TEXT}`,
    want: { ...one, at: '2026-11-30T06:00:01.124Z' },
  },
  {
    name: 'CRI log file holding JSON',
    line: `2026-11-30T06:00:02.000000000Z stderr F ${JSON_NEW}`,
    want: { ...one, at: '2026-11-30T06:00:01.123Z' },
  },
  {
    name: 'kubectl logs --timestamps',
    line: `2026-11-30T06:00:01.125000000Z ${OLD_TEXT}`,
    want: { ...one, at: '2026-11-30T06:00:01.125Z' },
  },
  {
    name: 'Docker json-file',
    line: JSON.stringify({
      log: `${NEW_TEXT}\n`,
      stream: 'stderr',
      time: '2026-11-30T06:00:01.126Z',
    }),
    want: { ...one, at: '2026-11-30T06:00:01.126Z' },
  },
  {
    name: 'journald / syslog prefix',
    line: `Nov 30 06:00:01 cp-1 kube-apiserver[812]: ${NEW_TEXT}`,
    want: { ...one, at: '2026-11-30T06:00:01.123Z' },
  },
  {
    name: 'single error without brackets (one authenticator)',
    line: `E1130 06:00:01.123456       1 authentication.go:73] "Unable to authenticate the request" err="verifying certificate SN=2, SKID=, AKID= failed: x509: certificate has expired or is not yet valid: current time 2026-11-30T06:00:01Z is after 2026-11-30T05:18:59Z"`,
    want: { count: 1, serialHex: '2', kind: 'expired', skid: '', akid: '' },
  },
  {
    name: 'not yet valid (clock skew), server in another zone',
    line: `E0101 00:30:00.000001       1 authentication.go:73] "Unable to authenticate the request" err="verifying certificate SN=4096, SKID=01:02, AKID=03:04 failed: x509: certificate has expired or is not yet valid: current time 2027-01-01T01:30:00+01:00 is before 2027-01-01T02:00:00Z"`,
    want: {
      count: 1,
      serialHex: '1000',
      kind: 'not-yet-valid',
      notBefore: '2027-01-01T02:00:00.000Z',
      at: '2027-01-01T00:30:00.000Z',
    },
  },
  {
    name: 'unknown authority with the candidate hint',
    line: `E1130 06:00:01.000000       1 authentication.go:73] "Unable to authenticate the request" err="[x509: certificate signed by unknown authority, verifying certificate SN=77, SKID=AA:BB, AKID=CC:DD failed: x509: certificate signed by unknown authority (possibly because of \\"crypto/rsa: verification error\\" while trying to verify candidate authority certificate \\"kubernetes-ca\\")]"`,
    year: 2026,
    want: {
      count: 1,
      serialHex: '4D',
      kind: 'unknown-authority',
      akid: 'CC:DD',
      at: '2026-11-30T06:00:01.000Z',
    },
  },
  {
    name: 'other verification error (key usage)',
    line: `E1130 06:00:01.000000       1 authentication.go:73] "Unable to authenticate the request" err="verifying certificate SN=10, SKID=, AKID= failed: x509: certificate specifies an incompatible key usage"`,
    want: { count: 1, serialHex: 'A', kind: 'other' },
  },
  {
    name: 'API server before 1.19: no identifier',
    line: `E0329 22:00:18.000000       1 authentication.go:53] Unable to authenticate the request due to an error: x509: certificate has expired or is not yet valid`,
    want: { count: 1, kind: 'other' },
  },
  {
    name: 'two certificates in one aggregate',
    line: `E1130 06:00:01.000000       1 authentication.go:73] "Unable to authenticate the request" err="[verifying certificate SN=5, SKID=, AKID= failed: x509: certificate signed by unknown authority, verifying certificate SN=6, SKID=, AKID= failed: ${EXPIRED}]"`,
    want: { count: 2 },
  },
  {
    name: 'bearer token failure only: not a certificate',
    line: `E0526 11:46:11.267368       1 authentication.go:63] "Unable to authenticate the request" err="[invalid bearer token, oidc: authenticator not initialized]"`,
    want: { count: 0 },
  },
  {
    name: 'unrelated line',
    line: `I1130 06:00:01.000000       1 controller.go:624] quota admission added evaluator for: leases.coordination.k8s.io`,
    want: { count: 0 },
  },
];

for (const row of ROWS) {
  test(`parse: ${row.name}`, () => {
    const got = parseApiServerLog(row.line, {
      source: 'apiserver.log',
      ...(row.year ? { year: row.year } : {}),
    });
    assert.equal(got.length, row.want.count, JSON.stringify(got));
    const f = got[0];
    if (!f) return;
    assert.equal(f.source, 'apiserver.log');
    assert.equal(f.line, 1);
    if (row.want.at) assert.equal(f.at?.toISOString(), row.want.at);
    if (row.want.serialHex) assert.equal(f.serialHex, row.want.serialHex);
    else if (row.want.count === 1 && row.name.includes('before 1.19'))
      assert.equal(f.serialHex, undefined);
    if (row.want.kind) assert.equal(f.kind, row.want.kind);
    if (row.want.notAfter) assert.equal(f.certNotAfter?.toISOString(), row.want.notAfter);
    if (row.want.notBefore) assert.equal(f.certNotBefore?.toISOString(), row.want.notBefore);
    if (row.want.skid !== undefined) assert.equal(f.skid, row.want.skid);
    if (row.want.akid !== undefined) assert.equal(f.akid, row.want.akid);
  });
}

test('decimal serials of any size become certdrift hex', () => {
  assert.equal(decimalToHex('2'), '2');
  assert.equal(decimalToHex('255'), 'FF');
  assert.equal(decimalToHex(SN), BigInt(SN).toString(16).toUpperCase());
  assert.equal(decimalToHex(''), undefined);
  assert.equal(decimalToHex('12a'), undefined);
});

test('aggregate splitting keeps SKID/AKID lists and error details whole', () => {
  assert.deepEqual(splitAggregate(AGG), [
    EXPIRED,
    `verifying certificate SN=${SN}, SKID=${SKID}, AKID=${AKID} failed: ${EXPIRED}`,
  ]);
  assert.equal(
    parseX509Errors('x509: certificate signed by unknown authority')[0]?.kind,
    'unknown-authority',
  );
});

test('CRI partial lines are joined before reading', () => {
  const s = new LogScanner({ source: 'x' });
  const cut = NEW_TEXT.length / 2;
  assert.deepEqual(s.feed(`2026-11-30T06:00:01.1Z stderr P ${NEW_TEXT.slice(0, cut)}`), []);
  const got = s.feed(`2026-11-30T06:00:01.2Z stderr F ${NEW_TEXT.slice(cut)}`);
  const [f] = got;
  assert.ok(f && got.length === 1);
  assert.equal(f.at?.toISOString(), '2026-11-30T06:00:01.100Z');
  assert.equal(f.line, 2);
});

test('a klog header without any year is left undated unless a year is given', () => {
  const line = `E1130 06:00:01.000000       1 authentication.go:73] "Unable to authenticate the request" err="verifying certificate SN=9, SKID=, AKID= failed: x509: certificate signed by unknown authority"`;
  assert.equal(parseApiServerLog(line, { source: '-' })[0]?.at, undefined);
  assert.equal(
    parseApiServerLog(line, { source: '-', year: 2026 })[0]?.at?.toISOString(),
    '2026-11-30T06:00:01.000Z',
  );
  // read in January, a November header belongs to the year before
  assert.equal(
    parseApiServerLog(line, {
      source: '-',
      now: new Date('2027-01-05T00:00:00Z'),
    })[0]?.at?.toISOString(),
    '2026-11-30T06:00:01.000Z',
  );
});

test('line numbers count every line', () => {
  const got = parseApiServerLog(['noise', NEW_TEXT, '', OLD_TEXT].join('\n'), { source: 'f' });
  assert.deepEqual(
    got.map((f) => f.line),
    [2, 4],
  );
});

test('lines over the cap are skipped and counted; line numbers stay true', () => {
  const s = new LogScanner({ source: 'x', year: 2026 });
  assert.deepEqual(s.feed(NEW_TEXT.replace('err="', `err="${'A'.repeat(1024 * 1024)}`)), []);
  s.skip(); // a line the stream reader did not keep
  const [f] = s.feed(NEW_TEXT);
  assert.equal(f?.line, 3);
  assert.equal(s.skippedLines, 2);
});

test('CRI partial lines joined past the cap are skipped as one line, not read truncated', () => {
  const s = new LogScanner({ source: 'x', year: 2026 });
  const half = 'A'.repeat(600 * 1024);
  const at = '2026-11-30T06:00:01.1Z stderr';
  assert.deepEqual(s.feed(`${at} P ${NEW_TEXT.slice(0, 40)}${half}`), []);
  assert.deepEqual(s.feed(`${at} P ${half}`), []);
  assert.deepEqual(s.feed(`${at} F ${NEW_TEXT.slice(40)}`), []);
  assert.equal(s.skippedLines, 1);
  assert.equal(s.feed(`${at} F ${NEW_TEXT}`).length, 1);
});

test('one failure stays small: huge serials are not kept, key ids and messages are cut', () => {
  const err = `verifying certificate SN=${'9'.repeat(500)}, SKID=${'AB:'.repeat(99)}AB, AKID= failed: x509: certificate signed by unknown authority${' and more'.repeat(1000)}`;
  const line = `E1130 06:00:01.123456       1 authentication.go:73] "Unable to authenticate the request" err=${goQuote(err)}`;
  const [f] = parseApiServerLog(line, { source: '-', year: 2026 });
  assert.ok(f);
  assert.equal(f.serialDecimal, undefined);
  assert.equal(f.serialHex, undefined);
  assert.equal(f.skid.length, 191);
  assert.equal(f.kind, 'unknown-authority');
  assert.ok(f.message.length <= 1024 && f.message.endsWith('…'));
});
