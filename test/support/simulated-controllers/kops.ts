// A SIMULATION of `kops rolling-update cluster --instance-group IG --yes`, the command certdrift
// prints for a kops group (certdrift never runs kops). kops is a CLI working against a cloud and
// its state store; neither exists here, so this plays it against the real API server, following
// kops' rolling update (pkg/instancegroups/instancegroups.go rollingUpdateInstanceGroup and
// docs/operations/rolling-update.md; domain.md §10):
// - only the instance group's Nodes marked `kops.k8s.io/needs-update` (or otherwise needing an
//   update) are replaced, one at a time (maxUnavailable 1);
// - surge (maxSurge 1): the new instance is launched first and its Node joins Ready;
// - then the old Node is cordoned and drained (kubectl drain: evictions honouring budgets),
//   its instance terminated and its Node object removed.
// Runs only once the test says the operator ran the printed command (`running`).

import {
  annotationsOf,
  cordon,
  Delays,
  deleteNode,
  deleting,
  drainPass,
  joinNode,
  nameOf,
  nodesOf,
  suffix,
  type SimEnv,
  type SimLog,
} from './common.js';

const IG = 'kops.k8s.io/instancegroup';
const NEEDS_UPDATE = 'kops.k8s.io/needs-update';

interface Replacing {
  old: string;
  surge: string | null;
}

export class KopsRollingUpdate {
  /** the operator ran the printed `kops rolling-update` */
  running = false;
  private readonly delays: Delays;
  private readonly current = new Map<string, Replacing>();

  constructor(
    private readonly env: SimEnv,
    private readonly log: SimLog,
  ) {
    this.delays = new Delays(env);
  }

  async tick(): Promise<void> {
    if (!this.running) return;
    const nodes = await nodesOf(this.env);
    const { admin } = this.env;
    const marked = nodes
      .filter((n) => annotationsOf(n)[NEEDS_UPDATE] !== undefined && !deleting(n))
      .sort((a, b) => nameOf(a).localeCompare(nameOf(b)));
    for (const n of marked) {
      const ig = (n.metadata?.labels as Record<string, string> | undefined)?.[IG] ?? '';
      const cur = this.current.get(ig);
      if (cur && cur.old !== nameOf(n)) continue; // one at a time per instance group
      const r: Replacing = cur ?? { old: nameOf(n), surge: null };
      this.current.set(ig, r);
      if (r.surge === null) {
        // maxSurge: the new instance first; its Node joins after the boot time
        if (!this.delays.after(`launch/${r.old}`, this.env.timings.joinMs)) continue;
        const name = `${ig}-${suffix()}`;
        await joinNode(this.env, this.log, name, { [IG]: ig }, {}, `aws:///eu-west-1a/i-${name}`);
        r.surge = name;
        continue;
      }
      await cordon(admin, r.old);
      const drained = await drainPass(admin, r.old);
      if (!drained || !this.delays.after(`terminate/${r.old}`, this.env.timings.terminateMs))
        continue;
      await deleteNode(admin, r.old, this.log);
      this.current.delete(ig);
    }
  }
}
