// One bad certificate never hides the others: in DER concatenations, PEM bundles and PKCS#7.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as d from '../../test/support/der-build.js';
import { toPem } from '../../test/support/certs.js';
import { parseCertificateFile } from './parse-file.js';

const good = (cn: string): Buffer =>
  d.buildCert({
    version: 2,
    serial: d.intRaw([1]),
    subject: d.name(d.cn(cn)),
    notBefore: d.utc('250101000000Z'),
    notAfter: d.utc('270101000000Z'),
  });
const impossible = d.buildCert({
  version: 2,
  serial: d.intRaw([2]),
  subject: d.name(d.cn('month 13')),
  notBefore: d.utc('250101000000Z'),
  notAfter: d.utc('251301000000Z'),
});
// A certificate whose outer length is sound and whose inside is not.
const corrupt = d.seq(d.seq(d.intRaw([1])), Buffer.from('garbage'));

test('a DER concatenation is read past a corrupt and an impossible-date certificate', () => {
  const bytes = Buffer.concat([good('first'), corrupt, impossible, good('last')]);
  const r = parseCertificateFile(bytes, { expectCertificates: true });
  assert.deepEqual(
    r.certs.map((c) => [c.index, c.facts.commonName]),
    [
      [0, 'first'],
      [3, 'last'],
    ],
  );
  assert.deepEqual(
    r.problems.map((p) => p.reason),
    ['cert_parse_error', 'bad_time'],
  );
});

test('a truncated tail is reported after the certificates before it', () => {
  const bytes = Buffer.concat([good('first'), good('cut').subarray(0, 40)]);
  const r = parseCertificateFile(bytes, { expectCertificates: true });
  assert.deepEqual(
    r.certs.map((c) => c.facts.commonName),
    ['first'],
  );
  assert.match(r.problems[0]?.message ?? '', /cannot tell where it ends/);
});

test('a PEM bundle with an impossible date yields bad_time and the good certificates', () => {
  const text = [good('a'), impossible, good('b')].map((der) => toPem('CERTIFICATE', der)).join('');
  const r = parseCertificateFile(Buffer.from(text), { expectCertificates: true });
  assert.deepEqual(
    r.certs.map((c) => c.facts.commonName),
    ['a', 'b'],
  );
  assert.deepEqual(r.problems, [
    {
      reason: 'bad_time',
      message: `block 1 at line ${toPem('CERTIFICATE', good('a')).split('\n').length}: impossible validity date: bad time "Bad time value"`,
      detail: 'block 1',
    },
  ]);
});
