// `certdrift rotate --nodes FILE --reports FILE [--pods FILE]`: the step as it would be, from
// kubectl's documents (`kubectl get nodes -o json`, `kubectl get nodecertificatereports -o json`,
// `kubectl get pods -A -o json`), with no cluster. The documents are mapped exactly as the live
// client maps the API's answers (rotate-client.ts: liveNodeOf, podOf; the fleet's parsers), so
// the preview and a dry run against the cluster judge the same objects the same way. Nothing is
// ever executed: the edge refuses every call. Cluster API and Karpenter objects are not read:
// their nodes show as their actuator refuses them (no Machine, no NodeClaim). The rotation state
// object (certdrift-rotation-state, the only place records live) is not read either: every node
// shows as having no record, and the output says so. Every file is bounded in size before it is
// read, and in items after.

import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import type { Fleet } from '../fleet/fleet.js';
import { parseNodeList } from '../fleet/parse-node-list.js';
import { parseReportList } from '../fleet/parse-certificate-facts.js';
import { liveNodeOf, podOf } from '../adapters/kube/rotate-client.js';
import {
  EMPTY_STATE,
  STATE_NAME,
  type LiveNode,
  type LivePod,
  type RotateEdge,
} from '../rotate/index.js';
import { OperationalError } from './errors.js';

/** per file: a cluster's full pod list printed by kubectl stays far below it */
export const MAX_OFFLINE_BYTES = 256 * 1024 * 1024;
/** per document: more items than any cluster has (Kubernetes supports 5,000 nodes, 150,000 pods) */
export const MAX_OFFLINE_ITEMS = 500_000;

function readItems(path: string, flag: string): unknown[] {
  let text: string;
  try {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size > MAX_OFFLINE_BYTES)
        throw new OperationalError(
          `${flag} ${path}: ${size} bytes, over the ${MAX_OFFLINE_BYTES}-byte limit (print it compactly, or select fewer objects)`,
        );
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if (err instanceof OperationalError) throw err;
    throw new OperationalError(
      `${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      { cause: err },
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new OperationalError(`${flag} ${path}: not JSON (use kubectl get … -o json)`);
  }
  const items =
    typeof doc === 'object' && doc !== null && Array.isArray((doc as { items?: unknown }).items)
      ? (doc as { items: unknown[] }).items
      : null;
  if (items === null) throw new OperationalError(`${flag} ${path}: not a list (no items)`);
  if (items.length > MAX_OFFLINE_ITEMS)
    throw new OperationalError(
      `${flag} ${path}: ${items.length} items, over the ${MAX_OFFLINE_ITEMS}-item limit`,
    );
  return items;
}

export interface OfflineFiles {
  nodes: string;
  reports: string;
  pods?: string;
}

/** the rotation's edge over the files; every call refused (a preview never acts) */
export function offlineEdge(files: OfflineFiles): RotateEdge {
  const nodeItems = readItems(files.nodes, '--nodes');
  const reportItems = readItems(files.reports, '--reports');
  const podItems = files.pods !== undefined ? readItems(files.pods, '--pods') : [];
  const fleet = (): Fleet & { live: LiveNode[] } => {
    const { nodes, problems } = parseNodeList({ items: nodeItems }, files.nodes);
    const r = parseReportList({ items: reportItems }, files.reports);
    // only the items the node parser accepted (a malformed one is a reported problem)
    const accepted = new Set(nodes.map((n) => n.name));
    return {
      nodes,
      facts: r.facts,
      problems: [...problems, ...r.problems],
      live: nodeItems.map(liveNodeOf).filter((n) => accepted.has(n.name)),
    };
  };
  const pods: LivePod[] = podItems.map(podOf);
  return {
    readFleet: () => Promise.resolve(fleet()),
    listPods: (nodes) => Promise.resolve(pods.filter((p) => nodes.has(p.node))),
    listNodeClaims: () => Promise.resolve([]),
    listMachines: () => Promise.resolve([]),
    listMachineHealthChecks: () => Promise.resolve({ healthChecks: [], pausedClusters: [] }),
    // No state object offline: no node has a record here, whatever the cluster's object holds.
    readState: () =>
      Promise.resolve({
        state: {
          ...EMPTY_STATE,
          problems: [
            `offline preview: the rotation state object (${STATE_NAME}) is not read: every node is shown with no record (a node in flight in the cluster may show as to start)`,
          ],
        },
        outside: new Map<string, string>(),
      }),
    execute: () =>
      Promise.reject(new OperationalError('an offline preview (--nodes) never makes a call')),
    writeState: () =>
      Promise.reject(new OperationalError('an offline preview (--nodes) never writes the state')),
  };
}
