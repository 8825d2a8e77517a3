// readAndParse hands each file's result to `each` as soon as it exists (a cold scan never holds
// every parse at once, issue #25), in input order, and returns the same results when not asked to.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { HostTree } from '../../../test/support/tree.js';
import { issue } from '../../../test/support/certs.js';
import { HostFiles } from './host-files.js';
import { readAndParse, type ReadParsed } from './read-and-parse.js';
import type { DiscoveredFile } from './discover.js';

let t: HostTree;
const files: DiscoveredFile[] = [];
const fingerprints: string[] = [];

before(async () => {
  t = new HostTree();
  // more files than one batch between yields (256), so the handing-over crosses a yield
  for (let i = 0; i < 300; i++) {
    const path = `/etc/pki/${String(i).padStart(3, '0')}.crt`;
    if (i % 50 === 7) {
      t.write(path, 'not a certificate at all\n');
      fingerprints.push('');
    } else if (i % 10 === 0) {
      const c = await issue({
        cn: `c${i}`,
        notBefore: new Date('2026-01-01T00:00:00Z'),
        notAfter: new Date('2027-01-01T00:00:00Z'),
      });
      t.write(path, c.pem);
      fingerprints.push(c.fingerprint);
    } else {
      t.write(path, ''); // empty files: still one result each
      fingerprints.push('');
    }
    files.push({ path, links: [], expectCertificates: true });
  }
  files.push({ path: '/etc/pki/missing.crt', links: [], expectCertificates: true });
  fingerprints.push('');
});
after(() => t.remove());

const summary = (items: ReadParsed[]): string[] =>
  items.map((r) =>
    r.ok
      ? `${r.file.path} ${r.parse.certs.map((c) => c.facts.fingerprintSha256).join(',')}`
      : `${r.file.path} error ${r.error.reason}`,
  );

test('with `each`, every result goes to it in input order and none is returned', async () => {
  const host = new HostFiles(t.root);
  const handed: ReadParsed[] = [];
  const returned = await readAndParse(host, files, 1 << 20, undefined, (item) => {
    handed.push(item);
  });
  assert.deepEqual(returned, []);
  assert.equal(handed.length, files.length);
  assert.deepEqual(
    handed.map((r) => r.file.path),
    files.map((f) => f.path),
  );
  // the certificates are the ones written, and the missing file is an item error
  handed.forEach((r, i) => {
    if (r.ok) assert.equal(r.parse.certs[0]?.facts.fingerprintSha256 ?? '', fingerprints[i]);
  });
  const last = handed.at(-1);
  assert.ok(last && !last.ok && last.error.reason === 'not_found');
  // the same results as without `each`
  assert.deepEqual(summary(handed), summary(await readAndParse(host, files, 1 << 20)));
});
