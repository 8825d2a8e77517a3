// CertdriftServingStaleSnapshot, checked with the real `promtool test rules` against the rules
// the project ships (deploy/monitoring/prometheusrule.yaml): it fires once the files source has
// been down for 10 minutes, says how old the served snapshot is, and stays quiet while scans work.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

test('promtool: a down files source with an ageing snapshot fires, with the age', (t) => {
  if (spawnSync('promtool', ['--version']).status !== 0) {
    if (process.env.CI === 'true')
      throw new Error('promtool is missing (Debian package prometheus)');
    t.skip('promtool not installed');
    return;
  }
  const rule = parse(
    readFileSync(new URL('../../deploy/monitoring/prometheusrule.yaml', import.meta.url), 'utf8'),
  ) as { spec: { groups: unknown[] } };
  const dir = mkdtempSync(join(tmpdir(), 'certdrift-promtool-'));
  writeFileSync(join(dir, 'rules.json'), JSON.stringify({ groups: rule.spec.groups }));
  const tests = {
    rule_files: ['rules.json'],
    evaluation_interval: '1m',
    tests: [
      {
        interval: '1m',
        input_series: [
          // n1: scans every minute until minute 9, then the host root is gone.
          { series: 'certdrift_source_up{node="n1",source="files"}', values: '1x9 0x30' },
          {
            series: 'certdrift_last_successful_scan_timestamp_seconds{node="n1"}',
            values: '0+60x9 540x30',
          },
          // n2: healthy throughout.
          { series: 'certdrift_source_up{node="n2",source="files"}', values: '1x39' },
          {
            series: 'certdrift_last_successful_scan_timestamp_seconds{node="n2"}',
            values: '0+60x39',
          },
        ],
        alert_rule_test: [
          { eval_time: '15m', alertname: 'CertdriftServingStaleSnapshot', exp_alerts: [] },
          {
            eval_time: '25m',
            alertname: 'CertdriftServingStaleSnapshot',
            exp_alerts: [
              {
                exp_labels: { severity: 'critical', node: 'n1' },
                exp_annotations: {
                  summary:
                    "certdrift on n1 cannot read the node's files (host root missing or empty?); its certificate series are from a scan 16m 0s old",
                },
              },
            ],
          },
        ],
      },
    ],
  };
  writeFileSync(join(dir, 'test.json'), JSON.stringify(tests));
  const r = spawnSync('promtool', ['test', 'rules', 'test.json'], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
