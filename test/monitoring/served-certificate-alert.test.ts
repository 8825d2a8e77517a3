// The ServedCertificateStale alert rule under Prometheus' own rule tester (promtool test rules):
// the rules are taken from the shipped PrometheusRule object, not a copy.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { REPO } from '../support/scan.js';

test('ServedCertificateStale fires for a stale served certificate near expiry, and only then', (t) => {
  if (spawnSync('promtool', ['--version']).error) {
    if (process.env.CI === 'true')
      throw new Error('promtool missing in CI (apt-get install prometheus)');
    t.skip('promtool not installed (apt-get install prometheus)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'certdrift-promtool-'));
  try {
    const rule = parse(readFileSync(`${REPO}deploy/monitoring/prometheusrule.yaml`, 'utf8')) as {
      spec: { groups: unknown[] };
    };
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: rule.spec.groups }));
    const spec = readFileSync(
      `${REPO}test/monitoring/served-certificate-stale.promtool.yaml`,
      'utf8',
    );
    writeFileSync(
      join(dir, 'test.yaml'),
      spec.replace('rule_files: [RULES]', 'rule_files: [rules.yaml]'),
    );
    const r = spawnSync('promtool', ['test', 'rules', 'test.yaml'], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /SUCCESS/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
