// The fleet of issue #12's "Done when": kops (control plane and workers), Cluster API,
// Karpenter, EKS and ungrouped nodes, NodeCertificateReports for most of them, planned on
// Wednesday 2026-11-25 12:00 UTC with the example policy (plus groups for the others).
// Written as the files an operator would pass: nodes.json, reports.json, policy.yaml.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  capiNode,
  daysFrom,
  eksNode,
  karpenterNode,
  kopsNode,
  nodeList,
  plainNode,
  report,
} from './fleet-fixtures.js';

export const AT = new Date('2026-11-25T12:00:00Z');

export const POLICY = `# certdrift plan policy for the prod cluster
maxNodeAge: 365d          # replace nodes older than this, certificates or not
margin: 14d               # finish at least this long before the certificate deadline
horizon: 90d              # schedule every node due within this horizon
perNode: 20m              # drain + boot + validate for one node (default for every group)
maxInFlight: 6            # nodes being replaced at once, cluster-wide
windows:                  # when replacements may run
  - days: [Mon, Tue, Wed, Thu, Fri]
    start: "09:00"
    end: "17:00"
    timeZone: America/New_York
groups:
  kops/nodes-us-east-1a: { maxSurge: 2, maxUnavailable: 1 }
  kops/control-plane-us-east-1a: { maxUnavailable: 1, perNode: 45m }
  capi/prod-md-0-7d9f8c6b5: { maxSurge: 1, maxUnavailable: 0, perNode: 30m }
  eks/ng-general: { maxSurge: 1, maxUnavailable: 1 }
`;

export interface DoneWhenFiles {
  dir: string;
  nodes: string;
  reports: string;
  policy: string;
}

/** kops certificates: issued at node creation, valid 455–485 days (src/node/lifetime.ts) */
const kopsDeadline = (created: Date, extraDays: number): Date => daysFrom(created, 455 + extraDays);

export function buildDoneWhenFleet(): { nodes: unknown; reports: unknown } {
  const scanned = daysFrom(AT, -0.01);
  const nodes: Record<string, unknown>[] = [];
  const reports: Record<string, unknown>[] = [];
  const add = (n: Record<string, unknown>, deadline: Date | null): void => {
    nodes.push(n);
    const name = (n.metadata as { name: string }).name;
    if (deadline) reports.push(report(name, deadline, scanned));
  };
  // kops control plane: three masters, created ~10 months ago.
  ['i-0c1a9e0f6b2d4a801', 'i-0c1a9e0f6b2d4a802', 'i-0c1a9e0f6b2d4a803'].forEach((name, i) => {
    const created = daysFrom(AT, -300 - i * 4);
    add(kopsNode(name, 'control-plane-us-east-1a', created, true), kopsDeadline(created, 3 + i));
  });
  // kops workers: 14 nodes of mixed age; two without a report (agent not running there yet),
  // one whose certificates expired two days ago (kops #16400 territory), one far past a year.
  for (let i = 0; i < 14; i++) {
    const name = `i-0a7f3b2c9d1e5${String(100 + i)}`;
    const created = daysFrom(AT, -(250 + i * 11));
    const deadline =
      i === 9 ? daysFrom(AT, -2) : i === 4 || i === 11 ? null : kopsDeadline(created, i * 2);
    add(kopsNode(name, 'nodes-us-east-1a', created), deadline);
  }
  // Cluster API MachineSet: kubeadm certificates (1 year), nodes 9–11 months old.
  for (let i = 0; i < 6; i++) {
    const created = daysFrom(AT, -(270 + i * 12));
    add(
      capiNode(
        `prod-md-0-7d9f8c6b5-${['x2k4p', 'b7q9m', 'r3t8w', 'h5n2c', 'z9d4f', 'k1v6s'][i] ?? 'x'}`,
        'prod-md-0-7d9f8c6b5',
        created,
      ),
      daysFrom(created, 365),
    );
  }
  // Karpenter: young nodes (expireAfter 720h) — nothing due.
  for (let i = 0; i < 8; i++) {
    const created = daysFrom(AT, -(2 + i * 3));
    add(
      karpenterNode(
        `ip-10-0-${32 + i}-${17 + i * 9}.us-west-2.compute.internal`,
        'default',
        created,
      ),
      daysFrom(created, 365),
    );
  }
  // EKS managed node group: ~11 months old; age limit near.
  for (let i = 0; i < 5; i++) {
    const created = daysFrom(AT, -(330 + i * 5));
    add(
      eksNode(`ip-192-168-${10 + i}-${40 + i}.us-west-2.compute.internal`, 'ng-general', created),
      daysFrom(created, 395),
    );
  }
  // Ungrouped kubeadm workers on bare metal; one without a report.
  add(plainNode('metal-worker-1', daysFrom(AT, -200)), daysFrom(AT, 40));
  add(plainNode('metal-worker-2', daysFrom(AT, -150)), null);
  return { nodes: nodeList(nodes), reports: nodeList(reports) };
}

/** `--nodes … --reports … --policy … --at …`: a written fleet as `certdrift plan` reads it */
export function fleetArgs(
  f: { nodes: string; reports: string; policy: string },
  at: Date | string,
): string[] {
  const when = typeof at === 'string' ? at : at.toISOString();
  return ['--nodes', f.nodes, '--reports', f.reports, '--policy', f.policy, '--at', when];
}

export function writeDoneWhenFleet(): DoneWhenFiles {
  const dir = mkdtempSync(join(tmpdir(), 'certdrift-plan-'));
  const { nodes, reports } = buildDoneWhenFleet();
  const files = {
    dir,
    nodes: join(dir, 'nodes.json'),
    reports: join(dir, 'reports.json'),
    policy: join(dir, 'policy.yaml'),
  };
  writeFileSync(files.nodes, JSON.stringify(nodes, null, 4) + '\n');
  writeFileSync(files.reports, JSON.stringify(reports, null, 4) + '\n');
  writeFileSync(files.policy, POLICY);
  return files;
}
