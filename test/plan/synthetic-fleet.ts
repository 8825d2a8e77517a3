// A large fleet for the 5,000-node benchmark and the HTML scale test: N nodes over G groups of
// every kind, ages spread over 400 days, NodeCertificateReports for nine in ten. Deterministic
// (a fixed linear congruential generator), written as kubectl would print it.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  aksNode,
  capiNode,
  daysFrom,
  eksNode,
  gkeNode,
  karpenterNode,
  kopsNode,
  nodeList,
  report,
} from './fleet-fixtures.js';

export const SYNTHETIC_AT = new Date('2026-11-25T12:00:00Z');

export function writeSyntheticFleet(
  count: number,
  groups: number,
  dir = mkdtempSync(join(tmpdir(), 'certdrift-fleet-')),
): { dir: string; nodes: string; reports: string; policy: string; at: string } {
  let seed = 12345;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const kinds = ['kops', 'kops', 'capi', 'karpenter', 'eks', 'gke', 'aks'] as const;
  const groupSpecs = Array.from({ length: groups }, (_, i) => ({
    kind: kinds[i % kinds.length] ?? 'kops',
    name: `pool-${String(i).padStart(2, '0')}`,
  }));
  const nodes: unknown[] = [];
  const reports: unknown[] = [];
  for (let i = 0; i < count; i++) {
    const g = groupSpecs[i % groups] ?? { kind: 'kops' as const, name: 'x' };
    const created = daysFrom(SYNTHETIC_AT, -Math.floor(rand() * 400) - rand());
    const name = `${g.name}-node-${String(i).padStart(5, '0')}`;
    const make = {
      kops: kopsNode,
      capi: capiNode,
      karpenter: karpenterNode,
      eks: eksNode,
      gke: gkeNode,
      aks: aksNode,
    }[g.kind];
    nodes.push(make(name, g.name, created));
    if (rand() < 0.9)
      reports.push(
        report(
          name,
          daysFrom(created, g.kind === 'kops' ? 455 + Math.floor(rand() * 30) : 365),
          SYNTHETIC_AT,
        ),
      );
  }
  const policy = [
    'maxNodeAge: 365d',
    'margin: 14d',
    'horizon: 90d',
    'perNode: 20m',
    'maxInFlight: 20',
    'windows:',
    '  - { days: [Mon, Tue, Wed, Thu, Fri], start: "09:00", end: "17:00", timeZone: America/New_York }',
    '  - { days: [Sat], start: "22:00", end: "06:00", timeZone: Europe/Berlin }',
    'groups:',
    ...groupSpecs.map(
      (g, i) =>
        `  ${g.kind}/${g.name}: { maxSurge: ${i % 3}, maxUnavailable: ${1 + (i % 2)}${i % 5 === 0 ? ', perNode: 45m' : ''} }`,
    ),
    '',
  ].join('\n');
  const files = {
    dir,
    nodes: join(dir, 'nodes.json'),
    reports: join(dir, 'reports.json'),
    policy: join(dir, 'policy.yaml'),
    at: SYNTHETIC_AT.toISOString(),
  };
  writeFileSync(files.nodes, JSON.stringify(nodeList(nodes), null, 4));
  writeFileSync(files.reports, JSON.stringify(nodeList(reports), null, 4));
  writeFileSync(files.policy, policy);
  return files;
}
