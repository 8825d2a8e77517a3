// Real-runtime test support: one lab containerd per test file, and a scan of the lab's files
// plus its containers, the way `certdrift scan` does it.

import type { TestContext } from 'node:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveScanConfig } from '../../src/cli/config/scan-config.js';
import { inventoryOf } from '../../src/cli/node-scan.js';
import { assess } from '../../src/node/assess.js';
import { missingTools } from '../../src/lab/containerd.js';
import { Lab } from '../../src/lab/lab.js';
import type { Finding, Inventory } from '../../src/model/index.js';

/**
 * Why real-runtime tests cannot run here, or null when they can. Under CI=true a reason is a
 * failure, not a skip: CI runs as root with the packages .ci/run installs.
 */
export function runtimeUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (containerd, mounts)';
  const missing = missingTools();
  return missing.length > 0
    ? `missing ${missing.join(', ')} (apt-get install containerd runc busybox-static)`
    : null;
}

export function requireRuntime(t: TestContext): boolean {
  const why = runtimeUnavailable();
  if (!why) return true;
  if (process.env.CI === 'true') throw new Error(`real-runtime test cannot run in CI: ${why}`);
  t.skip(`real runtime unavailable: ${why}`);
  return false;
}

export async function startLab(): Promise<Lab> {
  return Lab.up(mkdtempSync(join(tmpdir(), 'certdrift-lab-')));
}

/**
 * The lab's node as `certdrift scan` sees it: no presets (this machine is not a Kubernetes node),
 * the given --path globs (none: only what the containers' mounts lead to), the lab's containerd.
 */
export async function scanLab(
  lab: Lab,
  paths: string[],
  now = new Date(),
): Promise<{ inv: Inventory; findings: Finding[] }> {
  const config = resolveScanConfig([
    { name: 'test', values: { runtimeEndpoint: lab.socket, presets: ['none'], paths } },
  ]);
  const inv = await inventoryOf(config);
  const { findings } = assess(inv, {
    now,
    thresholds: { warnMs: 30 * 864e5, criticalMs: 7 * 864e5 },
  });
  return { inv, findings };
}
