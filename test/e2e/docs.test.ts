// Documentation that is a contract stays in step with the code.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { REASON_CODES } from '../../src/model/reasons.js';
import { REPO } from '../support/scan.js';

test('docs/reasons.md lists every reason code, and only those', () => {
  const doc = readFileSync(`${REPO}docs/reasons.md`, 'utf8');
  const listed = [...doc.matchAll(/^\| `([a-z0-9_]+)`\s*\|/gm)].map((m) => m[1]);
  assert.deepEqual(listed.sort(), [...REASON_CODES].sort());
});

test('docs/scan-schema.md names every top-level and certificate field of the JSON output', async () => {
  const doc = readFileSync(`${REPO}docs/scan-schema.md`, 'utf8');
  const golden = JSON.parse(readFileSync(`${REPO}test/golden/scan-kops.json`, 'utf8')) as Record<
    string,
    unknown
  > & { certificates: Record<string, unknown>[]; summary: Record<string, unknown> };
  const fields = [
    ...Object.keys(golden),
    ...Object.keys(golden.summary),
    ...Object.keys(golden.certificates[0] ?? {}),
    'kubeconfig',
    'referencedBy',
  ];
  for (const f of fields)
    assert.match(doc, new RegExp(`\`${f}\``), `docs/scan-schema.md should describe ${f}`);
  await Promise.resolve();
});

test('every output example marked in the docs is produced by a test', () => {
  // `<!-- output: NAME -->` before a fenced block: test/support/doc-example.ts compares the block
  // with what a test printed. A marker no test claims would be checked by nobody.
  const docs = ['README.md', ...readdirSync(`${REPO}docs`).map((f) => `docs/${f}`)].filter((f) =>
    f.endsWith('.md'),
  );
  const tests = readdirSync(`${REPO}test`, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => readFileSync(`${REPO}test/${f}`, 'utf8'))
    .filter((text) => text.includes('assertDocExample('))
    .join('\n');
  let markers = 0;
  for (const doc of docs)
    for (const m of readFileSync(`${REPO}${doc}`, 'utf8').matchAll(/<!-- output: ([\w-]+) -->/g)) {
      markers++;
      assert.ok(
        tests.includes(`'${m[1] ?? ''}'`),
        `${doc}: no test produces the "${m[1] ?? ''}" example`,
      );
    }
  assert.ok(markers > 0);
});
