// Documentation that is a contract stays in step with the code.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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
