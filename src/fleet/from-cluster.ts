// The cluster FleetSource: nodes and NodeCertificateReports listed from the API server through
// the cluster client (which already maps API objects to its own NodeInfo / NodeCertificateReport
// types); grouped with the same groupOfNode the file source uses. Needs `list` on nodes and on
// nodecertificatereports.certdrift.io — the agent's own DaemonSet RBAC does not grant it.
// A report is a node's by its Node ownerReference's UID, not by its name alone: a report whose
// owner UID is not the live Node's (the node was recreated under the same name, or the report
// was forged) is reported and ignored. `certdrift rotate`, which acts on what reports say,
// also ignores a report with no Node owner (`requireOwner`; every agent writes one, publish.ts);
// `certdrift plan`, which only reads, still dates such a report by its name.

import type { ListOptions, NodeCertificateReport, NodeInfo } from '../model/cluster.js';
import type { CertificateFacts, Fleet, FleetNode, FleetSource, InputProblem } from './fleet.js';
import { groupOfNode } from './node-group.js';

export interface FleetLister {
  listNodes(opts?: ListOptions): Promise<NodeInfo[]>;
  listNodeCertificateReports(): Promise<NodeCertificateReport[]>;
}

export interface MappingOptions {
  /** a report without a Node ownerReference is ignored (rotate); default: matched by name */
  requireOwner?: boolean;
  /** node name → its group from an object the node cannot write (its Machine, its NodeClaim) */
  groups?: ReadonlyMap<string, string>;
}

export function mapClusterFleet(
  nodes: readonly NodeInfo[],
  reports: readonly NodeCertificateReport[],
  opts: MappingOptions = {},
): Fleet {
  const problems: InputProblem[] = [];
  const uids = new Map(nodes.map((n) => [n.name, n.uid]));
  const fleet: FleetNode[] = nodes.map((n) => {
    const created = Date.parse(n.createdAt);
    if (Number.isNaN(created))
      problems.push({
        source: 'kubernetes',
        message: `Node ${JSON.stringify(n.name)}: no readable creationTimestamp, so no age limit applies`,
      });
    return {
      name: n.name,
      group: opts.groups?.get(n.name) ?? groupOfNode(n.labels, n.annotations),
      createdAt: Number.isNaN(created) ? null : new Date(created),
    };
  });
  const facts: CertificateFacts[] = [];
  for (const r of reports) {
    const uid = uids.get(r.name);
    if (uid !== undefined && r.nodeUid !== undefined && r.nodeUid !== uid) {
      problems.push({
        source: 'kubernetes',
        message: `NodeCertificateReport ${JSON.stringify(r.name)} is owned by Node UID ${JSON.stringify(r.nodeUid)}, the live Node has ${JSON.stringify(uid)} (recreated, or the report is forged): ignored`,
      });
      continue;
    }
    if (uid !== undefined && r.nodeUid === undefined && opts.requireOwner === true) {
      problems.push({
        source: 'kubernetes',
        message: `NodeCertificateReport ${JSON.stringify(r.name)} has no Node ownerReference: not matched to its Node by name alone, ignored`,
      });
      continue;
    }
    const text = r.status?.deadline;
    const t = text === undefined ? null : Date.parse(text);
    if (t !== null && Number.isNaN(t)) {
      problems.push({
        source: 'kubernetes',
        message: `NodeCertificateReport ${JSON.stringify(r.name)}: status.deadline is not an RFC 3339 time`,
      });
      continue;
    }
    facts.push({ node: r.name, deadline: t === null ? null : new Date(t), source: 'report' });
  }
  const known = new Set(fleet.map((n) => n.name));
  for (const f of facts)
    if (!known.has(f.node))
      problems.push({
        source: 'kubernetes',
        message: `NodeCertificateReport ${JSON.stringify(f.node)} has no Node: ignored`,
      });
  return { nodes: fleet, facts, problems };
}

/**
 * The fleet of the nodes a selector listed: reports of other nodes are then not this plan's
 * business (not "a report without a Node"). `certdrift plan --kubernetes` and `certdrift rotate`
 * both map the cluster through this one function, so they cannot judge it differently.
 */
export function selectedFleet(
  listed: readonly NodeInfo[],
  reports: readonly NodeCertificateReport[],
  labelSelector?: string,
  opts: MappingOptions = {},
): Fleet {
  const names = new Set(listed.map((n) => n.name));
  return mapClusterFleet(
    listed,
    labelSelector ? reports.filter((r) => names.has(r.name)) : reports,
    opts,
  );
}

/** `nodes.labelSelector` (--selector) limits the fleet to the matching nodes (selectedFleet). */
export function clusterFleetSource(
  client: FleetLister,
  where: string,
  nodes: Pick<ListOptions, 'labelSelector'> = {},
): FleetSource {
  return {
    describe: () => [
      `kubernetes: ${where}${nodes.labelSelector ? ` (nodes: ${nodes.labelSelector})` : ''}`,
    ],
    async load(): Promise<Fleet> {
      const [listed, reports] = await Promise.all([
        client.listNodes(nodes.labelSelector ? { labelSelector: nodes.labelSelector } : {}),
        client.listNodeCertificateReports(),
      ]);
      return selectedFleet(listed, reports, nodes.labelSelector);
    },
  };
}
