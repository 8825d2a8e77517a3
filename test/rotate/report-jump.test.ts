// The cap on nodes due by their NodeCertificateReport only (issue #21, review finding 1c): more
// than max(1, 10 %) of a group newly due because of reports, while their age alone would not
// make them due, are always reported, and held with --hold-report-jump (a forged or wrong report
// then cannot drain a group). Nodes due by age are never held by it. Pure.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CertificateFacts, FleetNode } from '../../src/fleet/fleet.js';
import { planStep, type LiveNode, type RotateOptions } from '../../src/rotate/index.js';
import { reportJumpLimit } from '../../src/rotate/report-jump.js';
import { liveNode, NOW, OPTIONS, policyOf } from './fixtures.js';

const DAY = 86_400_000;
const nodes: LiveNode[] = Array.from({ length: 10 }, (_, i) =>
  liveNode(`n${i}`, { 'eks.amazonaws.com/nodegroup': 'g' }),
);
/** young nodes (10 days), except those named old (400 days: due by age) */
const fleet = (old: string[] = []): FleetNode[] =>
  nodes.map((n) => ({
    name: n.name,
    group: n.group,
    createdAt: new Date(NOW.getTime() - (old.includes(n.name) ? 400 : 10) * DAY),
  }));
const expired = (...names: string[]): CertificateFacts[] =>
  names.map((node) => ({ node, deadline: new Date(NOW.getTime() - DAY), source: 'report' }));

function states(
  facts: CertificateFacts[],
  old: string[] = [],
  options: Partial<RotateOptions> = {},
): Record<string, string> {
  const s = planStep({
    fleet: fleet(old),
    facts,
    policy: policyOf({ maxInFlight: 10 }),
    planId: 'p',
    nodes,
    now: NOW,
    options: { ...OPTIONS, ...options },
    pods: [],
    nodeClaims: [],
  });
  return {
    ...Object.fromEntries(
      s.work.map((w) => [w.node, `${w.state}${w.state === 'blocked' ? `: ${w.note}` : ''}`]),
    ),
    reports: s.reports.join('\n'),
  };
}

const HOLD = { holdReportJump: true };

test('the limit: max(1, 10 % of the group)', () => {
  assert.deepEqual([1, 9, 10, 19, 20, 100].map(reportJumpLimit), [1, 1, 1, 1, 2, 10]);
});

test('one node of ten due by its report starts; two at once are reported, and held and named with --hold-report-jump', () => {
  assert.equal(states(expired('n1'), [], HOLD).n1, 'start');
  const two = states(expired('n1', 'n2'), [], HOLD);
  for (const n of ['n1', 'n2'])
    assert.match(
      two[n] ?? '',
      /^blocked: due by its NodeCertificateReport only, with 2 of eks\/g's 10 nodes at once \(more than 1\): held \(--hold-report-jump\)/,
    );
  assert.match(
    two.reports ?? '',
    /eks\/g: 2 node\(s\) due by their NodeCertificateReports only, at once \(n1, n2\): held/,
  );
  // by default: acted on within the group's own limit, and the jump reported
  const acted = states(expired('n1', 'n2'));
  assert.deepEqual([acted.n1, acted.n2].sort(), ['not-yet', 'start']);
  assert.match(
    acted.reports ?? '',
    /eks\/g: 2 node\(s\) .*: rotated within the limits; --hold-report-jump/,
  );
  assert.doesNotMatch(states(expired('n1')).reports ?? '', /due by their NodeCertificateReports/);
});

test('a node due by age is never held by the cap, even among report-due ones', () => {
  const s = states(expired('n1', 'n2'), ['n3'], HOLD);
  assert.equal(s.n3, 'start');
  assert.match(s.n1 ?? '', /^blocked: due by its NodeCertificateReport only/);
  // a node due by age AND by its report is due by age
  const both = states(expired('n3', 'n4'), ['n3'], HOLD);
  assert.equal(both.n3, 'start');
  assert.notEqual(both.n4?.startsWith('blocked'), true, 'one report-only node is within the cap');
});
