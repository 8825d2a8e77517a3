// A node with a rotation record is counted in the group its record names (issue #21, review
// finding 3). A node's group comes from its Machine or NodeClaim where one exists, else from its
// labels — which its own kubelet may set (all but `node-restriction.kubernetes.io/` ones), so a
// node in flight could leave its group to free a slot or join another to stall it. The record,
// in the state object only the rotator writes (rotation-state.ts), says which group it started
// in: that group keeps counting it. A node whose current group differs from its recorded one is
// reported. Only trusted records count (same node name AND UID): a recreated node is another.

import { kindOfGroup } from '../fleet/node-group.js';
import type { FleetNode } from '../fleet/fleet.js';
import type { RotationState } from './rotation-state.js';
import type { LiveNode } from './rotate-types.js';

export function withRecordedGroups(
  nodes: readonly LiveNode[],
  fleet: readonly FleetNode[],
  state: RotationState | undefined,
): { nodes: LiveNode[]; fleet: FleetNode[]; reports: string[] } {
  const records = state?.records ?? {};
  const moved = new Map<string, string>();
  const reports: string[] = [];
  const out = nodes.map((n) => {
    const rec = Object.hasOwn(records, n.name) ? records[n.name] : undefined;
    if (!rec || rec.uid !== n.uid || rec.group === n.group) return n;
    moved.set(n.name, rec.group);
    reports.push(
      `${n.name}: now in group ${n.group}, its rotation record says ${rec.group}: counted in ${rec.group} until its record ends`,
    );
    return {
      ...n,
      group: rec.group,
      kind: kindOfGroup(rec.group),
      labelGroup: n.labelGroup ?? n.group,
    };
  });
  return {
    nodes: out,
    fleet: fleet.map((f) => {
      const g = moved.get(f.name);
      return g === undefined ? f : { ...f, group: g };
    }),
    reports,
  };
}
