import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePem } from './pem.js';

const b64 = Buffer.from('abc').toString('base64');

test('finds blocks among comments, counts lines, decodes', () => {
  const text = `# bundle\n-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\nsubject=CN x\n-----BEGIN EC PRIVATE KEY-----\n${b64}\n-----END EC PRIVATE KEY-----\n`;
  const r = parsePem(text);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(
    r.blocks.map((b) => [b.label, b.index, b.line, Buffer.from(b.der).toString()]),
    [
      ['CERTIFICATE', 0, 2, 'abc'],
      ['EC PRIVATE KEY', 1, 6, 'abc'],
    ],
  );
});

test('a block cut short does not swallow the next one', () => {
  const r = parsePem(
    `-----BEGIN CERTIFICATE-----\n${b64}\n-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`,
  );
  assert.deepEqual(
    r.problems.map((p) => [p.reason, p.index, p.line]),
    [['pem_truncated', 0, 1]],
  );
  assert.equal(r.blocks.length, 1);
  assert.equal(r.blocks[0]?.index, 1);
});

test('RFC 1421 headers are skipped; bad base64 is reported', () => {
  const enc = parsePem(
    `-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n${b64}\n-----END RSA PRIVATE KEY-----\n`,
  );
  assert.equal(enc.blocks.length, 1);
  const bad = parsePem('-----BEGIN CERTIFICATE-----\n***\n-----END CERTIFICATE-----\n');
  assert.equal(bad.problems[0]?.reason, 'pem_bad_base64');
});
