// The real CLI on a node holding an impossible-date certificate beside good ones, a DER
// concatenation with a corrupt member, a PKCS#7 bundle and a PKCS#12 store: the scan finishes,
// every good certificate is listed, each bad one is an item error with its reason.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as d from '../support/der-build.js';
import { toPem } from '../support/certs.js';
import { NOW } from '../support/nodes.js';
import { runCli } from '../support/scan.js';
import { HostTree } from '../support/tree.js';

const D = '/etc/kubernetes/pki';
let tree: HostTree;

const cert = (cn: string, notAfter: Buffer): Buffer =>
  d.buildCert({
    version: 2,
    serial: d.intRaw([0xff, 0x01]), // negative: openssl prints -FF
    subject: d.name(d.cn(cn)),
    notBefore: d.utc('250101000000Z'),
    notAfter,
  });

before(() => {
  tree = new HostTree('certdrift-odd-');
  const good = cert('good', d.utc('270101000000Z'));
  tree.write(
    `${D}/bundle.crt`,
    [good, cert('month 13', d.utc('271301000000Z')), cert('after', d.gen('20280101000000Z'))]
      .map((der) => toPem('CERTIFICATE', der))
      .join(''),
  );
  tree.write(
    `${D}/concat.der`,
    Buffer.concat([
      cert('der one', d.utc('270601000000Z')),
      d.seq(d.intRaw([1])),
      cert('der two', d.utc('270701000000Z')),
    ]),
  );
  const p7 = d.seq(
    d.oid('1.2.840.113549.1.7.2'),
    d.tlv(
      0xa0,
      d.seq(
        d.intRaw([1]),
        d.set(),
        d.seq(d.oid('1.2.840.113549.1.7.1')),
        d.tlv(0xa0, cert('p7 member', d.gen('20290101000000Z'))),
        d.set(),
      ),
    ),
  );
  tree.write(`${D}/chain.p7b.pem`, toPem('PKCS7', p7));
});
after(() => tree.remove());

test('an impossible date is a bad_time item error; every good certificate is still listed', () => {
  const res = runCli([
    'scan',
    '--host-root',
    tree.root,
    '--preset',
    'none',
    '--path',
    `${D}/*`,
    '--at',
    NOW.toISOString(),
    '-o',
    'json',
  ]);
  assert.equal(res.stderr, '');
  const doc = JSON.parse(res.stdout) as {
    certificates: { commonName: string; serial: string; notAfter: string }[];
    errors: { path: string; reason: string }[];
  };
  assert.deepEqual(doc.certificates.map((c) => c.commonName).sort(), [
    'after',
    'der one',
    'der two',
    'good',
    'p7 member',
  ]);
  assert.ok(doc.certificates.every((c) => c.serial === '-FF'));
  assert.deepEqual(doc.errors.map((e) => [e.path, e.reason]).sort(), [
    [`${D}/bundle.crt`, 'bad_time'],
    [`${D}/concat.der`, 'cert_parse_error'],
  ]);
  const table = runCli([
    'scan',
    '--host-root',
    tree.root,
    '--preset',
    'none',
    '--path',
    `${D}/*`,
    '--at',
    NOW.toISOString(),
  ]);
  assert.match(table.stdout, /bad_time/);
  assert.doesNotMatch(table.stderr, /Invalid time value/);
});
