// k3s / RKE2 for `certdrift renew`: what is on the node (server or agent, the systemd unit, the
// binary), the documented steps (renew/plan-rancher.ts), and with --apply on the host itself
// (host root /) those steps run, then the same proof by rescan as for kubeadm.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { ScanConfig } from './config/scan-config.js';
import { inRoot } from '../adapters/host/renew-files.js';
import { rancherSteps, type RancherFacts } from '../renew/plan-rancher.js';
import { proveRenewal } from '../renew/prove.js';
import type { RenewReport } from '../renew/render-renew.js';
import { inventoryOf } from './node-scan.js';
import { withLock, type RenewOptions } from './renew-session.js';

const UNIT_DIRS = [
  '/etc/systemd/system',
  '/usr/local/lib/systemd/system',
  '/lib/systemd/system',
  '/usr/lib/systemd/system',
];
const BINARIES = {
  k3s: ['/usr/local/bin/k3s', '/usr/bin/k3s'],
  rke2: ['/usr/local/bin/rke2', '/opt/rke2/bin/rke2', '/usr/bin/rke2'],
} as const;

function detect(root: string, d: 'k3s' | 'rke2'): RancherFacts | undefined {
  const at = (p: string): boolean => existsSync(inRoot(root, p));
  const data = `/var/lib/rancher/${d}`;
  const server = at(`${data}/server/tls`);
  const agent = at(`${data}/agent`);
  if (!server && !agent) return undefined;
  const names = d === 'k3s' ? ['k3s', 'k3s-agent'] : ['rke2-server', 'rke2-agent'];
  const units = names.filter((n) => UNIT_DIRS.some((dir) => at(`${dir}/${n}.service`)));
  const binary = BINARIES[d].find((p) => at(p));
  return { distribution: d, server, agent, units, ...(binary ? { binary } : {}) };
}

export async function rancherReport(
  config: ScanConfig,
  opts: RenewOptions,
  _env: Record<string, string | undefined>,
): Promise<{ report: RenewReport; code: number } | undefined> {
  const facts = detect(config.hostRoot, 'rke2') ?? detect(config.hostRoot, 'k3s');
  if (!facts) return undefined;
  const steps = rancherSteps(facts);
  const report: RenewReport = {
    kind: opts.apply ? 'RenewResult' : 'RenewPlan',
    hostRoot: config.hostRoot,
    resumed: [],
    refused: [],
    restarts: [],
    steps,
  };
  const runnable = steps.filter((s) => s.commands.length > 0);
  if (!opts.apply) return { report, code: runnable.length > 0 ? 1 : 0 };
  if (config.hostRoot !== '/')
    throw new Error(
      `--apply for ${facts.distribution} runs systemctl: run certdrift on the node itself (host root /)`,
    );
  return withLock(opts, async () => {
    for (const s of runnable) {
      for (const c of s.commands) {
        const [cmd, ...args] = c.split(' ');
        execFileSync(cmd ?? '', args, { stdio: 'inherit' });
      }
      s.ran = true;
    }
    const inv = await inventoryOf(config);
    const data = `/var/lib/rancher/${facts.distribution}/`;
    const paths = new Set(
      inv.certificates.map((c) => c.location.path).filter((p) => p.startsWith(data)),
    );
    report.proof = proveRenewal(inv, paths);
    return { report, code: report.proof.ok ? 0 : 2 };
  });
}
