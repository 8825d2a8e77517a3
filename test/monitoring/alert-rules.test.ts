// Every alert the project ships is unit-tested with Prometheus's own `promtool test rules`:
// the test files next to this one (*.rules-test.yaml) run against the groups extracted from
// deploy/monitoring/prometheusrule.yaml, and each alert needs a case where it fires and one
// where it must not (the `for:` durations are exercised there).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { alertNames, requireTool, writeRulesFile } from './prometheus-tools.js';

const HERE = import.meta.dirname;
const TEST_FILES = readdirSync(HERE)
  .filter((f) => f.endsWith('.rules-test.yaml'))
  .sort();

interface RulesTest {
  tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
}

test('the PrometheusRule passes `promtool check rules`', (t) => {
  const promtool = requireTool(t, 'promtool');
  if (!promtool) return;
  const dir = mkdtempSync(join(tmpdir(), 'certdrift-rules-'));
  try {
    const r = spawnSync(promtool, ['check', 'rules', writeRulesFile(dir)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`SUCCESS: ${String(alertNames().length)} rules found`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every shipped alert has a firing and a not-firing promtool case', () => {
  const firing = new Set<string>();
  const silent = new Set<string>();
  for (const f of TEST_FILES) {
    const doc = parse(readFileSync(join(HERE, f), 'utf8')) as RulesTest;
    for (const c of doc.tests.flatMap((tc) => tc.alert_rule_test ?? [])) {
      ((c.exp_alerts ?? []).length > 0 ? firing : silent).add(c.alertname);
    }
  }
  const names = alertNames();
  assert.ok(names.length >= 10, `alerts found: ${names.join(', ')}`);
  assert.deepEqual(
    names.filter((n) => !firing.has(n)),
    [],
    'alerts never shown firing',
  );
  assert.deepEqual(
    names.filter((n) => !silent.has(n)),
    [],
    'alerts never shown silent',
  );
  const unknown = [...firing, ...silent].filter((n) => !names.includes(n));
  assert.deepEqual(unknown, [], 'cases for alerts the PrometheusRule does not define');
});

test('`promtool test rules` passes for every test file', (t) => {
  const promtool = requireTool(t, 'promtool');
  if (!promtool) return;
  assert.ok(TEST_FILES.length > 0);
  const dir = mkdtempSync(join(tmpdir(), 'certdrift-rules-'));
  try {
    writeRulesFile(dir);
    for (const f of TEST_FILES) copyFileSync(join(HERE, f), join(dir, f));
    const r = spawnSync(promtool, ['test', 'rules', ...TEST_FILES], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.stdout.match(/SUCCESS/g)?.length, TEST_FILES.length, r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
