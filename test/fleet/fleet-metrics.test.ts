// The fleet's metrics and its alerts agree: every family the alert rules of the certdrift-fleet
// group use is one `certdrift fleet --serve` exports, and every exported family is documented.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FLEET_FAMILIES } from '../../src/fleet/metrics-text.js';
import { readRuleGroups } from '../monitoring/prometheus-tools.js';
import { REPO } from '../support/scan.js';

test('the fleet alerts use exported families; every family is documented', () => {
  const group = readRuleGroups().find((g) => g.name === 'certdrift-fleet');
  assert.ok(group);
  const used = new Set(group.rules.flatMap((r) => r.expr.match(/certdrift_fleet_\w+/g) ?? []));
  assert.ok(used.size >= 4);
  for (const name of used) assert.ok((FLEET_FAMILIES as readonly string[]).includes(name), name);
  const doc = readFileSync(`${REPO}docs/metrics.md`, 'utf8');
  for (const name of FLEET_FAMILIES) assert.ok(doc.includes(`\`${name}\``), `documents ${name}`);
});
