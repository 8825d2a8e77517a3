// docs/plan-schema.md documents every field the JSON document carries (a field added without
// its documentation fails here).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { REPO } from '../support/scan.js';
import { parseNodeList } from '../../src/fleet/parse-node-list.js';
import { parseReportList } from '../../src/fleet/parse-certificate-facts.js';
import { readPolicy } from '../../src/fleet/read-policy.js';
import { planReplacements } from '../../src/fleet/plan-replacements.js';
import { buildPlanDocument } from '../../src/fleet/render/plan-document.js';
import { AT, POLICY, buildDoneWhenFleet } from './done-when-fleet.js';

function keysOf(v: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(v)) for (const x of v) keysOf(x, out);
  else if (typeof v === 'object' && v !== null)
    for (const [k, x] of Object.entries(v)) {
      out.add(k);
      // Group names under policy.groups are data, not fields.
      if (k !== 'groups' || Array.isArray(x)) keysOf(x, out);
    }
  return out;
}

test('every field of the plan document is in docs/plan-schema.md', () => {
  const fleet = buildDoneWhenFleet();
  const plan = planReplacements(
    parseNodeList(fleet.nodes, 'n').nodes,
    parseReportList(fleet.reports, 'r').facts,
    readPolicy(POLICY).policy,
    AT,
  );
  const doc = JSON.parse(
    JSON.stringify(buildPlanDocument(plan, ['nodes: n'], [{ source: 's', message: 'm' }])),
  ) as unknown;
  const text = readFileSync(`${REPO}docs/plan-schema.md`, 'utf8');
  const missing = [...keysOf(doc)].filter((k) => !text.includes(`\`${k}\``));
  assert.deepEqual(missing, []);
  assert.ok(keysOf(doc).size > 40);
});
