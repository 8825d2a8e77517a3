// k3s and RKE2 renew their own certificates: leaf certificates within their renewal window (120
// days, 90 before the May 2025 releases) are renewed, keys kept, every time the service starts,
// and `<k3s|rke2> certificate rotate` (service stopped) regenerates them with new keys; agents
// renew theirs at start (docs.rke2.io/security/certificates, docs.k3s.io/cli/certificate). So
// certdrift signs nothing there: it names the documented steps for what it found on the node —
// the unit and binary it saw, never a guessed path — servers first, then agents. Pure.

export interface RancherFacts {
  distribution: 'k3s' | 'rke2';
  /** <data-dir>/server/tls exists: a server node */
  server: boolean;
  /** <data-dir>/agent exists */
  agent: boolean;
  /** systemd units found (k3s, k3s-agent, rke2-server, rke2-agent) */
  units: string[];
  /** the binary found, as a node path */
  binary?: string;
}

export interface RenewSteps {
  title: string;
  commands: string[];
  ran: boolean;
  notes: string[];
}

const UNITS = {
  k3s: { server: 'k3s', agent: 'k3s-agent' },
  rke2: { server: 'rke2-server', agent: 'rke2-agent' },
} as const;

export function rancherSteps(f: RancherFacts): RenewSteps[] {
  const d = f.distribution;
  const units = UNITS[d];
  const out: RenewSteps[] = [];
  if (f.server) {
    const notes = [
      `certificates within their renewal window are renewed (keys kept) whenever ${d} starts; rotate makes new keys for all of them`,
      'rotate servers first, one at a time, then agents',
    ];
    const has = f.units.includes(units.server);
    if (!has)
      notes.push(
        `no ${units.server}.service unit found: stop and start the service that runs "${d} server" yourself`,
      );
    if (!f.binary)
      notes.push(
        `no ${d} binary found in the usual places: run "${d} certificate rotate" with yours`,
      );
    out.push({
      title: `${d} server: rotate the service certificates`,
      commands:
        has && f.binary
          ? [
              `systemctl stop ${units.server}`,
              `${f.binary} certificate rotate`,
              `systemctl start ${units.server}`,
            ]
          : [],
      ran: false,
      notes,
    });
  } else if (f.agent) {
    const has = f.units.includes(units.agent);
    out.push({
      title: `${d} agent: certificates are renewed when the agent starts`,
      commands: has ? [`systemctl restart ${units.agent}`] : [],
      ran: false,
      notes: has
        ? []
        : [
            `no ${units.agent}.service unit found: restart the service that runs "${d} agent" yourself`,
          ],
    });
  }
  return out;
}
