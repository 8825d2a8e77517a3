// Debian's Prometheus tools for the alert tests: the shipped PrometheusRule's groups as a plain
// rules file (what the Prometheus Operator hands Prometheus), and the promtool/prometheus
// binaries. Without them a test skips with the reason on a laptop; under CI=true (where .ci/run
// installs the `prometheus` package) a missing tool is a failure.

import type { TestContext } from 'node:test';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { REPO } from '../support/scan.js';

export const PROMETHEUS_RULE = `${REPO}deploy/monitoring/prometheusrule.yaml`;

interface RuleGroup {
  name: string;
  rules: { alert?: string; record?: string; expr: string; for?: string }[];
}

export function readRuleGroups(): RuleGroup[] {
  const obj = parse(readFileSync(PROMETHEUS_RULE, 'utf8')) as {
    kind: string;
    spec: { groups: RuleGroup[] };
  };
  if (obj.kind !== 'PrometheusRule') throw new Error(`${PROMETHEUS_RULE} is a ${obj.kind}`);
  return obj.spec.groups;
}

export function alertNames(): string[] {
  return readRuleGroups().flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])));
}

/** Writes the PrometheusRule's groups as `<dir>/rules.yaml` and returns its path. */
export function writeRulesFile(dir: string): string {
  const path = join(dir, 'rules.yaml');
  writeFileSync(path, stringify({ groups: readRuleGroups() }));
  return path;
}

/** The absolute path of a Prometheus tool, or null after skipping (or throwing under CI). */
export function requireTool(t: TestContext, name: 'promtool' | 'prometheus'): string | null {
  const path = `/usr/bin/${name}`;
  const r = spawnSync(path, ['--version'], { encoding: 'utf8' });
  if (!r.error && r.status === 0) return path;
  const why = `${path} is not available (apt-get install prometheus)`;
  if (process.env.CI === 'true') throw new Error(`alert test cannot run in CI: ${why}`);
  t.skip(why);
  return null;
}
