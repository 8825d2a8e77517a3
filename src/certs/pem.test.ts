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

test('strict base64 bodies: every kind of white space, padding and foreign character', () => {
  const der = Buffer.from('certificate bytes!'); // 18 bytes: no padding
  const pad1 = Buffer.from('certificate byte'); // 16 bytes: two `=`
  const one = Buffer.from('certificate bytes'); // 17 bytes: one `=`
  const lines = (b: Buffer, eol: string): string =>
    (b.toString('base64').match(/.{1,8}/g) ?? []).join(eol);
  const good: [string, string, Buffer][] = [
    ['LF lines', lines(der, '\n'), der],
    ['CRLF lines', lines(der, '\r\n'), der],
    ['spaces and tabs', lines(der, ' \t'), der],
    ['two `=` at the end', lines(pad1, '\n'), pad1],
    ['one `=` then white space', `${one.toString('base64')}\n \n`, one],
    ['`=` split by a line break', `${pad1.toString('base64').slice(0, -1)}\n=`, pad1],
    ['one line', der.toString('base64'), der],
  ];
  for (const [name, body, want] of good) {
    const r = parsePem(`-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`);
    assert.deepEqual(r.problems, [], name);
    assert.deepEqual(Buffer.from(r.blocks[0]?.der ?? []), want, name);
  }
  const bad: [string, string][] = [
    [
      'a foreign character',
      `${der.toString('base64').slice(0, 8)}*${der.toString('base64').slice(8)}`,
    ],
    ['padding in the middle', `${pad1.toString('base64')}\n${der.toString('base64')}`],
    ['three `=`', `${der.toString('base64').slice(0, -1)}===`],
    ['a length that is not a multiple of 4', der.toString('base64').slice(0, -1)],
    ['a form feed', lines(der, '\f')],
    ['a non-ASCII letter', `${der.toString('base64')}é`],
    ['empty', ''],
  ];
  for (const [name, body] of bad) {
    const r = parsePem(`-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`);
    assert.deepEqual(
      r.problems.map((p) => p.reason),
      ['pem_bad_base64'],
      name,
    );
    assert.equal(r.blocks.length, 0, name);
  }
});
